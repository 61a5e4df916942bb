import { created, isResult, objectBody } from './common.js';
import { findSchedule } from './schedule.js';
import type { RouteContext, RouteResult } from './types.js';

/** POST /messages/schedule/delete (docs/braze-facts.md §3.18): cancels the schedule `schedule_id` names. */
export function messagesScheduleDelete(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const found = findSchedule(ctx, body, 'messages.schedule.create');
  if (isResult(found)) return found;
  ctx.store.schedules.delete(found.scheduleId);
  return created();
}
