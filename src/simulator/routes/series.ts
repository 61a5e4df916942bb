import type { Dispatch } from '../store.js';
import type { SimUser } from '../profile.js';
import { parseBrazeTime } from '../validate.js';
import { isResult, ok } from './common.js';
import { MSG_INVALID_SEGMENT } from './segmentsDetails.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * What the analytics GETs share (docs/braze-facts.md §3.20): the `length`, `ending_at` and
 * `unit` parameters, the time axis they describe, Braze's time labels, and the simulator's
 * reading of its own store as activity.
 *
 * The simulator has no sessions, installs or segment filters. It counts what it has: a user is
 * active in a unit when an event or purchase was tracked for them in it (one session per active
 * user per unit), new when created in it; a segment holds every user; uninstalls are 0. Messaging
 * statistics come from the dispatches the messaging routes recorded: each recipient is one send.
 */

export type Unit = 'day' | 'hour';

const UNIT_MS: Readonly<Record<Unit, number>> = { day: 86_400_000, hour: 3_600_000 };

// Simulator-made wording: Braze documents the ranges but not its messages.
const msgLength = (max: number): string => `'length' must be an integer between 1 and ${max}`;
export const MSG_ENDING_AT = "'ending_at' must be an ISO-8601 time";
export const MSG_UNIT = "'unit' must be 'day' or 'hour'";

/** The routed endpoint's longest series (brazeRules.ts `ENDPOINT_RULES`). */
function maxLengthOf(ctx: RouteContext): number {
  const max = ctx.rule.seriesMaxLength;
  if (max === undefined) throw new TypeError(`${ctx.rule.path} has no seriesMaxLength in ENDPOINT_RULES`);
  return max;
}

/** `length`: a whole number from 1 to the endpoint's maximum. */
export function lengthParam(ctx: RouteContext): number | RouteResult {
  const raw = ctx.query.get('length') ?? '';
  const max = maxLengthOf(ctx);
  const n = Number(raw);
  return /^\d+$/.test(raw) && n >= 1 && n <= max ? n : badRequest(msgLength(max));
}

/** An ISO-8601 time parameter; absent means `fallback`. */
export function timeParam(
  ctx: RouteContext,
  name: string,
  fallback: number | undefined,
): number | undefined | RouteResult {
  const raw = ctx.query.get(name);
  if (raw === null || raw === '') return fallback;
  return (
    parseBrazeTime(raw) ??
    badRequest(name === 'ending_at' ? MSG_ENDING_AT : `'${name}' must be an ISO-8601 time`)
  );
}

/** `ending_at`: the series' last point contains it; the time of the request by default. */
export function endingAtParam(ctx: RouteContext): number | RouteResult {
  return timeParam(ctx, 'ending_at', ctx.now()) as number | RouteResult;
}

/** `unit`: `day` (default) or `hour`, where the endpoint takes it. */
export function unitParam(ctx: RouteContext): Unit | RouteResult {
  const raw = ctx.query.get('unit');
  if (raw === null || raw === '' || raw === 'day') return 'day';
  return raw === 'hour' ? 'hour' : badRequest(MSG_UNIT);
}

/** Start of the UTC day or hour containing `ms`. */
export function unitStart(ms: number, unit: Unit): number {
  return ms - (((ms % UNIT_MS[unit]) + UNIT_MS[unit]) % UNIT_MS[unit]);
}

/** One point of a series: its unit's bounds [startMs, endMs). */
export interface Slot {
  startMs: number;
  endMs: number;
  /** Braze's label: an ISO date for days, ISO extended (no zone) for hours (docs/braze-facts.md §3.20). */
  time: string;
}

/** `length` units, oldest first, the last one containing `endingAtMs`. */
export function slots(endingAtMs: number, length: number, unit: Unit): Slot[] {
  const last = unitStart(endingAtMs, unit);
  return Array.from({ length }, (_, i) => {
    const startMs = last - (length - 1 - i) * UNIT_MS[unit];
    const iso = new Date(startMs).toISOString();
    return {
      startMs,
      endMs: startMs + UNIT_MS[unit],
      time: unit === 'day' ? iso.slice(0, 10) : iso.slice(0, 19),
    };
  });
}

/** The days from the one containing `fromMs` to the one containing `toMs`, oldest first. */
export function daysBetween(fromMs: number, toMs: number): Slot[] {
  const days = Math.floor((unitStart(toMs, 'day') - unitStart(fromMs, 'day')) / UNIT_MS.day) + 1;
  return days < 1 ? [] : slots(toMs, days, 'day');
}

