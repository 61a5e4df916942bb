import type { RateGroupName } from '../budget/groups.js';

/**
 * Every Braze endpoint the gateway calls, one typed row each (docs/braze-facts.md §2–§3). The upstream
 * client reads this table and nothing else: method, path, rate group, per-request maxima.
 */
export interface EndpointSpec {
  method: 'GET' | 'POST';
  path: string;
  /** The rate-limit group a request counts in. */
  group: RateGroupName;
  /** For messaging: the group a broadcast request (segment, filters, audience) counts in. */
  broadcastGroup?: RateGroupName;
  /** Most identifiers (or objects) one request may carry; /users/track's depends on the contract. */
  maxItems?: number;
  /** The Braze API key permission the endpoint needs (docs/braze-facts.md §1.2). */
  permission: string;
  /** List endpoints: items per page (a shorter page is the last). */
  pageSize?: number;
  /** Data series: the most units (days, or hours where Braze takes `unit`) one request may span. */
  seriesMaxLength?: number;
  /**
   * A 429 while Braze still reports room in the group means one resource of this endpoint is
   * busy (a segment already being exported, docs/braze-facts.md §3.17), not a spent window: the
   * request is not retried and the group's budget is only reconciled, not emptied.
   */
  busyOn429?: true;
}

function row(
  method: EndpointSpec['method'],
  path: string,
  group: RateGroupName,
  extra: Partial<Omit<EndpointSpec, 'method' | 'path' | 'group'>> = {},
): EndpointSpec {
  return { method, path, group, permission: path.slice(1).replace(/\//g, '.'), ...extra };
}

export const ENDPOINTS = {
  'users.track': row('POST', '/users/track', 'users.track'),
  'users.export.ids': row('POST', '/users/export/ids', 'users.export.ids', { maxItems: 50 }),
  'users.delete': row('POST', '/users/delete', 'users.identity', { maxItems: 50 }),
  'users.alias.new': row('POST', '/users/alias/new', 'users.identity', { maxItems: 50 }),
  'users.alias.update': row('POST', '/users/alias/update', 'users.identity', { maxItems: 50 }),
  'users.identify': row('POST', '/users/identify', 'users.identity', { maxItems: 50 }),
  'users.merge': row('POST', '/users/merge', 'users.identity', { maxItems: 50 }),
  'users.external_ids.rename': row('POST', '/users/external_ids/rename', 'users.external_ids.rename', {
    maxItems: 50,
  }),
  'users.external_ids.remove': row('POST', '/users/external_ids/remove', 'users.external_ids.remove', {
    maxItems: 50,
  }),
  'events.list': row('GET', '/events/list', 'catalog.lists', { pageSize: 250 }),
  'purchases.product_list': row('GET', '/purchases/product_list', 'catalog.lists'),
  'messages.send': row('POST', '/messages/send', 'default', {
    broadcastGroup: 'messaging.broadcast',
    maxItems: 50,
  }),
  'campaigns.trigger.send': row('POST', '/campaigns/trigger/send', 'default', {
    broadcastGroup: 'messaging.broadcast',
    maxItems: 50,
  }),
  'canvas.trigger.send': row('POST', '/canvas/trigger/send', 'default', {
    broadcastGroup: 'messaging.broadcast',
    maxItems: 50,
  }),
  'sends.id.create': row('POST', '/sends/id/create', 'sends.id.create'),
  'subscription.status.set': row('POST', '/subscription/status/set', 'subscription.status.set', {
    maxItems: 50,
  }),
  'subscription.status.set.v2': row('POST', '/v2/subscription/status/set', 'subscription.status.set', {
    maxItems: 50,
    permission: 'subscription.status.set',
  }),
  'subscription.user.status': row('GET', '/subscription/user/status', 'default', {
    maxItems: 50,
    permission: 'subscription.groups.get',
  }),
  'campaigns.list': row('GET', '/campaigns/list', 'default', { pageSize: 100 }),
  'campaigns.details': row('GET', '/campaigns/details', 'default'),
  'canvas.list': row('GET', '/canvas/list', 'default', { pageSize: 100 }),
  'canvas.details': row('GET', '/canvas/details', 'default'),
  'segments.list': row('GET', '/segments/list', 'default', { pageSize: 100 }),
  'segments.details': row('GET', '/segments/details', 'default'),
  // Scheduled messages (docs/braze-facts.md §3.18). A create is one request, one schedule id: at
  // most 50 named users or recipients. Scheduled trigger broadcasts count in messaging.broadcast
  // (§2 row 6); /messages/schedule/create is listed in row 8 only (C-16), like updates, deletes
  // and the list.
  'messages.schedule.create': row('POST', '/messages/schedule/create', 'default', { maxItems: 50 }),
  'messages.schedule.update': row('POST', '/messages/schedule/update', 'default'),
  'messages.schedule.delete': row('POST', '/messages/schedule/delete', 'default'),
  'campaigns.trigger.schedule.create': row('POST', '/campaigns/trigger/schedule/create', 'default', {
    broadcastGroup: 'messaging.broadcast',
    maxItems: 50,
  }),
  'campaigns.trigger.schedule.update': row('POST', '/campaigns/trigger/schedule/update', 'default'),
  'campaigns.trigger.schedule.delete': row('POST', '/campaigns/trigger/schedule/delete', 'default'),
  'canvas.trigger.schedule.create': row('POST', '/canvas/trigger/schedule/create', 'default', {
    broadcastGroup: 'messaging.broadcast',
    maxItems: 50,
  }),
  'canvas.trigger.schedule.update': row('POST', '/canvas/trigger/schedule/update', 'default'),
  'canvas.trigger.schedule.delete': row('POST', '/canvas/trigger/schedule/delete', 'default'),
  'messages.scheduled_broadcasts': row('GET', '/messages/scheduled_broadcasts', 'default', {
    permission: 'messages.schedule_broadcasts',
  }),
  // Email and SMS list hygiene (docs/braze-facts.md §3.19), all in the default group (§2 row 8).
  // Reads page with `limit` (at most 500) and `offset`; writes take up to 50 addresses or numbers.
  // Two permissions are not spelled like their paths: `email.unsubscribe` and, for the current
  // /email/blocklist (the deprecated /email/blacklist is never called), `email.blacklist`.
  'email.hard_bounces': row('GET', '/email/hard_bounces', 'default', { pageSize: 500 }),
  'email.unsubscribes': row('GET', '/email/unsubscribes', 'default', {
    pageSize: 500,
    permission: 'email.unsubscribe',
  }),
  'email.status': row('POST', '/email/status', 'default', { maxItems: 50 }),
  'email.bounce.remove': row('POST', '/email/bounce/remove', 'default', { maxItems: 50 }),
  'email.spam.remove': row('POST', '/email/spam/remove', 'default', { maxItems: 50 }),
  'email.blocklist': row('POST', '/email/blocklist', 'default', {
    maxItems: 50,
    permission: 'email.blacklist',
  }),
  'sms.invalid_phone_numbers': row('GET', '/sms/invalid_phone_numbers', 'default', {
    pageSize: 500,
    maxItems: 50,
  }),
  'sms.invalid_phone_numbers.remove': row('POST', '/sms/invalid_phone_numbers/remove', 'default', {
    maxItems: 50,
  }),
  // Analytics (docs/braze-facts.md §3.20): one GET each, answers cached (src/analytics).
  'kpi.dau.data_series': row('GET', '/kpi/dau/data_series', 'default', { seriesMaxLength: 100 }),
  'kpi.mau.data_series': row('GET', '/kpi/mau/data_series', 'default', { seriesMaxLength: 100 }),
  'kpi.new_users.data_series': row('GET', '/kpi/new_users/data_series', 'default', {
    seriesMaxLength: 100,
  }),
  'kpi.uninstalls.data_series': row('GET', '/kpi/uninstalls/data_series', 'default', {
    seriesMaxLength: 100,
  }),
  'sessions.data_series': row('GET', '/sessions/data_series', 'default', { seriesMaxLength: 100 }),
  'events.data_series': row('GET', '/events/data_series', 'default', { seriesMaxLength: 100 }),
  'segments.data_series': row('GET', '/segments/data_series', 'default', { seriesMaxLength: 100 }),
  'campaigns.data_series': row('GET', '/campaigns/data_series', 'campaigns.data_series', {
    seriesMaxLength: 100,
  }),
  'sends.data_series': row('GET', '/sends/data_series', 'default', { seriesMaxLength: 100 }),
  'canvas.data_series': row('GET', '/canvas/data_series', 'default', { seriesMaxLength: 14 }),
  'canvas.data_summary': row('GET', '/canvas/data_summary', 'default', { seriesMaxLength: 14 }),
  // Segment exports (docs/braze-facts.md §3.21): one export per segment at a time.
  'users.export.segment': row('POST', '/users/export/segment', 'default', { busyOn429: true }),
} as const satisfies Record<string, EndpointSpec>;

export type EndpointName = keyof typeof ENDPOINTS;

const BY_PATH = new Map<string, EndpointName>(
  (Object.keys(ENDPOINTS) as EndpointName[]).map((name) => [ENDPOINTS[name].path, name]),
);

/** Most identifiers one request to `name` may carry; an endpoint with no listed maximum takes one. */
export function maxItemsOf(name: EndpointName): number {
  const spec: EndpointSpec = ENDPOINTS[name];
  return spec.maxItems ?? 1;
}

/** The endpoint row for a request path, or undefined for a path the gateway does not know. */
export function endpointForPath(path: string): EndpointName | undefined {
  return BY_PATH.get(path);
}

/**
 * Whether a messaging body targets a segment, filters or a connected audience rather than named
 * users (docs/braze-facts.md §2 row 6): such calls count in `messaging.broadcast`. A call that names its
 * recipients (`external_user_ids`, `user_aliases`, `recipients`) is not a broadcast, even when a
 * `segment_id` or `audience` narrows it: it counts in the default bucket.
 */
export function isBroadcastBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  const named = [b.external_user_ids, b.user_aliases, b.recipients].some(
    (list) => Array.isArray(list) && list.length > 0,
  );
  if (named) return false;
  // A null segment or audience targets nothing (it is absent, as Braze reads JSON null).
  return b.broadcast === true || b.segment_id != null || b.audience != null;
}

/**
 * A broadcast's unique audience (docs/braze-facts.md §2 row 6): the campaign or canvas, plus the segment or
 * filters, plus the connected-audience object. Canonical JSON, so equal audiences match.
 */
export function broadcastAudience(body: unknown): string | undefined {
  if (!isBroadcastBody(body)) return undefined;
  const b = body as Record<string, unknown>;
  return canonicalJson({
    campaign: b.campaign_id ?? null,
    canvas: b.canvas_id ?? null,
    segment: b.segment_id ?? null,
    audience: b.audience ?? null,
  });
}

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
