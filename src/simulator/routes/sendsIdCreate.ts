import { randomBytes } from 'node:crypto';
import { isNonEmptyString } from '../validate.js';
import { MSG_INVALID_CAMPAIGN_ID, created, isResult, objectBody, present } from './common.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * POST /sends/id/create (docs/braze-facts.md §3.14): a send id for a known campaign, the given one or a
 * generated one. Creating the same send id for the same campaign again is accepted as well.
 */
export function sendsIdCreate(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  if (!isNonEmptyString(body.campaign_id)) return badRequest("'campaign_id' is required");
  if (ctx.catalog.campaign(body.campaign_id) === undefined) return badRequest(MSG_INVALID_CAMPAIGN_ID);
  if (present(body, 'send_id') && !isNonEmptyString(body.send_id)) {
    return badRequest("'send_id' must be a non-empty string");
  }
  const sendId = typeof body.send_id === 'string' ? body.send_id : randomBytes(16).toString('hex');
  ctx.store.recordSendId({ campaignId: body.campaign_id, sendId, at: ctx.now() });
  return created({ send_id: sendId });
}
