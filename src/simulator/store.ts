import { randomBytes, randomInt } from 'node:crypto';
import type { WireExportedUser, WireUserAlias } from '../braze/wire.js';
import { isPlainObject, type TrackIdentifier } from './validate.js';

/**
 * The simulator's in-memory users. It applies valid /users/track objects the way Braze does
 * (facts §3.1) and renders users as /users/export/ids returns them (facts §3.10).
 */

/** Profile fields Braze stores as such rather than as custom attributes (facts §3.1). */
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
const STANDARD_SET: ReadonlySet<string> = new Set(STANDARD_FIELDS);

/**
 * Keys of an attributes object that are neither a stored profile field nor a custom attribute:
 * identifiers, flags, and documented profile fields the simulator accepts but does not keep.
 */
const NOT_CUSTOM: ReadonlySet<string> = new Set([
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

/** Every name `fields_to_export` accepts (facts §3.10), including ones the simulator leaves empty. */
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

export interface SimUser {
  brazeId: string;
  externalId?: string;
  aliases: WireUserAlias[];
  createdAt: number;
  updatedAt: number;
  profile: Partial<Record<StandardField, unknown>>;
  customAttributes: Record<string, unknown>;
  events: Map<string, OccurrenceSummary>;
  purchases: Map<string, OccurrenceSummary>;
  /** The most recent raw events and purchases, at most RAW_HISTORY_CAP of each. */
  recentEvents: RawEvent[];
  recentPurchases: RawPurchase[];
  totalRevenue: number;
  randomBucket: number;
}

function aliasKey(a: WireUserAlias): string {
  // NUL cannot occur in a JSON-decoded label typed by a person, so the key is unambiguous.
  return `${a.alias_label}\u0000${a.alias_name}`;
}

function addToIndex(index: Map<string, Set<SimUser>>, key: string, user: SimUser): void {
  let set = index.get(key);
  if (set === undefined) index.set(key, (set = new Set()));
  set.add(user);
}

function removeFromIndex(index: Map<string, Set<SimUser>>, key: string, user: SimUser): void {
  const set = index.get(key);
  if (set === undefined) return;
  set.delete(user);
  if (set.size === 0) index.delete(key);
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

function pushCapped<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > RAW_HISTORY_CAP) list.splice(0, list.length - RAW_HISTORY_CAP);
}

function summarise(map: Map<string, OccurrenceSummary>, name: string, time: number, n: number): void {
  const s = map.get(name);
  if (s === undefined) {
    map.set(name, { name, first: time, last: time, count: n });
    return;
  }
  s.first = Math.min(s.first, time);
  s.last = Math.max(s.last, time);
  s.count += n;
}

export class SimulatorStore {
  private readonly byBrazeId = new Map<string, SimUser>();
  private readonly byExternal = new Map<string, SimUser>();
  private readonly byAliasKey = new Map<string, SimUser>();
  // Email and phone are not unique in Braze: several profiles may share one.
  private readonly byEmailIndex = new Map<string, Set<SimUser>>();
  private readonly byPhoneIndex = new Map<string, Set<SimUser>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Number of users. */
  get size(): number {
    return this.byBrazeId.size;
  }

  /** All users, in creation order. */
  all(): SimUser[] {
    return [...this.byBrazeId.values()];
  }

  byExternalId(id: string): SimUser | undefined {
    return this.byExternal.get(id);
  }

  byBraze(id: string): SimUser | undefined {
    return this.byBrazeId.get(id);
  }

  byAlias(alias: WireUserAlias): SimUser | undefined {
    return this.byAliasKey.get(aliasKey(alias));
  }

  byEmail(email: string): SimUser[] {
    return [...(this.byEmailIndex.get(email) ?? [])];
  }

  byPhone(phone: string): SimUser[] {
    return [...(this.byPhoneIndex.get(phone) ?? [])];
  }

  clear(): void {
    this.byBrazeId.clear();
    this.byExternal.clear();
    this.byAliasKey.clear();
    this.byEmailIndex.clear();
    this.byPhoneIndex.clear();
  }

  /**
   * The user an identifier names, created when missing and `create` is true. A `braze_id` never
   * creates a user (Braze assigns those). Where several profiles share an email or phone, the one
   * with an external_id wins, then the most recently updated (facts §3.1).
   */
  resolve(id: TrackIdentifier, create: boolean): SimUser | undefined {
    switch (id.kind) {
      case 'external_id': {
        const found = this.byExternal.get(id.value);
        if (found !== undefined || !create) return found;
        const user = this.newUser();
        user.externalId = id.value;
        this.byExternal.set(id.value, user);
        return user;
      }
      case 'braze_id':
        return this.byBrazeId.get(id.value);
      case 'user_alias': {
        const found = this.byAlias(id.value);
        if (found !== undefined || !create) return found;
        const user = this.newUser();
        this.addAlias(user, id.value);
        return user;
      }
      case 'email':
      case 'phone': {
        const found = pickPreferred(id.kind === 'email' ? this.byEmail(id.value) : this.byPhone(id.value));
        if (found !== undefined || !create) return found;
        const user = this.newUser();
        this.setProfile(user, id.kind, id.value);
        return user;
      }
    }
  }

  /** Attaches an alias to a user (one alias name per label and user, as in Braze). */
  addAlias(user: SimUser, alias: WireUserAlias): void {
    const existing = user.aliases.find((a) => a.alias_label === alias.alias_label);
    if (existing !== undefined) this.byAliasKey.delete(aliasKey(existing));
    user.aliases = user.aliases.filter((a) => a.alias_label !== alias.alias_label);
    const copy = { alias_name: alias.alias_name, alias_label: alias.alias_label };
    user.aliases.push(copy);
    this.byAliasKey.set(aliasKey(copy), user);
  }

  /** Applies one valid attributes object to its user. */
  applyAttributes(user: SimUser, obj: Record<string, unknown>): void {
    const merge = obj._merge_objects === true;
    for (const [key, value] of Object.entries(obj)) {
      if (NOT_CUSTOM.has(key)) continue;
      if (STANDARD_SET.has(key)) {
        this.setProfile(user, key as StandardField, value);
        continue;
      }
      applyCustomAttribute(user.customAttributes, key, value, merge);
    }
    user.updatedAt = this.now();
  }

  /** Records one valid event; times in the future are clamped to now, as Braze does. */
  applyEvent(user: SimUser, obj: Record<string, unknown>, timeMs: number): void {
    const time = Math.min(timeMs, this.now());
    const name = obj.name as string;
    summarise(user.events, name, time, 1);
    const raw: RawEvent = { name, time };
    if (typeof obj.app_id === 'string') raw.app_id = obj.app_id;
    if (isPlainObject(obj.properties)) raw.properties = structuredClone(obj.properties);
    pushCapped(user.recentEvents, raw);
    user.updatedAt = this.now();
  }

  /** Records one valid purchase; quantity X counts as X purchases (facts §3.1). */
  applyPurchase(user: SimUser, obj: Record<string, unknown>, timeMs: number): void {
    const time = Math.min(timeMs, this.now());
    const productId = obj.product_id as string;
    const quantity = typeof obj.quantity === 'number' ? obj.quantity : 1;
    const price = obj.price as number;
    summarise(user.purchases, productId, time, quantity);
    user.totalRevenue += price * quantity;
    const raw: RawPurchase = {
      product_id: productId,
      currency: obj.currency as string,
      price,
      quantity,
      time,
    };
    if (typeof obj.app_id === 'string') raw.app_id = obj.app_id;
    if (isPlainObject(obj.properties)) raw.properties = structuredClone(obj.properties);
    pushCapped(user.recentPurchases, raw);
    user.updatedAt = this.now();
  }

  /**
   * A user as /users/export/ids returns it: only fields that have a value, restricted to
   * `fields` when given. Values are copies, so callers cannot change the store through them.
   */
  exportUser(user: SimUser, fields?: ReadonlySet<string>): WireExportedUser {
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

  private newUser(): SimUser {
    const t = this.now();
    let brazeId: string;
    do brazeId = randomBytes(12).toString('hex');
    while (this.byBrazeId.has(brazeId));
    const user: SimUser = {
      brazeId,
      aliases: [],
      createdAt: t,
      updatedAt: t,
      profile: {},
      customAttributes: {},
      events: new Map(),
      purchases: new Map(),
      recentEvents: [],
      recentPurchases: [],
      totalRevenue: 0,
      randomBucket: randomInt(0, 10_000),
    };
    this.byBrazeId.set(brazeId, user);
    return user;
  }

  private setProfile(user: SimUser, field: StandardField, value: unknown): void {
    const index = field === 'email' ? this.byEmailIndex : field === 'phone' ? this.byPhoneIndex : undefined;
    const old = user.profile[field];
    if (index !== undefined && typeof old === 'string') removeFromIndex(index, old, user);
    if (value === null || value === undefined) {
      delete user.profile[field];
      return;
    }
    user.profile[field] = value;
    if (index !== undefined && typeof value === 'string') addToIndex(index, value, user);
  }
}

function pickPreferred(candidates: SimUser[]): SimUser | undefined {
  let best: SimUser | undefined;
  for (const u of candidates) {
    if (best === undefined) best = u;
    else if ((u.externalId !== undefined) !== (best.externalId !== undefined)) {
      if (u.externalId !== undefined) best = u;
    } else if (u.updatedAt > best.updatedAt) best = u;
  }
  return best;
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

/** One custom attribute operation (facts §3.1 "Custom attributes" and "Arrays of objects"). */
function applyCustomAttribute(
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
