/**
 * Braze's rules as the simulator enforces them: which path counts in which rate-limit group, each
 * group's default limit and window, the contract profiles, the per-request maxima, what makes a
 * send a broadcast and what makes two broadcasts the same audience.
 *
 * This is the simulator's own copy, written from docs/braze-facts.md (§2, §2.1, §3.11–§3.17), and
 * deliberately not imported from the gateway's tables (src/braze/endpoints.ts,
 * src/braze/contracts.ts, src/budget/groups.ts). The simulator is what the gateway is tested
 * against: were it to read the gateway's rows, a wrong row would agree with itself and pass every
 * test. test/simulator.rules.test.ts keeps this file and those tables in step (a difference fails
 * a test, on whichever side the mistake is) and keeps src/simulator free of runtime imports from
 * src/braze, src/budget and src/security.
 */

/** A rate limit: `limit` requests per fixed window of `windowSec` seconds. */
export interface RateLimit {
  limit: number;
  windowSec: number;
}

const MINUTE = 60;
const HOUR = 3_600;
const DAY = 86_400;

/**
 * Braze's rate-limit groups (docs/braze-facts.md §2). Each is one shared bucket per workspace; the
 * names are the ones the simulator's options, admin routes and recorded requests use.
 */
export const RATE_GROUPS = [
  'users.track', // row 1
  'users.export.ids', // row 2
  'catalog.lists', // row 3
  'users.identity', // row 4
  'users.external_ids.rename', // row 5 (its own bucket: C-3)
  'users.external_ids.remove', // row 5 (its own bucket: C-3)
  'messaging.broadcast', // row 6
  'sends.id.create', // row 7
  'subscription.status.set', // row 9
  'campaigns.data_series', // row 10: /campaigns/data_series alone
  'default', // row 8: everything else
] as const;

export type RateGroup = (typeof RATE_GROUPS)[number];

export function isRateGroup(name: string): name is RateGroup {
  return (RATE_GROUPS as readonly string[]).includes(name);
}

/**
 * Each group's default: the seed's value (Braze's French "API overview"), or the current docs'
 * where the seed has no row (docs/braze-facts.md §2). A contract changes `users.track`; a workspace
 * may be given other limits through `SimulatorOptions.rateLimits`.
 */
export const DEFAULT_LIMITS: Readonly<Record<RateGroup, Readonly<RateLimit>>> = {
  // Row 1: the seed's 50,000/min (until 2024-10-27); contracts change it, see CONTRACTS.
  'users.track': { limit: 50_000, windowSec: MINUTE },
  // Row 2: 2,500/min for workspaces onboarded before 2024-08-22 (250/min after; C-11).
  'users.export.ids': { limit: 2_500, windowSec: MINUTE },
  // Row 3: 1,000/hour shared by /events/list and /purchases/product_list.
  'catalog.lists': { limit: 1_000, windowSec: HOUR },
  // Row 4: 20,000/min shared by delete, alias/new, alias/update, identify and merge.
  'users.identity': { limit: 20_000, windowSec: MINUTE },
  // Row 5: 1,000/min for rename and 1,000/min for remove, two rows (C-3).
  'users.external_ids.rename': { limit: 1_000, windowSec: MINUTE },
  'users.external_ids.remove': { limit: 1_000, windowSec: MINUTE },
  // Row 6: 250/min across all audiences (plus PER_AUDIENCE_LIMIT per unique audience).
  'messaging.broadcast': { limit: 250, windowSec: MINUTE },
  // Row 7: 100/day per workspace.
  'sends.id.create': { limit: 100, windowSec: DAY },
  // Row 9: 5,000/min, shared by v1 and v2.
  'subscription.status.set': { limit: 5_000, windowSec: MINUTE },
  // Row 10: 50,000/min for /campaigns/data_series, a bucket of its own.
  'campaigns.data_series': { limit: 50_000, windowSec: MINUTE },
  // Row 8: 250,000/hour shared by every endpoint without a bucket of its own.
  default: { limit: 250_000, windowSec: HOUR },
};

/**
 * The second broadcast limit (docs/braze-facts.md §2 row 6, C-12): at most 10 broadcast requests per
 * minute per unique audience, whichever of this and the group's 250/min runs out first.
 */
export const PER_AUDIENCE_LIMIT: Readonly<RateLimit> = { limit: 10, windowSec: MINUTE };

