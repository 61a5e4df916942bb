import { randomBytes, randomInt } from 'node:crypto';
import type { WireExportedUser, WireUserAlias } from '../braze/wire.js';
import { ScheduleBook } from './schedules.js';
import { ContactLists } from './lists.js';
import { isPlainObject, type Prioritization, type TrackIdentifier } from './validate.js';
import {
  NOT_CUSTOM,
  RAW_HISTORY_CAP,
  STANDARD_FIELDS,
  STANDARD_SET,
  applyCustomAttribute,
  combineSummaries,
  evictOldest,
  exportUser,
  mergeHistory,
  pushCapped,
  summarise,
  type RawEvent,
  type RawPurchase,
  type SimUser,
  type StandardField,
  type SubscriptionState,
} from './profile.js';

/**
 * The simulator's in-memory users and their indexes (Braze id, external id, alias, email, phone).
 * It applies valid /users/track objects the way Braze does (docs/braze-facts.md §3.1; the
 * value-level rules live in profile.ts), carries out the identity operations (delete, alias,
 * identify, merge, external id rename/remove: docs/braze-facts.md §3.3–§3.9) and keeps what the
 * messaging routes did (dispatches, send ids, subscription states) and the email and SMS lists
 * (hard bounces, unsubscribes, spam, invalid numbers: docs/braze-facts.md §3.19).
 */

/** Which messaging endpoint produced a dispatch. */
export type DispatchEndpoint = 'messages.send' | 'campaigns.trigger.send' | 'canvas.trigger.send';

/** One user a dispatch reached. */
export interface DispatchRecipient {
  brazeId: string;
  externalId?: string;
  /** Campaign triggers: the top-level `trigger_properties` overridden by the recipient's own. */
  triggerProperties?: Record<string, unknown>;
  /** Canvas triggers: the top-level `context` overridden by the recipient's own. */
  context?: Record<string, unknown>;
}

/** One accepted send, as the messaging routes record it for tests to inspect. */
export interface Dispatch {
  endpoint: DispatchEndpoint;
  /** The 32-hex `dispatch_id` answered. */
  dispatchId: string;
  /** Simulator clock, epoch ms. */
  at: number;
  campaignId?: string;
  canvasId?: string;
  sendId?: string;
  /** True for `broadcast: true` (a segment, filters or connected audience, no named users). */
  broadcast: boolean;
  segmentId?: string;
  audience?: Record<string, unknown>;
  /** Named recipients that matched a user, de-duplicated, in request order. Empty for broadcasts. */
  recipients: DispatchRecipient[];
  /** Named recipients that matched no user and were skipped, as sent. */
  skipped: unknown[];
  /** `/campaigns/trigger/send`: the top-level `trigger_properties`. */
  triggerProperties?: Record<string, unknown>;
  /** `/canvas/trigger/send`: the top-level `context` (or legacy `canvas_entry_properties`). */
  context?: Record<string, unknown>;
  /** `/messages/send`: the `messages` object. */
  messages?: Record<string, unknown>;
}

/** One `/sends/id/create` call that succeeded. */
export interface SendIdRecord {
  campaignId: string;
  sendId: string;
  /** Simulator clock, epoch ms. */
  at: number;
}

/** Dispatches (and send ids) kept in `SimulatorStore` (the oldest are dropped). */
export const DISPATCH_HISTORY_CAP = 10_000;

/**
 * How much the store keeps, so that a simulator running for days (`npm start` with no Braze key)
 * stays within bounded memory. Beyond each bound the oldest goes first.
 */