/**
 * A `{data: [{time, <field>}], message}` answer (the KPI, session, event and segment series):
 * `length`, `ending_at` and, with `withUnit`, `unit` read and checked, then `count` asked for
 * each unit.
 */
export function countSeries(
  ctx: RouteContext,
  field: string,
  count: (slot: Slot) => number,
  withUnit = false,
): RouteResult {
  const length = lengthParam(ctx);
  if (isResult(length)) return length;
  const endingAt = endingAtParam(ctx);
  if (isResult(endingAt)) return endingAt;
  const unit = withUnit ? unitParam(ctx) : 'day';
  if (isResult(unit)) return unit;
  const data = slots(endingAt, length, unit).map((slot) => ({ time: slot.time, [field]: count(slot) }));
  return ok({ data });
}

/** `app_id`: only activity tracked with this app counts; absent, every app's. */
export function appFilter(ctx: RouteContext): (appId: string | undefined) => boolean {
  const app = ctx.query.get('app_id');
  return app === null || app === '' ? () => true : (appId) => appId === app;
}

/** Whether `user` tracked an event or purchase in [fromMs, toMs) with an app `app` accepts. */
export function activeIn(
  user: SimUser,
  fromMs: number,
  toMs: number,
  app: (appId: string | undefined) => boolean,
): boolean {
  const within = (o: { time: number; app_id?: string }) => o.time >= fromMs && o.time < toMs && app(o.app_id);
  return user.recentEvents.some(within) || user.recentPurchases.some(within);
}

/** Users of the store active in [fromMs, toMs). */
export function activeUsers(ctx: RouteContext, fromMs: number, toMs: number): number {
  const app = appFilter(ctx);
  return ctx.store.all().filter((u) => activeIn(u, fromMs, toMs, app)).length;
}

/** `segment_id` where an endpoint takes one: absent, or a segment of the catalog (400 otherwise). */
export function segmentParam(ctx: RouteContext, required: boolean): string | undefined | RouteResult {
  const id = ctx.query.get('segment_id');
  if ((id === null || id === '') && !required) return undefined;
  return id !== null && ctx.catalog.segment(id) !== undefined ? id : badRequest(MSG_INVALID_SEGMENT);
}

/** How many users a dispatch reached: its named recipients, or every user for a broadcast. */
export function reached(ctx: RouteContext, d: Dispatch): number {
  return d.broadcast ? ctx.store.size : d.recipients.length;
}

/**
 * The statistics Braze reports per channel (docs/braze-facts.md §3.20), as the simulator fills
 * them: `sent` (and `delivered` where the channel has it) from its dispatches, 0 for the rest.
 */
const CHANNEL_STATS: Readonly<Record<string, readonly string[]>> = {
  email: [
    'sent',
    'opens',
    'unique_opens',
    'clicks',
    'unique_clicks',
    'unsubscribes',
    'bounces',
    'delivered',
    'reported_spam',
  ],
  sms: ['sent', 'sent_to_carrier', 'delivered', 'rejected', 'delivery_failed', 'clicks', 'opt_out', 'help'],
  webhook: ['sent', 'errors'],
  whats_app: ['sent', 'delivered', 'failed', 'read'],
  content_cards: [
    'sent',
    'total_clicks',
    'total_dismissals',
    'total_impressions',
    'unique_clicks',
    'unique_dismissals',
    'unique_impressions',
  ],
};
/** Every push channel reports what `android_push` does. */
const PUSH_STATS = ['sent', 'direct_opens', 'total_opens', 'bounces', 'body_clicks'] as const;

/** One channel's statistics for `sent` messages. */
export function channelStats(channel: string, sent: number): Record<string, number> {
  const names = CHANNEL_STATS[channel] ?? PUSH_STATS;
  const stats: Record<string, number> = {};
  for (const name of names) stats[name] = name === 'sent' || name === 'delivered' ? sent : 0;
  return stats;
}

/** Dispatches of the store that `match`, within [fromMs, toMs). */
export function dispatchesIn(
  ctx: RouteContext,
  slot: { startMs: number; endMs: number },
  match: (d: Dispatch) => boolean,
): Dispatch[] {
  return ctx.store.dispatches.filter((d) => d.at >= slot.startMs && d.at < slot.endMs && match(d));
}
