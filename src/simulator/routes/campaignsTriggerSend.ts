import { MSG_INVALID_CAMPAIGN_ID } from './common.js';
import { triggerSend, type TriggerKind } from './trigger.js';
import type { RouteContext, RouteResult } from './types.js';

/** POST /campaigns/trigger/send (docs/braze-facts.md §3.12): `campaign_id`, `trigger_properties`. */

export const CAMPAIGN: TriggerKind = {
  endpoint: 'campaigns.trigger.send',
  idField: 'campaign_id',
  propertyFields: ['trigger_properties'],
  dispatchField: 'triggerProperties',
  lookup: (ctx, id) => (ctx.catalog.campaign(id) === undefined ? undefined : {}),
  unknownMessage: MSG_INVALID_CAMPAIGN_ID,
};

export function campaignsTriggerSend(ctx: RouteContext): RouteResult {
  return triggerSend(ctx, CAMPAIGN);
}