export interface StoreLimits {
  /** Users in total; the user created longest ago is forgotten (with its ids and aliases). */
  maxUsers: number;
  /**
   * Per user: raw events and raw purchases kept (each), and distinct event names and product
   * ids counted (each). Also the custom event names and product ids `/events/list` and
   * `/purchases/product_list` remember, ×10.
   */
  maxHistoryPerUser: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = { maxUsers: 100_000, maxHistoryPerUser: RAW_HISTORY_CAP };

/** States set for an email or phone with no profile are inherited for 30 days (docs/braze-facts.md §3.15). */
export const PENDING_SUBSCRIPTION_MS = 30 * 24 * 3600 * 1000;

/** A profile's email subscription state, as `/email/status` sets it (docs/braze-facts.md §3.19). */
export type EmailSubscribeState = 'opted_in' | 'subscribed' | 'unsubscribed';

interface PendingSubscription {
  groupId: string;
  state: SubscriptionState;
  at: number;
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

export class SimulatorStore {
  private readonly byBrazeId = new Map<string, SimUser>();
  private readonly byExternal = new Map<string, SimUser>();
  private readonly byAliasKey = new Map<string, SimUser>();
  // Email and phone are not unique in Braze: several profiles may share one.
  private readonly byEmailIndex = new Map<string, Set<SimUser>>();
  private readonly byPhoneIndex = new Map<string, Set<SimUser>>();
  private readonly byDeprecated = new Map<string, SimUser>();
  // Braze keeps listing a custom event or product once seen, even after its users are deleted.
  private readonly eventNamesSeen = new Set<string>();
  private readonly productIdsSeen = new Set<string>();
  /** Keyed `email:<address>` / `phone:<number>`: states waiting for a profile to appear. */
  private readonly pending = new Map<string, PendingSubscription[]>();
  /** Email subscription states set for addresses no profile had yet, by address. */
  private readonly pendingEmailSubscribe = new Map<string, EmailSubscribeState>();

  /** Hard bounces, unsubscribes, spam reports and invalid phone numbers. */
  readonly lists = new ContactLists();

  /** Accepted sends, oldest first, at most DISPATCH_HISTORY_CAP. */
  readonly dispatches: Dispatch[] = [];
  /** Send ids created by `/sends/id/create`, oldest first, at most DISPATCH_HISTORY_CAP. */
  readonly sendIds: SendIdRecord[] = [];
  /** Scheduled sends not yet cancelled (docs/braze-facts.md §3.18). */
  readonly schedules = new ScheduleBook();

  readonly limits: StoreLimits;

  constructor(
    private readonly now: () => number = Date.now,
    limits: Partial<StoreLimits> = {},
  ) {
    this.limits = { ...DEFAULT_STORE_LIMITS, ...limits };
  }

  /** Users forgotten because the store was full (`StoreLimits.maxUsers`). */
  evictedUsers = 0;

  /** Number of users. */
  get size(): number {
    return this.byBrazeId.size;
  }

