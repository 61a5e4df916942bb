import { CANVAS } from './canvasTriggerSend.js';
import { triggerScheduleUpdate } from './schedule.js';
import type { RouteContext, RouteResult } from './types.js';

/** POST /canvas/trigger/schedule/update (docs/braze-facts.md §3.18), for an API-triggered Canvas: `canvas_id` and `schedule_id` name it; the new `schedule` replaces the old one whole. */
export function canvasTriggerScheduleUpdate(ctx: RouteContext): RouteResult {
  return triggerScheduleUpdate(ctx, CANVAS);
}
