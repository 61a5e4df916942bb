import { CANVAS } from './canvasTriggerSend.js';
import { triggerScheduleDelete } from './schedule.js';
import type { RouteContext, RouteResult } from './types.js';

/** POST /canvas/trigger/schedule/delete (docs/braze-facts.md §3.18), for an API-triggered Canvas: `canvas_id` and `schedule_id` name it; cancels it. */
export function canvasTriggerScheduleDelete(ctx: RouteContext): RouteResult {
  return triggerScheduleDelete(ctx, CANVAS);
}
