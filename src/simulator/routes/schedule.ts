import { randomUUID } from 'node:crypto';
import type { ScheduleEndpoint, ScheduledSend, SimSchedule } from '../schedules.js';
import { isNonEmptyString, isPlainObject } from '../validate.js';
import { created, isResult, newDispatchId, objectBody, present, type Obj } from './common.js';
import { readTrigger, triggerRecord, type TriggerKind } from './trigger.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * What the scheduled-message routes share (docs/braze-facts.md §3.18): reading the `schedule`
 * object, finding a schedule by id, and the create, update and delete of scheduled triggers
 * (campaigns and Canvases differ only by their `TriggerKind`).
 */

// Simulator-made wordings: Braze documents a 400 for an unparsable time and for a local time that
// has passed everywhere (docs/braze-facts.md §3.18), not its message; nor any answer for an unknown
// schedule_id (C-17), where the simulator answers like an unknown campaign.
export const MSG_SCHEDULE_REQUIRED = "'schedule' is required";
export const MSG_SCHEDULE_TIME = "'schedule.time' must be an ISO 8601 date and time";
export const MSG_SCHEDULE_ZONE =
  "'schedule.time' must not carry a time zone with 'in_local_time' or 'at_optimal_time'";
export const MSG_SCHEDULE_PASSED = "'schedule.time' has already passed";
export const MSG_SCHEDULE_TOO_FAR = "'schedule.time' must be at most 90 days ahead";
export const MSG_SCHEDULE_ID_REQUIRED = "'schedule_id' is required";
export const MSG_INVALID_SCHEDULE_ID = 'Invalid Schedule ID';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Braze schedules at most 90 days ahead (docs/braze-facts.md §3.18). */
const MAX_AHEAD_MS = 90 * DAY_MS;
/**
 * Local time reaches the zones from UTC+14 (first) to UTC−12 (last): a wall-clock time happens
 * 14 hours before it does in UTC, and is over everywhere 12 hours after.
 */
const FIRST_ZONE_AHEAD_MS = 14 * HOUR_MS;
const LAST_ZONE_BEHIND_MS = 12 * HOUR_MS;

/** ISO 8601 date and time; seconds, fraction and zone optional. Groups: y m d h min s zone. */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** A time as epoch ms, and whether it carried a zone (a zone-less time is read as UTC); undefined when it is no real time. */
export function parseIsoTime(v: unknown): { ms: number; zoned: boolean } | undefined {
  const m = typeof v === 'string' ? ISO_TIME.exec(v) : null;
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((x) => Number(x ?? 0)) as number[];
  const wall = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
  // Date.UTC rolls 30 February over to March: only a real calendar time comes back unchanged.
  if (wall.getUTCMonth() !== mo! - 1 || wall.getUTCDate() !== d! || wall.getUTCHours() !== h!) {
    return undefined;
  }
  const zoned = m[7] !== undefined;
  const ms = Date.parse(zoned ? (v as string) : `${v as string}Z`);
  return Number.isNaN(ms) ? undefined : { ms, zoned };
}

/**
 * The `schedule` object (docs/braze-facts.md §3.18): `time`, and optionally `in_local_time` (the
 * time's wall clock in each user's zone) or `at_optimal_time` (each user's best time on that date,
 * whatever the clock says; it wins when both are set, as Braze's own example sets both). Local and
 * optimal times carry no zone. Refused once the last zone is past it, or more than 90 days ahead.
 */
export function readSchedule(v: unknown, nowMs: number): SimSchedule | RouteResult {
  if (!isPlainObject(v)) return badRequest(MSG_SCHEDULE_REQUIRED);
  for (const flag of ['in_local_time', 'at_optimal_time']) {
    if (present(v, flag) && typeof v[flag] !== 'boolean')
      return badRequest(`'schedule.${flag}' must be a boolean`);
  }
  const parsed = parseIsoTime(v.time);
  if (parsed === undefined) return badRequest(MSG_SCHEDULE_TIME);
  const inLocalTime = v.in_local_time === true;
  const atOptimalTime = v.at_optimal_time === true;
  if ((inLocalTime || atOptimalTime) && parsed.zoned) return badRequest(MSG_SCHEDULE_ZONE);
  let firstSendMs = parsed.ms;
  let lastSendMs = parsed.ms;
  if (atOptimalTime) {
    const dayStartMs = parsed.ms - (parsed.ms % DAY_MS);
    firstSendMs = dayStartMs - FIRST_ZONE_AHEAD_MS;
    lastSendMs = dayStartMs + DAY_MS + LAST_ZONE_BEHIND_MS;
  } else if (inLocalTime) {
    firstSendMs = parsed.ms - FIRST_ZONE_AHEAD_MS;
    lastSendMs = parsed.ms + LAST_ZONE_BEHIND_MS;
  }
  if (lastSendMs <= nowMs) return badRequest(MSG_SCHEDULE_PASSED);
  if (firstSendMs > nowMs + MAX_AHEAD_MS) return badRequest(MSG_SCHEDULE_TOO_FAR);
  return { time: v.time as string, inLocalTime, atOptimalTime, firstSendMs, lastSendMs };
}

