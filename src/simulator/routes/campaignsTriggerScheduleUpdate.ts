import { CAMPAIGN } from './campaignsTriggerSend.js';
import { triggerScheduleUpdate } from './schedule.js';
import type { RouteContext, RouteResult } from './types.js';

/** POST /campaigns/trigger/schedule/update (docs/braze-facts.md §3.18), for an API-triggered campaign: `campaign_id` and `schedule_id` name it; the new `schedule` replaces the old one whole. */
export function campaignsTriggerScheduleUpdate(ctx: RouteContext): RouteResult {
  return triggerScheduleUpdate(ctx, CAMPAIGN);
}