/**
 * Start of the fixed window containing `nowMs`. Braze's windows are aligned to the clock, not
 * rolling: a minute window resets at :00 seconds, an hour window on the hour (docs/braze-facts.md
 * §2, §4.2). The window ends (`X-RateLimit-Reset`) one `windowSec` later.
 */
export function fixedWindowStartMs(nowMs: number, windowSec: number): number {
  const windowMs = windowSec * 1000;
  return nowMs - (((nowMs % windowMs) + windowMs) % windowMs);
}

/** /users/track's per-request maxima under one contract (docs/braze-facts.md §2.1, C-10). */
export interface TrackCapacity {
  /** Most objects in one of `attributes`, `events` or `purchases`. */
  perArray: number;
  /** Most objects across the three arrays together. */
  total: number;
}

export const CONTRACT_NAMES = ['legacy', 'current', 'mau'] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export function isContractName(name: string): name is ContractName {
  return (CONTRACT_NAMES as readonly string[]).includes(name);
}

export interface ContractRules {
  track: TrackCapacity;
  /** The contract's `users.track` limit. */
  trackLimit: Readonly<RateLimit>;
}

/** What differs between Braze contract models (docs/braze-facts.md §2 row 1, §2.1, C-10). */
export const CONTRACTS: Readonly<Record<ContractName, Readonly<ContractRules>>> = {
  // The seed and legacy-limit customers: 75 per array (225 in all), 50,000 requests / minute.
  legacy: { track: { perArray: 75, total: 225 }, trackLimit: DEFAULT_LIMITS['users.track'] },
  // Data-point pricing: 75 objects in total, a burst limit of 3,000 requests per 3 seconds.
  current: { track: { perArray: 75, total: 75 }, trackLimit: { limit: 3_000, windowSec: 3 } },
  // MAU CY24-25 contracts: 50 objects in total, plus a burst limit per 3 seconds whose size the
  // facts do not give; the simulator assumes the data-point contracts' 3,000.
  mau: { track: { perArray: 50, total: 50 }, trackLimit: { limit: 3_000, windowSec: 3 } },
};

/** Every group's limit for a workspace on `contract`: the defaults, the contract's, then `overrides`. */
export function limitsFor(
  contract: ContractName,
  overrides: Partial<Record<RateGroup, RateLimit>> = {},
): Record<RateGroup, RateLimit> {
  const limits = {} as Record<RateGroup, RateLimit>;
  for (const group of RATE_GROUPS) {
    const base = group === 'users.track' ? CONTRACTS[contract].trackLimit : DEFAULT_LIMITS[group];
    limits[group] = { ...(overrides[group] ?? base) };
  }
  return limits;
}

/** The arrays of a /users/track body, in Braze's processing order (docs/braze-facts.md §2.1). */
export const TRACK_ARRAYS = ['attributes', 'events', 'purchases'] as const;
export type TrackArray = (typeof TRACK_ARRAYS)[number];

/** One simulated Braze endpoint. */
export interface EndpointRule {
  method: 'GET' | 'POST';
  path: string;
  /** The group a request counts in (docs/braze-facts.md §2). */
  group: RateGroup;
  /**
   * Messaging: a broadcast body (see `isBroadcast`) counts in `messaging.broadcast` instead, and
   * in its unique audience's window (docs/braze-facts.md §2 row 6).
   */
  broadcasts?: true;
  /**
   * Most identifiers, entries or recipients one request may carry (docs/braze-facts.md §2.1). Absent
   * where the endpoint takes no list, and for /users/track, whose maxima come from the contract.
   */
  maxPerRequest?: number;
  /** List endpoints: entries per 0-based page (docs/braze-facts.md §3.17). */
  pageSize?: number;
  /** Data series: the largest `length` (days, or hours where `unit` is taken) (docs/braze-facts.md §3.20). */
  seriesMaxLength?: number;
}

/** The 50 that caps every identity, export, messaging and subscription list (docs/braze-facts.md §2.1). */
const FIFTY = 50;

/**
 * The endpoints the simulator answers, keyed by Braze's permission-style name
 * (docs/braze-facts.md §1.2, §2, §2.1, §3). Each row is read from the facts, not from the gateway.
 */
