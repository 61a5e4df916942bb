import { created, isResult, present } from './common.js';
import { messagesProblem } from './messagesSend.js';
import { findSchedule, readSchedule } from './schedule.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

// Simulator-made, after the docs' "Your request must contain at least one of those two keys".
export const MSG_UPDATE_NOTHING = "The request must contain 'schedule' or 'messages'";

/**
 * POST /messages/schedule/update (docs/braze-facts.md §3.18): `schedule_id` and a new `schedule`
 * and/or new `messages`, each replacing the old one whole.
 */
export function messagesScheduleUpdate(ctx: RouteContext): RouteResult {
  const named = findSchedule(ctx, 'messages.schedule.create');
  if (isResult(named)) return named;
  const { body, found } = named;
  if (!present(body, 'schedule') && !present(body, 'messages')) return badRequest(MSG_UPDATE_NOTHING);
  const schedule = present(body, 'schedule') ? readSchedule(body.schedule, ctx.now()) : undefined;
  if (schedule !== undefined && isResult(schedule)) return schedule;
  if (present(body, 'messages')) {
    const problem = messagesProblem(body.messages);
    if (problem !== undefined) return badRequest(problem);
  }
  if (schedule !== undefined) found.schedule = schedule;
  if (present(body, 'messages')) found.messages = structuredClone(body.messages as Record<string, unknown>);
  found.updatedAt = ctx.now();
  return created();
}
