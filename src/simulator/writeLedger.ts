import type { EndpointName } from './brazeRules.js';
import { isPlainObject } from './validate.js';

/**
 * How many times the simulator accepted each identity and trigger write, for the soak test's
 * exactly-once check (`GET /_simulator/writes`). Profile state cannot show a duplicate: a second
 * `/users/alias/new` of an alias, or a second `/users/identify` of one, changes nothing in Braze.
 * So the ledger counts receipts: each item of a request the simulator answered 2xx (those routes
 * check every item before applying any, so a 2xx applied them all), whether or not it changed a
 * profile. Campaign trigger recipients count too when Braze skipped them (no profile): the
 * gateway delivered them.
 *
 * Bounded: at most `maxKeys` distinct keys per kind; beyond, the oldest key goes first and the
 * kind is marked truncated (its counts may then be short).
 */

export const WRITE_KINDS = ['aliases', 'identifications', 'triggers'] as const;
export type WriteKind = (typeof WRITE_KINDS)[number];

export const DEFAULT_LEDGER_MAX_KEYS = 100_000;

/** Counts answered by the admin route: key → times applied, and whether some were forgotten. */
export interface WriteCounts {
  counts: Record<string, number>;
  truncated: boolean;
}

// NUL cannot occur in a label or property name typed by a person, so the keys are unambiguous.
const SEP = '\u0000';

/** A scalar property value as a key: strings and finite numbers; anything else is not counted. */
function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export class WriteLedger {
  private readonly counts: Record<WriteKind, Map<string, number>> = {
    aliases: new Map(),
    identifications: new Map(),
    triggers: new Map(),
  };
  private readonly truncated: Record<WriteKind, boolean> = {
    aliases: false,
    identifications: false,
    triggers: false,
  };

  constructor(private readonly maxKeys = DEFAULT_LEDGER_MAX_KEYS) {}

  /**
   * Records the items of a request to `endpoint` answered 2xx: `/users/alias/new` aliases and
   * `/users/identify` `aliases_to_identify` by label and name; `/campaigns/trigger/send`
   * recipients by each scalar property of their trigger properties (the recipient's own over the
   * top-level ones, as Braze merges them).
   */
  observe(endpoint: EndpointName, body: unknown): void {
    if (!isPlainObject(body)) return;
    switch (endpoint) {
      case 'users.alias.new':
        for (const item of list(body.user_aliases)) this.aliasItem('aliases', item);
        return;
      case 'users.identify':
        for (const item of list(body.aliases_to_identify))
          if (isPlainObject(item.user_alias)) this.aliasItem('identifications', item.user_alias);
        return;
      case 'campaigns.trigger.send': {
        const shared = isPlainObject(body.trigger_properties) ? body.trigger_properties : {};
        for (const r of list(body.recipients)) {
          const own = isPlainObject(r.trigger_properties) ? r.trigger_properties : {};
          for (const [name, v] of Object.entries({ ...shared, ...own })) {
            const value = scalar(v);
            if (value !== undefined) this.add('triggers', `${name}${SEP}${value}`);
          }
        }
        return;
      }
      default:
        return;
    }
  }

  /**
   * Aliases or identifications with label `label`, by alias name; trigger recipients whose
   * properties have `label` (a property name), by that property's value.
   */
  report(kind: WriteKind, label: string): WriteCounts {
    const prefix = `${label}${SEP}`;
    const counts: Record<string, number> = {};
    for (const [key, n] of this.counts[kind])
      if (key.startsWith(prefix)) counts[key.slice(prefix.length)] = n;
    return { counts, truncated: this.truncated[kind] };
  }

  clear(): void {
    for (const kind of WRITE_KINDS) {
      this.counts[kind].clear();
      this.truncated[kind] = false;
    }
  }

  private aliasItem(kind: WriteKind, item: Record<string, unknown>): void {
    if (typeof item.alias_label === 'string' && typeof item.alias_name === 'string')
      this.add(kind, `${item.alias_label}${SEP}${item.alias_name}`);
  }

  private add(kind: WriteKind, key: string): void {
    const map = this.counts[kind];
    map.set(key, (map.get(key) ?? 0) + 1);
    if (map.size > this.maxKeys) {
      // Maps iterate in insertion order: the first key is the oldest.
      map.delete(map.keys().next().value!);
      this.truncated[kind] = true;
    }
  }
}

function list(v: unknown): Array<Record<string, unknown>> {
  return Array.isArray(v) ? v.filter(isPlainObject) : [];
}
