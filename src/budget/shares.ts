import { isRateGroupName, RATE_GROUP_NAMES, type RateGroupName } from './groups.js';

/**
 * Fair shares of the rate budget across callers (gateway keys, or `anonymous` when the gateway
 * runs open). Each caller holds a weight per rate group; when a group's budget binds, units go to
 * the callers waiting for it in proportion to their weights (see the stores' fair take), and a
 * caller may hold at most its weight's share of a lane's queue. A caller without a configured
 * weight has weight 1 (DEFAULT_WEIGHT).
 *
 * ## Configuration
 *
 * `GATEWAY_SHARES` holds entries separated by `;` or new lines, each
 *
 * ```
 * <caller>:<group>=<weight>[,<group>=<weight>…]
 * ```
 *
 * with `*` as the group for "every other group", e.g.
 * `frontend:users.track=70,*=50; backoffice-bulk:users.track=30; anonymous:*=10`. Weights are
 * positive numbers; only their ratios matter. A key in GATEWAY_KEYS_FILE may also carry
 * `"shares": {"users.track": 70}` (the same as a GATEWAY_SHARES entry for it).
 *
 * Fair sharing is on when any weight is configured; otherwise the budget and the lanes work as
 * if there were one caller (no per-caller counting at all).
 */

/** The weight of a caller (or group) nobody configured. */
export const DEFAULT_WEIGHT = 1;
/** The caller when the gateway runs open. */
export const ANONYMOUS_CALLER = 'anonymous';
const MAX_WEIGHT = 1_000_000;

/** Weights per group of one caller, as configured (`*` for every other group). */
export type CallerWeights = ReadonlyMap<RateGroupName | '*', number>;

/** The callers that exist and their weights: read by the budget, the lanes and `rateBudget`. */
export class Shares {
  /** Every caller the gateway can see (configured keys, or `anonymous`), in a stable order. */
  readonly callers: readonly string[];
  readonly #weights: ReadonlyMap<string, CallerWeights>;
  readonly #totals = new Map<RateGroupName, number>();

  constructor(callers: readonly string[], weights: ReadonlyMap<string, CallerWeights>) {
    this.callers = callers;
    this.#weights = weights;
    for (const group of RATE_GROUP_NAMES) {
      let total = 0;
      for (const c of callers) total += this.weight(c, group);
      this.#totals.set(group, total);
    }
  }

  /** A caller's weight in `group`: its own for the group, its `*`, or DEFAULT_WEIGHT. */
  weight(caller: string, group: RateGroupName): number {
    const w = this.#weights.get(caller);
    return w?.get(group) ?? w?.get('*') ?? DEFAULT_WEIGHT;
  }

  /** A caller's share of everyone's weight in `group` (0–1): its part of a bounded queue. */
  queueShare(caller: string, group: RateGroupName): number {
    const total = this.#totals.get(group) ?? 0;
    return total > 0 ? this.weight(caller, group) / total : 1;
  }
}

/**
 * Parse GATEWAY_SHARES (and the keys file's `shares`) against the callers that exist. Returns
 * undefined shares when none is configured (fair sharing off), and one message per problem: an
 * unknown caller or group, a weight that is not a positive number.
 */
export function parseShares(
  raw: string | undefined,
  callers: readonly string[],
  fromKeys: ReadonlyMap<string, Readonly<Record<string, unknown>>> = new Map(),
): { shares: Shares | undefined; problems: string[] } {
  const problems: string[] = [];
  const known = new Set(callers);
  const weights = new Map<string, Map<RateGroupName | '*', number>>();
  const set = (where: string, caller: string, group: string, value: unknown) => {
    if (group !== '*' && !isRateGroupName(group)) {
      problems.push(
        `${where} names no rate group ${JSON.stringify(group.slice(0, 64))}: expected * or one of ${RATE_GROUP_NAMES.join(', ')}.`,
      );
      return;
    }
    const weight = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
    if (
      (typeof value === 'string' && value.trim() === '') ||
      !Number.isFinite(weight) ||
      weight <= 0 ||
      weight > MAX_WEIGHT
    ) {
      problems.push(
        `${where} gives ${group} the weight ${JSON.stringify(String(value).slice(0, 32))}: expected a positive number up to ${MAX_WEIGHT}.`,
      );
      return;
    }
    let w = weights.get(caller);
    if (w === undefined) weights.set(caller, (w = new Map()));
    if (w.has(group)) {
      problems.push(`${where} gives ${group} a weight twice for ${JSON.stringify(caller)}.`);
      return;
    }
    w.set(group, weight);
  };

  if (raw !== undefined && raw.trim() !== '') {
    let index = 0;
    for (const part of raw.split(/[\n;]/)) {
      const text = part.trim();
      if (text === '' || text.startsWith('#')) continue;
      index += 1;
      const colon = text.indexOf(':');
      const caller = colon < 0 ? '' : text.slice(0, colon).trim();
      const where = `GATEWAY_SHARES entry ${index}`;
      if (colon < 0 || caller === '') {
        problems.push(
          `${where} is not valid: expected <caller>:<group>=<weight>[,<group>=<weight>…], e.g. frontend:users.track=70,*=50.`,
        );
        continue;
      }
      if (!known.has(caller)) {
        problems.push(
          `${where} names ${JSON.stringify(caller.slice(0, 64))}, which is no caller: expected a gateway key's name${callers.length > 0 ? ` (${callers.join(', ')})` : ''}.`,
        );
        continue;
      }
      for (const pair of text.slice(colon + 1).split(',')) {
        const eq = pair.indexOf('=');
        if (eq < 0) {
          problems.push(
            `${where} (${JSON.stringify(caller)}): expected <group>=<weight>, e.g. users.track=70.`,
          );
          continue;
        }
        set(
          `${where} (${JSON.stringify(caller)})`,
          caller,
          pair.slice(0, eq).trim(),
          pair.slice(eq + 1).trim(),
        );
      }
    }
  }
  for (const [caller, record] of fromKeys) {
    for (const [group, value] of Object.entries(record)) {
      set(`GATEWAY_KEYS_FILE key ${JSON.stringify(caller)} "shares"`, caller, group, value);
    }
  }
  return { shares: weights.size === 0 ? undefined : new Shares(callers, weights), problems };
}
