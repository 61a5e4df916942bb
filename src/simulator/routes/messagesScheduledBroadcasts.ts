import type { ScheduledSend } from '../schedules.js';
import { ok } from './common.js';
import { parseIsoTime } from './schedule.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * GET /messages/scheduled_broadcasts?end_time= (docs/braze-facts.md §3.18): the campaigns and
 * Canvases scheduled to send between now and `end_time`, which Braze reads as midnight UTC of its
 * date. The simulator lists the schedules its store holds that belong to a campaign or Canvas
 * (a /messages/schedule/create without `campaign_id` has neither, so it is not listed), earliest
 * first, until their last time zone has passed.
 */

// Simulator-made wording.
export const MSG_END_TIME = "'end_time' must be an ISO 8601 date and time";
/** The simulated workspace's own time zone, which names schedules that are neither local nor optimal. */
export const WORKSPACE_TIME_ZONE = 'UTC';

const DAY_MS = 86_400_000;

export function messagesScheduledBroadcasts(ctx: RouteContext): RouteResult {
  const endTime = parseIsoTime(ctx.query.get('end_time'));
  if (endTime === undefined) return badRequest(MSG_END_TIME);
  const endMs = endTime.ms - (endTime.ms % DAY_MS);
  const nowMs = ctx.now();
  const upcoming = ctx.store.schedules
    .all()
    .filter((s) => s.schedule.lastSendMs > nowMs && s.schedule.firstSendMs <= endMs)
    .sort((a, b) => a.schedule.firstSendMs - b.schedule.firstSendMs);
  return ok({ scheduled_broadcasts: upcoming.flatMap((s) => listed(ctx, s)) });
}

/** One entry as Braze lists it, or none for a schedule with no campaign or Canvas. */
function listed(ctx: RouteContext, s: ScheduledSend): Array<Record<string, unknown>> {
  const owner =
    s.canvasId !== undefined
      ? { type: 'Canvas', found: ctx.catalog.canvas(s.canvasId) }
      : s.campaignId !== undefined
        ? { type: 'Campaign', found: ctx.catalog.campaign(s.campaignId) }
        : undefined;
  if (owner?.found === undefined) return [];
  const { inLocalTime, atOptimalTime, time, firstSendMs } = s.schedule;
  const zoneless = inLocalTime || atOptimalTime;
  return [
    {
      name: owner.found.name,
      id: owner.found.id,
      type: owner.type,
      tags: [...owner.found.tags],
      // A local or optimal time has no zone: it is each user's own clock.
      next_send_time: zoneless ? time : new Date(firstSendMs).toISOString(),
      schedule_type: atOptimalTime
        ? 'intelligent_delivery'
        : inLocalTime
          ? 'local_time_zones'
          : WORKSPACE_TIME_ZONE,
    },
  ];
}
