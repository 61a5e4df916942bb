import { CAMPAIGN } from './campaignsTriggerSend.js';
import { triggerScheduleCreate } from './schedule.js';
import type { RouteContext, RouteResult } from './types.js';

/** POST /campaigns/trigger/schedule/create (docs/braze-facts.md §3.18), for an API-triggered campaign: a trigger body plus `schedule`; answers 201 `{dispatch_id, schedule_id}`. */
export function campaignsTriggerScheduleCreate(ctx: RouteContext): RouteResult {
  return triggerScheduleCreate(ctx, CAMPAIGN);
}
