import { expect } from 'vitest';
import type { Simulator } from '../src/simulator/index.js';
import { hashGatewayKey } from '../src/security/keyStore.js';
import { TRACK_EVENTS, event, type ItemResult } from './helpers.js';

/** Shared pieces of the fair-share tests: two gateway keys, load per key, the split at Braze. */

export const KEYS = {
  frontend: 'bgw_frontend-key-for-fair-share-tests-01',
  bulk: 'bgw_bulk-key-for-fair-share-tests-0000002',
} as const;
export type Caller = keyof typeof KEYS;

/** GATEWAY_KEYS for both callers (track, and reading the budget). */
export const GATEWAY_KEYS = (Object.keys(KEYS) as Caller[])
  .map((name) => `${name}:${hashGatewayKey(KEYS[name])}:users.track,budget.read`)
  .join(';');

export interface Outcome {
  ok: number;
  rateLimited: number;
  /** RATE_LIMITED answers that came at once (the caller's queue share was full). */
  other: string[];
}

/** One trackEvents mutation of `n` events for `caller` (user ids `<caller>-<tag>-<i>`). */
export async function track(url: string, caller: Caller, tag: string, n: number): Promise<ItemResult[]> {
  const events = Array.from({ length: n }, (_, i) => event(`${caller}-${tag}-${i}`, 'fair'));
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS[caller]}` },
    body: JSON.stringify({ query: TRACK_EVENTS, variables: { events } }),
  });
  const body = (await res.json()) as { data?: { trackEvents: ItemResult[] }; errors?: unknown };
  if (body.data === undefined) throw new Error(`trackEvents failed: ${JSON.stringify(body).slice(0, 300)}`);
  return body.data.trackEvents;
}

export function tally(into: Outcome, results: ItemResult[]): void {
  for (const r of results) {
    if (r.ok) into.ok += 1;
    else if (r.error?.code === 'RATE_LIMITED') into.rateLimited += 1;
    else into.other.push(JSON.stringify(r.error));
  }
}

/** Send one mutation of `n` events every `everyMs` for `ms`, without waiting for answers. */
export async function paced(
  url: string | (() => string),
  caller: Caller,
  n: number,
  everyMs: number,
  ms: number,
): Promise<Outcome> {
  const out: Outcome = { ok: 0, rateLimited: 0, other: [] };
  const pending: Array<Promise<void>> = [];
  const until = Date.now() + ms;
  for (let k = 0; Date.now() < until; k++) {
    const target = typeof url === 'string' ? url : url();
    pending.push(track(target, caller, `p${k}`, n).then((r) => tally(out, r)));
    await new Promise((r) => setTimeout(r, everyMs));
  }
  await Promise.all(pending);
  return out;
}

/** `workers` loops per caller, each sending `n`-event mutations back to back for `ms`. */
export async function saturate(
  url: string | (() => string),
  caller: Caller,
  workers: number,
  n: number,
  ms: number,
): Promise<Outcome> {
  const out: Outcome = { ok: 0, rateLimited: 0, other: [] };
  const until = Date.now() + ms;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let k = 0; Date.now() < until; k++) {
        tally(out, await track(typeof url === 'string' ? url : url(), caller, `w${w}k${k}`, n));
      }
    }),
  );
  return out;
}

/**
 * Units Braze accepted per caller, each /users/track request split by its events' callers (the
 * way the budget charges them), in the windows of `windowMs` strictly between the first one that
 * saw a request and the one in which the load stopped (`loadEndMs`): those may be partial, and
 * after it the callers drain their queues at different speeds.
 */
export function unitsByCaller(
  sim: Simulator,
  windowMs: number,
  loadEndMs: number,
): { units: Record<string, number>; windows: number } {
  const accepted = sim.requests.filter((r) => r.path === '/users/track' && r.status === 201);
  const windows = accepted.map((r) => Math.floor(r.at / windowMs));
  const first = Math.min(...windows);
  const last = Math.floor(loadEndMs / windowMs);
  const units: Record<string, number> = {};
  accepted.forEach((r, i) => {
    if (windows[i]! <= first || windows[i]! >= last) return;
    const events = (r.body as { events?: Array<{ external_id?: string }> }).events ?? [];
    for (const e of events) {
      const caller = String(e.external_id).split('-')[0]!;
      units[caller] = (units[caller] ?? 0) + 1 / events.length;
    }
  });
  if (process.env.FAIR_DEBUG !== undefined) {
    const per = new Map<number, Record<string, number>>();
    accepted.forEach((r, i) => {
      const events = (r.body as { events?: Array<{ external_id?: string }> }).events ?? [];
      const row = per.get(windows[i]!) ?? {};
      for (const e of events) {
        const c = String(e.external_id).split('-')[0]!;
        row[c] = (row[c] ?? 0) + 1 / events.length;
      }
      per.set(windows[i]!, row);
    });
    console.log([...per].map(([w, row]) => `${w}: ${JSON.stringify(row)}`).join('\n'));
  }
  return { units, windows: Math.max(0, last - first - 1) };
}

/**
 * What fair shares promise a light caller against a flood (every light item accepted, none
 * refused; the flood partly served, partly refused) and that Braze never answered 429.
 */
export function expectLightServed(light: Outcome, flood: Outcome, braze429s: readonly unknown[]): void {
  expect(light.other).toEqual([]);
  expect(flood.other).toEqual([]);
  expect(light.ok).toBeGreaterThanOrEqual(19);
  expect(light.rateLimited).toBe(0);
  expect(flood.rateLimited).toBeGreaterThan(0);
  expect(flood.ok).toBeGreaterThan(0);
  expect(braze429s).toEqual([]);
}