  /**
   * How many stored events carry each value of the property `property`, over every user's raw
   * history (for the soak test's exactly-once check: each event it sends has a unique value).
   * `truncated` is true when some user's history reached its cap (`maxHistoryPerUser`) or users
   * were forgotten (`maxUsers`), so older events may have been dropped and the counts may be short.
   */
  countEventsByProperty(property: string): { counts: Record<string, number>; truncated: boolean } {
    const counts = new Map<string, number>();
    let truncated = this.evictedUsers > 0;
    for (const user of this.byBrazeId.values()) {
      if (user.recentEvents.length >= this.limits.maxHistoryPerUser) truncated = true;
      for (const e of user.recentEvents) {
        const value = e.properties?.[property];
        if (typeof value !== 'string' && typeof value !== 'number') continue;
        const key = String(value);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    return { counts: Object.fromEntries(counts), truncated };
  }

  /** All users, in creation order. */
  all(): SimUser[] {
    return [...this.byBrazeId.values()];
  }

  /** The user with this external id, primary or deprecated (a deprecated id still works, docs/braze-facts.md §3.8). */
  byExternalId(id: string): SimUser | undefined {
    return this.byExternal.get(id) ?? this.byDeprecated.get(id);
  }

  /** Whether `id` is some user's primary external id, a deprecated one, or unused. */
  externalIdStatus(id: string): 'primary' | 'deprecated' | undefined {
    if (this.byExternal.has(id)) return 'primary';
    return this.byDeprecated.has(id) ? 'deprecated' : undefined;
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

  /** Custom event names tracked so far, users deleted since included. */
  get eventNames(): string[] {
    return [...this.eventNamesSeen];
  }

  /** Product ids purchased so far, users deleted since included. */
  get productIds(): string[] {
    return [...this.productIdsSeen];
  }

  /** Forgets users, seen names, dispatches, send ids and pending subscription states. */
  clear(): void {
    this.byBrazeId.clear();
    this.byExternal.clear();
    this.byAliasKey.clear();
    this.byEmailIndex.clear();
    this.byPhoneIndex.clear();
    this.byDeprecated.clear();
    this.eventNamesSeen.clear();
    this.productIdsSeen.clear();
    this.pending.clear();
    this.pendingEmailSubscribe.clear();
    this.lists.clear();
    this.dispatches.length = 0;
    this.sendIds.length = 0;
    this.schedules.clear();
  }

  /**
   * The user an identifier names, created when missing and `create` is true. A `braze_id` never
   * creates a user (Braze assigns those). Where several profiles share an email or phone, the one
   * with an external_id wins, then the most recently updated (docs/braze-facts.md §3.1).
   */
  resolve(id: TrackIdentifier, create: boolean): SimUser | undefined {
    switch (id.kind) {
      case 'external_id': {
        const found = this.byExternalId(id.value);
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
      if (key === 'subscription_groups' && Array.isArray(value)) this.applySubscriptionGroups(user, value);
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
    summarise(user.events, name, time, 1, this.limits.maxHistoryPerUser);
    this.remember(this.eventNamesSeen, name);
    const raw: RawEvent = { name, time };
    if (typeof obj.app_id === 'string') raw.app_id = obj.app_id;
    // The body was parsed for this request alone and nothing changes it: no copy needed.
    if (isPlainObject(obj.properties)) raw.properties = obj.properties;
    pushCapped(user.recentEvents, raw, this.limits.maxHistoryPerUser);
    user.updatedAt = this.now();
  }

  /** Records one valid purchase; quantity X counts as X purchases (docs/braze-facts.md §3.1). */
  applyPurchase(user: SimUser, obj: Record<string, unknown>, timeMs: number): void {
    const time = Math.min(timeMs, this.now());
    const productId = obj.product_id as string;
    const quantity = typeof obj.quantity === 'number' ? obj.quantity : 1;
    const price = obj.price as number;
    summarise(user.purchases, productId, time, quantity, this.limits.maxHistoryPerUser);
    this.remember(this.productIdsSeen, productId);
    user.totalRevenue += price * quantity;
    const raw: RawPurchase = {
      product_id: productId,
      currency: obj.currency as string,
      price,
      quantity,
      time,
    };
    if (typeof obj.app_id === 'string') raw.app_id = obj.app_id;
    // The body was parsed for this request alone and nothing changes it: no copy needed.
    if (isPlainObject(obj.properties)) raw.properties = obj.properties;
    pushCapped(user.recentPurchases, raw, this.limits.maxHistoryPerUser);
    user.updatedAt = this.now();
  }

  /**
   * The one profile `prioritization` selects among users sharing an email or phone (docs/braze-facts.md §1.3).
   * `identified` / `unidentified` prefer profiles with / without an external id (ignored when
   * none would be left), then `most_recently_updated` / `least_recently_updated` pick one.
   * Undefined when nothing matches or several profiles still do: Braze then does nothing.
   */
  pick(candidates: readonly SimUser[], prioritization: readonly Prioritization[] = []): SimUser | undefined {
    let left = [...candidates];
    for (const p of prioritization) {
      if (left.length <= 1) break;
      if (p === 'identified' || p === 'unidentified') {
        const kept = left.filter((u) => (u.externalId !== undefined) === (p === 'identified'));
        if (kept.length > 0) left = kept;
      } else {
        const sign = p === 'most_recently_updated' ? 1 : -1;
        left = [left.reduce((a, b) => ((b.updatedAt - a.updatedAt) * sign > 0 ? b : a))];
      }
    }
    return left.length === 1 ? left[0] : undefined;
  }

  /** Removes a user and every way to find it (docs/braze-facts.md §3.3: deletion is irreversible). */
  deleteUser(user: SimUser): void {
    if (this.byBrazeId.get(user.brazeId) !== user) return;
    this.byBrazeId.delete(user.brazeId);
    if (user.externalId !== undefined) deleteIfOwned(this.byExternal, user.externalId, user);
    for (const id of user.deprecatedExternalIds) deleteIfOwned(this.byDeprecated, id, user);
    for (const a of user.aliases) deleteIfOwned(this.byAliasKey, aliasKey(a), user);
    if (typeof user.profile.email === 'string') removeFromIndex(this.byEmailIndex, user.profile.email, user);
    if (typeof user.profile.phone === 'string') removeFromIndex(this.byPhoneIndex, user.profile.phone, user);
  }

  /**
   * `/users/alias/new`: adds an alias unless some user already has it or this user already has an
   * alias with that label (one name per label per user, docs/braze-facts.md §1.3). True when it was added.
   */
  attachAlias(user: SimUser, alias: WireUserAlias): boolean {
    if (this.byAlias(alias) !== undefined) return false;
    if (user.aliases.some((a) => a.alias_label === alias.alias_label)) return false;
    this.addAlias(user, alias);
    user.updatedAt = this.now();
    return true;
  }

  /** `/users/alias/update`: true when the old alias existed and the new name was free. */
  renameAlias(label: string, oldName: string, newName: string): boolean {
    const user = this.byAlias({ alias_label: label, alias_name: oldName });
    if (user === undefined || this.byAlias({ alias_label: label, alias_name: newName }) !== undefined) {
      return false;
    }
    this.byAliasKey.delete(aliasKey({ alias_label: label, alias_name: oldName }));
    const renamed = { alias_label: label, alias_name: newName };
    user.aliases = user.aliases.map((a) => (a.alias_label === label ? renamed : a));
    this.byAliasKey.set(aliasKey(renamed), user);
    user.updatedAt = this.now();
    return true;
  }

  /**
   * `/users/external_ids/rename`: `newId` becomes the primary id and the old one a deprecated id
   * that still finds the user. The caller has checked the rules of docs/braze-facts.md §3.8.
   */
  renameExternalId(user: SimUser, newId: string): void {
    const old = user.externalId;
    if (old === undefined) throw new TypeError('renameExternalId: the user has no external id');
    this.byExternal.delete(old);
    user.deprecatedExternalIds.push(old);
    this.byDeprecated.set(old, user);
    this.assignExternalId(user, newId);
  }

  /** `/users/external_ids/remove`: forgets a deprecated id; false when `id` is not one. */
  removeDeprecatedExternalId(id: string): boolean {
    const user = this.byDeprecated.get(id);
    if (user === undefined) return false;
    this.byDeprecated.delete(id);
    user.deprecatedExternalIds = user.deprecatedExternalIds.filter((d) => d !== id);
    return true;
  }

  /**
   * `/users/identify`: an anonymous profile gets `externalId`. When a user already has that id the
   * anonymous profile is merged into it and removed; otherwise the anonymous profile itself
   * becomes the identified user (it keeps its braze_id), as Braze does. Returns that user.
   */
  identify(anonymous: SimUser, externalId: string): SimUser {
    const target = this.byExternalId(externalId);
    if (target === undefined) {
      this.assignExternalId(anonymous, externalId);
      return anonymous;
    }
    this.mergeInto(anonymous, target);
    return target;
  }

  /**
   * Folds `from` into `into`, then deletes `from` (`/users/merge`, `/users/identify`). Profile
   * fields, custom attributes, subscription states and aliases are taken only where `into` has
   * none; event and purchase counts, first/last times and revenue are combined.
   */
  mergeInto(from: SimUser, into: SimUser): void {
    if (from === into) return;
    // Removed first, so the moved email, phone and aliases index `into` alone.
    this.deleteUser(from);
    for (const f of STANDARD_FIELDS) {
      if (into.profile[f] === undefined && from.profile[f] !== undefined)
        this.setProfile(into, f, from.profile[f]);
    }
    for (const [k, v] of Object.entries(from.customAttributes)) {
      if (!(k in into.customAttributes)) into.customAttributes[k] = v;
    }
    const cap = this.limits.maxHistoryPerUser;
    combineSummaries(into.events, from.events);
    combineSummaries(into.purchases, from.purchases);
    evictOldest(into.events, cap);
    evictOldest(into.purchases, cap);
    into.recentEvents = mergeHistory(into.recentEvents, from.recentEvents, cap);
    into.recentPurchases = mergeHistory(into.recentPurchases, from.recentPurchases, cap);
    into.totalRevenue += from.totalRevenue;
    for (const [g, state] of from.subscriptions)
      if (!into.subscriptions.has(g)) into.subscriptions.set(g, state);
    for (const a of from.aliases) {
      if (!into.aliases.some((b) => b.alias_label === a.alias_label) && this.byAlias(a) === undefined) {
        this.addAlias(into, a);
      }
    }
    into.createdAt = Math.min(into.createdAt, from.createdAt);
    into.updatedAt = this.now();
  }

  /** Keeps a created send id. */
  recordSendId(r: SendIdRecord): void {
    this.sendIds.push(r);
    if (this.sendIds.length > DISPATCH_HISTORY_CAP)
      this.sendIds.splice(0, this.sendIds.length - DISPATCH_HISTORY_CAP);
  }

  /** Sets a user's state in a subscription group. */
  setSubscription(user: SimUser, groupId: string, state: SubscriptionState): void {
    user.subscriptions.set(groupId, state);
    user.updatedAt = this.now();
  }

  /**
   * Sets the state for every profile with this email or phone; with no such profile the state
   * waits (30 days) for one to appear (docs/braze-facts.md §3.15).
   */
  setContactSubscription(
    kind: 'email' | 'phone',
    value: string,
    groupId: string,
    state: SubscriptionState,
  ): void {
    const users = kind === 'email' ? this.byEmail(value) : this.byPhone(value);
    for (const u of users) this.setSubscription(u, groupId, state);
    if (users.length > 0) return;
    const key = `${kind}:${value}`;
    const waiting = (this.pending.get(key) ?? []).filter((p) => p.groupId !== groupId);
    waiting.push({ groupId, state, at: this.now() });
    this.pending.delete(key);
    this.pending.set(key, waiting);
    evictOldest(this.pending, this.limits.maxUsers);
  }

  /**
   * `/email/status` and `/email/blocklist`: every profile with this address takes the email
   * subscription state; an address no profile has keeps it for the profile that gets it later
   * (docs/braze-facts.md §3.19).
   */
  setEmailSubscribe(email: string, state: EmailSubscribeState): void {
    const users = this.byEmail(email);
    for (const u of users) {
      u.profile.email_subscribe = state;
      u.updatedAt = this.now();
    }
    if (users.length === 0) {
      this.pendingEmailSubscribe.delete(email);
      this.pendingEmailSubscribe.set(email, state);
      evictOldest(this.pendingEmailSubscribe, this.limits.maxUsers);
    }
  }

  /** Keeps an accepted send for tests to inspect. */
  recordDispatch(d: Dispatch): void {
    this.dispatches.push(d);
    if (this.dispatches.length > DISPATCH_HISTORY_CAP) {
      this.dispatches.splice(0, this.dispatches.length - DISPATCH_HISTORY_CAP);
    }
  }

  /** A user as /users/export/ids returns it (see profile.ts `exportUser`). */
  exportUser(user: SimUser, fields?: ReadonlySet<string>): WireExportedUser {
    return exportUser(user, fields);
  }

  /** A name seen, kept among the most recent `maxHistoryPerUser` × 10 (re-seen moves it last). */
  private remember(seen: Set<string>, name: string): void {
    seen.delete(name);
    seen.add(name);
    evictOldest(seen, this.limits.maxHistoryPerUser * 10);
  }

  private newUser(): SimUser {
    // Full: forget the user created longest ago (Map order is creation order).
    for (const oldest of this.byBrazeId.values()) {
      if (this.byBrazeId.size < this.limits.maxUsers) break;
      this.deleteUser(oldest);
      this.evictedUsers += 1;
    }
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
      deprecatedExternalIds: [],
      subscriptions: new Map(),
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
    if (index !== undefined && typeof value === 'string') {
      addToIndex(index, value, user);
      this.inheritPending(user, `${field}:${value}`);
      const emailState = field === 'email' ? this.pendingEmailSubscribe.get(value) : undefined;
      if (emailState !== undefined) {
        this.pendingEmailSubscribe.delete(value);
        user.profile.email_subscribe = emailState;
      }
    }
  }

  private assignExternalId(user: SimUser, id: string): void {
    user.externalId = id;
    this.byExternal.set(id, user);
    user.updatedAt = this.now();
  }

  /** A new email or phone on a profile picks up states set for it within the last 30 days. */
  private inheritPending(user: SimUser, key: string): void {
    const states = this.pending.get(key);
    if (states === undefined) return;
    this.pending.delete(key);
    const since = this.now() - PENDING_SUBSCRIPTION_MS;
    for (const p of states) {
      if (p.at >= since && !user.subscriptions.has(p.groupId)) user.subscriptions.set(p.groupId, p.state);
    }
  }

  /** `/users/track` `subscription_groups`: `[{subscription_group_id, subscription_state}]`. */
  private applySubscriptionGroups(user: SimUser, entries: unknown[]): void {
    for (const e of entries) {
      if (!isPlainObject(e) || typeof e.subscription_group_id !== 'string') continue;
      if (e.subscription_state === 'subscribed' || e.subscription_state === 'unsubscribed') {
        user.subscriptions.set(e.subscription_group_id, e.subscription_state);
      }
    }
  }
}

function deleteIfOwned(index: Map<string, SimUser>, key: string, user: SimUser): void {
  if (index.get(key) === user) index.delete(key);
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
