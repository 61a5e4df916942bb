import { CANVAS } from './canvasTriggerSend.js';
import { triggerScheduleCreate } from './schedule.js';
import type { RouteContext, RouteResult } from './types.js';

/** POST /canvas/trigger/schedule/create (docs/braze-facts.md §3.18), for an API-triggered Canvas: a trigger body plus `schedule`; answers 201 `{dispatch_id, schedule_id}`. */
export function canvasTriggerScheduleCreate(ctx: RouteContext): RouteResult {
  return triggerScheduleCreate(ctx, CANVAS);
}
