import type { WireExportedUser, WireUserAlias } from '../braze/wire.js';
import { isPlainObject } from './validate.js';

/**
 * A simulated user profile: its fields as Braze stores them, the value-level rules of
 * /users/track attributes (docs/braze-facts.md §3.1), and its /users/export/ids rendering
 * (docs/braze-facts.md §3.10). The store (store.ts) owns the profiles and their indexes.
 */

/** Profile fields Braze stores as such rather than as custom attributes (docs/braze-facts.md §3.1). */
export const STANDARD_FIELDS = [
  'first_name',
  'last_name',
  'email',
  'phone',
  'country',
  'language',
  'home_city',
  'time_zone',
  'dob',
  'gender',
  'email_subscribe',
  'push_subscribe',
] as const;
export type StandardField = (typeof STANDARD_FIELDS)[number];
export const STANDARD_SET: ReadonlySet<string> = new Set(STANDARD_FIELDS);

/**
 * Keys of an attributes object that are neither a stored profile field nor a custom attribute:
 * identifiers, flags, and documented profile fields the simulator accepts but does not keep.
 */
export const NOT_CUSTOM: ReadonlySet<string> = new Set([
  'external_id',
  'braze_id',
  'user_alias',
  '_update_existing_only',
  '_merge_objects',
  'push_token_import',
  'push_tokens',
  'subscription_groups',
  'email_open_tracking_disabled',
  'email_click_tracking_disabled',
  'current_location',
  'date_of_first_session',
  'date_of_last_session',
  'marked_email_as_spam_at',
  'facebook',
  'twitter',
]);

/** Every name `fields_to_export` accepts (docs/braze-facts.md §3.10), including ones the simulator leaves empty. */
export const EXPORT_FIELDS = [
  'apps',
  'attributed_campaign',
  'attributed_source',
  'attributed_adgroup',
  'attributed_ad',
  'braze_id',
  'campaigns_received',
  'canvases_received',
  'cards_clicked',
  'country',
  'created_at',
  'custom_attributes',
  'custom_events',
  'devices',
  'dob',
  'email',
  'email_subscribe',
  'external_id',
  'first_name',
  'gender',
  'home_city',
  'language',
  'last_coordinates',
  'last_name',
  'phone',
  'purchases',
  'push_subscribe',
  'push_tokens',
  'random_bucket',
  'time_zone',
  'total_revenue',
  'uninstalled_at',
  'user_aliases',
] as const;

/** Raw events and purchases kept per user; the summaries stay exact, the history is bounded. */
export const RAW_HISTORY_CAP = 1000;

export interface OccurrenceSummary {
  name: string;
  /** Epoch ms of the earliest and latest occurrence. */
  first: number;
  last: number;
  count: number;
}

export interface RawEvent {
  name: string;
  time: number;
  app_id?: string;
  properties?: Record<string, unknown>;
}

export interface RawPurchase {
  product_id: string;
  currency: string;
  price: number;
  quantity: number;
  time: number;
  app_id?: string;
  properties?: Record<string, unknown>;
}

export type SubscriptionState = 'subscribed' | 'unsubscribed';

export interface SimUser {
  brazeId: string;
  externalId?: string;
  /** Former external ids after a rename; they still find the user until removed (docs/braze-facts.md §3.8). */
  deprecatedExternalIds: string[];
  aliases: WireUserAlias[];
  createdAt: number;
  updatedAt: number;
  profile: Partial<Record<StandardField, unknown>>;
  customAttributes: Record<string, unknown>;
  events: Map<string, OccurrenceSummary>;
  purchases: Map<string, OccurrenceSummary>;
  /** The most recent raw events and purchases, RAW_HISTORY_CAP of each (an eighth more between trims). */
  recentEvents: RawEvent[];
  recentPurchases: RawPurchase[];
  totalRevenue: number;
  randomBucket: number;
  /** Subscription group id → state, for the groups in the user's history (docs/braze-facts.md §3.16). */
  subscriptions: Map<string, SubscriptionState>;
}

/**
 * A user as /users/export/ids returns it: only fields that have a value, restricted to
 * `fields` when given. Values are copies, so callers cannot change the store through them.
 */
export function exportUser(user: SimUser, fields?: ReadonlySet<string>): WireExportedUser {
  const out: WireExportedUser = {};
  const put = (name: string, value: unknown): void => {
    if (value === undefined || value === null) return;
    if (fields !== undefined && !fields.has(name)) return;
    out[name] = value;
  };
  put('created_at', new Date(user.createdAt).toISOString());
  put('external_id', user.externalId);
  if (user.aliases.length > 0)
    put(
      'user_aliases',
      user.aliases.map((a) => ({ ...a })),
    );
  put('braze_id', user.brazeId);
  for (const f of STANDARD_FIELDS) put(f, user.profile[f]);
  put('random_bucket', user.randomBucket);
  if (Object.keys(user.customAttributes).length > 0) {
    put('custom_attributes', structuredClone(user.customAttributes));
  }
  if (user.events.size > 0) put('custom_events', [...user.events.values()].map(renderSummary));
  if (user.purchases.size > 0) {
    put('purchases', [...user.purchases.values()].map(renderSummary));
    // Cents, so that 0.1 + 0.2 does not show as 0.30000000000000004.
    put('total_revenue', Math.round(user.totalRevenue * 100) / 100);
  }
  return out;
}

