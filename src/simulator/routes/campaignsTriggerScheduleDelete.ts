import { CAMPAIGN } from './campaignsTriggerSend.js';
import { triggerScheduleDelete } from './schedule.js';
import type { RouteContext, RouteResult } from './types.js';

/** POST /campaigns/trigger/schedule/delete (docs/braze-facts.md §3.18), for an API-triggered campaign: `campaign_id` and `schedule_id` name it; cancels it. */
export function campaignsTriggerScheduleDelete(ctx: RouteContext): RouteResult {
  return triggerScheduleDelete(ctx, CAMPAIGN);
}
