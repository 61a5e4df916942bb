import { isResult, objectBody } from './common.js';
import { readSend } from './messagesSend.js';
import { addSchedule, readSchedule } from './schedule.js';
import type { RouteContext, RouteResult } from './types.js';

/**
 * POST /messages/schedule/create (docs/braze-facts.md §3.18): the /messages/send body, with
 * `override_messaging_limits` for the frequency-capping flag, plus `schedule`. Answers 201
 * `{dispatch_id, schedule_id}`; the send waits in the store until updated or deleted.
 */
export function messagesScheduleCreate(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const send = readSend(ctx, body, 'override_messaging_limits');
  if (isResult(send)) return send;
  const schedule = readSchedule(body.schedule, ctx.now());
  if (isResult(schedule)) return schedule;
  const { ids, aliases, ...fields } = send;
  return addSchedule(ctx, {
    endpoint: 'messages.schedule.create',
    ...fields,
    recipients: [...ids, ...aliases],
    schedule,
  });
}