function dedupe(values: unknown[]): unknown[] {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const v of values) {
    const k = JSON.stringify(v) ?? 'undefined';
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(v);
  }
  return out;
}

function onlyKeys(v: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(v);
  return own.length > 0 && own.every((k) => keys.includes(k));
}

/** Appends `item`, dropping the oldest entries beyond `cap`. */
export function pushCapped<T>(list: T[], item: T, cap = RAW_HISTORY_CAP): void {
  list.push(item);
  // Trimmed back to `cap` an eighth of it at a time, not by one shift per push: a full history
  // would otherwise move its whole array for every event (the bench fills a user's in seconds).
  if (list.length > cap + Math.max(1, cap >> 3)) list.splice(0, list.length - cap);
}

/**
 * Counts `n` occurrences of `name`. A name not seen before is added; beyond `maxNames` names the
 * one first seen longest ago is forgotten (a bounded profile, oldest first).
 */
export function summarise(
  map: Map<string, OccurrenceSummary>,
  name: string,
  time: number,
  n: number,
  maxNames = Number.POSITIVE_INFINITY,
): void {
  const s = map.get(name);
  if (s === undefined) {
    map.set(name, { name, first: time, last: time, count: n });
    evictOldest(map, maxNames);
    return;
  }
  s.first = Math.min(s.first, time);
  s.last = Math.max(s.last, time);
  s.count += n;
}

/** Drops a Map's or Set's first-inserted entries until it holds at most `max`. */
export function evictOldest(collection: Map<string, unknown> | Set<string>, max: number): void {
  for (const key of collection.keys()) {
    if (collection.size <= max) return;
    collection.delete(key);
  }
}

export function combineSummaries(
  into: Map<string, OccurrenceSummary>,
  from: Map<string, OccurrenceSummary>,
): void {
  for (const s of from.values()) {
    const t = into.get(s.name);
    if (t === undefined) {
      into.set(s.name, { ...s });
      continue;
    }
    t.first = Math.min(t.first, s.first);
    t.last = Math.max(t.last, s.last);
    t.count += s.count;
  }
}

/** Two raw histories as one, in time order, still capped. */
export function mergeHistory<T extends { time: number }>(a: T[], b: T[], cap = RAW_HISTORY_CAP): T[] {
  const all = [...a, ...b].sort((x, y) => x.time - y.time);
  return all.length > cap ? all.slice(all.length - cap) : all;
}

function renderSummary(s: OccurrenceSummary): { name: string; first: string; last: string; count: number } {
  return {
    name: s.name,
    first: new Date(s.first).toISOString(),
    last: new Date(s.last).toISOString(),
    count: s.count,
  };
}

interface ObjectArrayUpdate {
  $identifier_key: string;
  $identifier_value: unknown;
  $new_object?: unknown;
}

function matchesIdentifier(item: unknown, op: unknown): op is ObjectArrayUpdate {
  return (
    isPlainObject(op) &&
    typeof op.$identifier_key === 'string' &&
    isPlainObject(item) &&
    item[op.$identifier_key] === op.$identifier_value
  );
}

/** One custom attribute operation (docs/braze-facts.md §3.1 "Custom attributes" and "Arrays of objects"). */
export function applyCustomAttribute(
  attrs: Record<string, unknown>,
  key: string,
  value: unknown,
  mergeObjects: boolean,
): void {
  if (value === null) {
    delete attrs[key];
    return;
  }
  if (Array.isArray(value)) {
    attrs[key] = dedupe(structuredClone(value));
    return;
  }
  if (!isPlainObject(value)) {
    attrs[key] = value;
    return;
  }
  const current = attrs[key];
  const currentArray = Array.isArray(current) ? current : [];
  if (onlyKeys(value, ['inc'])) {
    attrs[key] = (typeof current === 'number' ? current : 0) + (value.inc as number);
    return;
  }
  if (onlyKeys(value, ['add', 'remove'])) {
    // Add first, then remove: a value named in both ends up absent.
    const added = dedupe([...currentArray, ...((value.add as unknown[] | undefined) ?? [])]);
    const removed = new Set(((value.remove as unknown[] | undefined) ?? []).map((v) => JSON.stringify(v)));
    attrs[key] = added.filter((v) => !removed.has(JSON.stringify(v)));
    return;
  }
  if (onlyKeys(value, ['$add', '$update', '$remove'])) {
    let next = [...currentArray];
    if (Array.isArray(value.$add)) next.push(...structuredClone(value.$add));
    if (Array.isArray(value.$update)) {
      for (const op of value.$update) {
        next = next.map((item) => {
          if (!matchesIdentifier(item, op) || !isPlainObject(op.$new_object)) return item;
          return { ...(item as Record<string, unknown>), ...structuredClone(op.$new_object) };
        });
      }
    }
    if (Array.isArray(value.$remove)) {
      const ops: unknown[] = value.$remove;
      next = next.filter((item) => !ops.some((op) => matchesIdentifier(item, op)));
    }
    attrs[key] = next;
    return;
  }
  // A nested custom attribute object: replaced unless `_merge_objects` asks for a merge.
  attrs[key] =
    mergeObjects && isPlainObject(current)
      ? { ...current, ...structuredClone(value) }
      : structuredClone(value);
}
