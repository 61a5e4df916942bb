import { created, isResult } from './common.js';
import { findSchedule } from './schedule.js';
import type { RouteContext, RouteResult } from './types.js';

/** POST /messages/schedule/delete (docs/braze-facts.md §3.18): cancels the schedule `schedule_id` names. */
export function messagesScheduleDelete(ctx: RouteContext): RouteResult {
  const named = findSchedule(ctx, 'messages.schedule.create');
  if (isResult(named)) return named;
  ctx.store.schedules.delete(named.found.scheduleId);
  return created();
}