export const ENDPOINT_RULES = {
  // §3.1, §2 row 1; per-request maxima from the contract.
  'users.track': { method: 'POST', path: '/users/track', group: 'users.track' },
  // §3.10, §2 row 2: 50 external_ids or 50 user_aliases.
  'users.export.ids': {
    method: 'POST',
    path: '/users/export/ids',
    group: 'users.export.ids',
    maxPerRequest: FIFTY,
  },
  // §3.3–§3.7, §2 row 4.
  'users.delete': { method: 'POST', path: '/users/delete', group: 'users.identity', maxPerRequest: FIFTY },
  'users.alias.new': {
    method: 'POST',
    path: '/users/alias/new',
    group: 'users.identity',
    maxPerRequest: FIFTY,
  },
  'users.alias.update': {
    method: 'POST',
    path: '/users/alias/update',
    group: 'users.identity',
    maxPerRequest: FIFTY,
  },
  'users.identify': {
    method: 'POST',
    path: '/users/identify',
    group: 'users.identity',
    maxPerRequest: FIFTY,
  },
  'users.merge': { method: 'POST', path: '/users/merge', group: 'users.identity', maxPerRequest: FIFTY },
  // §3.8–§3.9, §2 row 5.
  'users.external_ids.rename': {
    method: 'POST',
    path: '/users/external_ids/rename',
    group: 'users.external_ids.rename',
    maxPerRequest: FIFTY,
  },
  'users.external_ids.remove': {
    method: 'POST',
    path: '/users/external_ids/remove',
    group: 'users.external_ids.remove',
    maxPerRequest: FIFTY,
  },
  // §3.17, §2 row 3: /events/list pages hold 250 names. Braze documents no page size for
  // /purchases/product_list; 250 there is the simulator's own choice.
  'events.list': { method: 'GET', path: '/events/list', group: 'catalog.lists', pageSize: 250 },
  'purchases.product_list': {
    method: 'GET',
    path: '/purchases/product_list',
    group: 'catalog.lists',
    pageSize: 250,
  },
  // §3.11–§3.13, §2 rows 6 and 8: named sends count in `default`, broadcasts in their own group.
  // /messages/send: 50 external_user_ids and user_aliases together; triggers: 50 recipients.
  'messages.send': {
    method: 'POST',
    path: '/messages/send',
    group: 'default',
    broadcasts: true,
    maxPerRequest: FIFTY,
  },
  'campaigns.trigger.send': {
    method: 'POST',
    path: '/campaigns/trigger/send',
    group: 'default',
    broadcasts: true,
    maxPerRequest: FIFTY,
  },
  'canvas.trigger.send': {
    method: 'POST',
    path: '/canvas/trigger/send',
    group: 'default',
    broadcasts: true,
    maxPerRequest: FIFTY,
  },
  // §3.14, §2 row 7: one campaign (and send id) per request.
  'sends.id.create': { method: 'POST', path: '/sends/id/create', group: 'sends.id.create' },
  // §3.15, §2 row 9: v1 takes 50 ids of each kind; v2 50 per subscription group.
  'subscription.status.set': {
    method: 'POST',
    path: '/subscription/status/set',
    group: 'subscription.status.set',
    maxPerRequest: FIFTY,
  },
  'subscription.status.set.v2': {
    method: 'POST',
    path: '/v2/subscription/status/set',
    group: 'subscription.status.set',
    maxPerRequest: FIFTY,
  },
  // §3.16, §2 row 8: 1–50 ids of each kind; `limit` (users per page) at most and by default 100.
  'subscription.user.status': {
    method: 'GET',
    path: '/subscription/user/status',
    group: 'default',
    maxPerRequest: FIFTY,
    pageSize: 100,
  },
  // §3.17, §2 row 8: lists in pages of 100, details by id.
  'campaigns.list': { method: 'GET', path: '/campaigns/list', group: 'default', pageSize: 100 },
  'campaigns.details': { method: 'GET', path: '/campaigns/details', group: 'default' },
  'canvas.list': { method: 'GET', path: '/canvas/list', group: 'default', pageSize: 100 },
  'canvas.details': { method: 'GET', path: '/canvas/details', group: 'default' },
  'segments.list': { method: 'GET', path: '/segments/list', group: 'default', pageSize: 100 },
  'segments.details': { method: 'GET', path: '/segments/details', group: 'default' },
  // §3.18: scheduled messages. A create answers one schedule id for what it names, so it takes at
  // most 50 external_user_ids and user_aliases (as /messages/send) or 50 recipients (as the
  // triggers). §2 row 6 names the two scheduled-trigger creates as broadcast-capable; row 8 lists
  // /messages/schedule/create, the updates, the deletes and the list, whatever the body (C-16).
  'messages.schedule.create': {
    method: 'POST',
    path: '/messages/schedule/create',
    group: 'default',
    maxPerRequest: FIFTY,
  },
  'messages.schedule.update': { method: 'POST', path: '/messages/schedule/update', group: 'default' },
  'messages.schedule.delete': { method: 'POST', path: '/messages/schedule/delete', group: 'default' },
  'campaigns.trigger.schedule.create': {
    method: 'POST',
    path: '/campaigns/trigger/schedule/create',
    group: 'default',
    broadcasts: true,
    maxPerRequest: FIFTY,
  },
  'campaigns.trigger.schedule.update': {
    method: 'POST',
    path: '/campaigns/trigger/schedule/update',
    group: 'default',
  },
  'campaigns.trigger.schedule.delete': {
    method: 'POST',
    path: '/campaigns/trigger/schedule/delete',
    group: 'default',
  },
  'canvas.trigger.schedule.create': {
    method: 'POST',
    path: '/canvas/trigger/schedule/create',
    group: 'default',
    broadcasts: true,
    maxPerRequest: FIFTY,
  },
  'canvas.trigger.schedule.update': {
    method: 'POST',
    path: '/canvas/trigger/schedule/update',
    group: 'default',
  },
  'canvas.trigger.schedule.delete': {
    method: 'POST',
    path: '/canvas/trigger/schedule/delete',
    group: 'default',
  },
  'messages.scheduled_broadcasts': {
    method: 'GET',
    path: '/messages/scheduled_broadcasts',
    group: 'default',
  },
  // §3.19, §2 row 8: list hygiene. The reads take `limit` 1–500 (100 by default) and `offset`;
  // /sms/invalid_phone_numbers also up to 50 `phone_numbers[]`. The writes take one address or
  // number, or a list of up to 50.
  'email.hard_bounces': { method: 'GET', path: '/email/hard_bounces', group: 'default', pageSize: 500 },
  'email.unsubscribes': { method: 'GET', path: '/email/unsubscribes', group: 'default', pageSize: 500 },
  'email.status': { method: 'POST', path: '/email/status', group: 'default', maxPerRequest: FIFTY },
  'email.bounce.remove': {
    method: 'POST',
    path: '/email/bounce/remove',
    group: 'default',
    maxPerRequest: FIFTY,
  },
  'email.spam.remove': {
    method: 'POST',
    path: '/email/spam/remove',
    group: 'default',
    maxPerRequest: FIFTY,
  },
  'email.blocklist': { method: 'POST', path: '/email/blocklist', group: 'default', maxPerRequest: FIFTY },
  'sms.invalid_phone_numbers': {
    method: 'GET',
    path: '/sms/invalid_phone_numbers',
    group: 'default',
    maxPerRequest: FIFTY,
    pageSize: 500,
  },
  'sms.invalid_phone_numbers.remove': {
    method: 'POST',
    path: '/sms/invalid_phone_numbers/remove',
    group: 'default',
    maxPerRequest: FIFTY,
  },
  // §3.20, §2 rows 8 and 10: data series of 1 to 100 days (or hours), Canvases 1 to 14 days;
  // /campaigns/data_series alone has a bucket of its own.
  'kpi.dau.data_series': {
    method: 'GET',
    path: '/kpi/dau/data_series',
    group: 'default',
    seriesMaxLength: 100,
  },
  'kpi.mau.data_series': {
    method: 'GET',
    path: '/kpi/mau/data_series',
    group: 'default',
    seriesMaxLength: 100,
  },
  'kpi.new_users.data_series': {
    method: 'GET',
    path: '/kpi/new_users/data_series',
    group: 'default',
    seriesMaxLength: 100,
  },
  'kpi.uninstalls.data_series': {
    method: 'GET',
    path: '/kpi/uninstalls/data_series',
    group: 'default',
    seriesMaxLength: 100,
  },
  'sessions.data_series': {
    method: 'GET',
    path: '/sessions/data_series',
    group: 'default',
    seriesMaxLength: 100,
  },
  'events.data_series': {
    method: 'GET',
    path: '/events/data_series',
    group: 'default',
    seriesMaxLength: 100,
  },
  'segments.data_series': {
    method: 'GET',
    path: '/segments/data_series',
    group: 'default',
    seriesMaxLength: 100,
  },
  'campaigns.data_series': {
    method: 'GET',
    path: '/campaigns/data_series',
    group: 'campaigns.data_series',
    seriesMaxLength: 100,
  },
  'sends.data_series': { method: 'GET', path: '/sends/data_series', group: 'default', seriesMaxLength: 100 },
  'canvas.data_series': { method: 'GET', path: '/canvas/data_series', group: 'default', seriesMaxLength: 14 },
  'canvas.data_summary': {
    method: 'GET',
    path: '/canvas/data_summary',
    group: 'default',
    seriesMaxLength: 14,
  },
  // §3.21, §2 row 8: one export per segment at a time.
  'users.export.segment': { method: 'POST', path: '/users/export/segment', group: 'default' },
} as const satisfies Record<string, EndpointRule>;