/** A request naming a schedule: its body, and the schedule `schedule_id` names if `endpoint` made it. */
export interface NamedSchedule {
  body: Obj;
  found: ScheduledSend;
}

/** The schedule the request's `schedule_id` names, made by `endpoint`; otherwise the 400. */
export function findSchedule(ctx: RouteContext, endpoint: ScheduleEndpoint): NamedSchedule | RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  if (!isNonEmptyString(body.schedule_id)) return badRequest(MSG_SCHEDULE_ID_REQUIRED);
  const found = ctx.store.schedules.get(body.schedule_id);
  return found?.endpoint === endpoint ? { body, found } : badRequest(MSG_INVALID_SCHEDULE_ID);
}

/** Keeps a new scheduled send and answers its ids (docs/braze-facts.md §3.18: 201). */
export function addSchedule(
  ctx: RouteContext,
  send: Omit<ScheduledSend, 'scheduleId' | 'dispatchId' | 'createdAt' | 'updatedAt'>,
): RouteResult {
  const at = ctx.now();
  const scheduleId = randomUUID();
  const dispatchId = newDispatchId();
  ctx.store.schedules.add({ ...send, scheduleId, dispatchId, createdAt: at, updatedAt: at });
  return created({ dispatch_id: dispatchId, schedule_id: scheduleId });
}

/** The scheduled-trigger create each trigger kind has. */
const CREATED_BY: Readonly<Record<TriggerKind['endpoint'], ScheduleEndpoint>> = {
  'campaigns.trigger.send': 'campaigns.trigger.schedule.create',
  'canvas.trigger.send': 'canvas.trigger.schedule.create',
};

/** POST /campaigns/trigger/schedule/create, /canvas/trigger/schedule/create: a trigger body plus `schedule`. */
export function triggerScheduleCreate(ctx: RouteContext, kind: TriggerKind): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const trigger = readTrigger(ctx, kind, body);
  if (isResult(trigger)) return trigger;
  const schedule = readSchedule(body.schedule, ctx.now());
  if (isResult(schedule)) return schedule;
  return addSchedule(ctx, {
    endpoint: CREATED_BY[kind.endpoint],
    ...triggerRecord(kind, trigger),
    recipients: trigger.recipients.map((r) => structuredClone(r.raw)),
    schedule,
  });
}

/** A scheduled trigger named by the campaign (or Canvas) and the schedule id it belongs to. */
function findTriggerSchedule(ctx: RouteContext, kind: TriggerKind): NamedSchedule | RouteResult {
  const named = findSchedule(ctx, CREATED_BY[kind.endpoint]);
  if (isResult(named)) return named;
  // The campaign (or Canvas) must exist, and be the one the schedule was made for.
  const targetId = named.body[kind.idField];
  if (!isNonEmptyString(targetId)) return badRequest(`'${kind.idField}' is required`);
  if (kind.lookup(ctx, targetId) === undefined) return badRequest(kind.unknownMessage);
  const owner = kind.idField === 'campaign_id' ? named.found.campaignId : named.found.canvasId;
  return owner === targetId ? named : badRequest(MSG_INVALID_SCHEDULE_ID);
}

/** POST /campaigns/trigger/schedule/update, /canvas/trigger/schedule/update: the new schedule replaces the old one whole. */
export function triggerScheduleUpdate(ctx: RouteContext, kind: TriggerKind): RouteResult {
  const named = findTriggerSchedule(ctx, kind);
  if (isResult(named)) return named;
  const schedule = readSchedule(named.body.schedule, ctx.now());
  if (isResult(schedule)) return schedule;
  named.found.schedule = schedule;
  named.found.updatedAt = ctx.now();
  return created();
}

/** POST /campaigns/trigger/schedule/delete, /canvas/trigger/schedule/delete: cancels it. */
export function triggerScheduleDelete(ctx: RouteContext, kind: TriggerKind): RouteResult {
  const named = findTriggerSchedule(ctx, kind);
  if (isResult(named)) return named;
  ctx.store.schedules.delete(named.found.scheduleId);
  return created();
}