export type EndpointName = keyof typeof ENDPOINT_RULES;

const NAME_AT_PATH: ReadonlyMap<string, EndpointName> = new Map(
  Object.entries(ENDPOINT_RULES).map(([name, rule]) => [rule.path, name as EndpointName]),
);

/** The simulated endpoint at `path`, or undefined for a path the simulator does not answer. */
export function endpointAt(path: string): EndpointName | undefined {
  return NAME_AT_PATH.get(path);
}

/** The most payload Braze accepts on most endpoints: 4 MB; above it, 413 (docs/braze-facts.md §2). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

type Fields = Record<string, unknown>;

const isFields = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A field that is there: JSON's null says "nothing" as much as a missing key does. */
const given = (b: Fields, key: string): boolean => b[key] !== undefined && b[key] !== null;

/** The body fields that name users (docs/braze-facts.md §2 row 6, §3.11, §3.12). */
const NAMED_RECIPIENT_FIELDS = ['external_user_ids', 'user_aliases', 'recipients'] as const;

/**
 * Whether a messaging body is a broadcast (docs/braze-facts.md §2 row 6, §3.11–§3.13): it targets
 * users broadly (`broadcast: true`, a segment, or a connected `audience` of filters) and names
 * nobody. A body that names users (`external_user_ids`, `user_aliases`, `recipients`) is not a
 * broadcast even when it also carries a `segment_id` or an `audience`: those only narrow the named
 * users (§3.11), and such a call counts in `default` (row 8), not in the broadcast group or any
 * audience's window.
 */
export function isBroadcast(body: unknown): boolean {
  if (!isFields(body)) return false;
  const namesUsers = NAMED_RECIPIENT_FIELDS.some((f) => {
    const list = body[f];
    return Array.isArray(list) && list.length > 0;
  });
  if (namesUsers) return false;
  return body.broadcast === true || given(body, 'segment_id') || given(body, 'audience');
}

/** The group a request to `endpoint` with `body` counts in (docs/braze-facts.md §2). */
export function groupOf(endpoint: EndpointName, body: unknown): RateGroup {
  const rule: EndpointRule = ENDPOINT_RULES[endpoint];
  return rule.broadcasts === true && isBroadcast(body) ? 'messaging.broadcast' : rule.group;
}

/** A JSON value with every object's keys in sorted order, so equal values print alike. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (!isFields(value)) return value;
  const out: Fields = {};
  for (const key of Object.keys(value).sort()) out[key] = sortedKeys(value[key]);
  return out;
}

/**
 * A broadcast's unique audience (docs/braze-facts.md §2 row 6, "What counts as the same unique
 * audience?"): the campaign or Canvas id, plus the segment (`segment_id`) or filters, plus the
 * connected `audience` object. Two broadcasts share a key exactly when they share all three;
 * key order inside `audience` does not matter. Undefined for a body that is not a broadcast.
 */
export function audienceKey(body: unknown): string | undefined {
  if (!isBroadcast(body) || !isFields(body)) return undefined;
  const part = (key: string): unknown => (given(body, key) ? sortedKeys(body[key]) : null);
  return JSON.stringify([part('campaign_id'), part('canvas_id'), part('segment_id'), part('audience')]);
}
