import type { SimCampaign } from '../catalog.js';
import type { Dispatch } from '../store.js';
import { isResult, ok } from './common.js';
import { channelStats, dispatchesIn, endingAtParam, lengthParam, reached, slots } from './series.js';
import type { RouteContext, RouteResult } from './types.js';

/**
 * The daily campaign statistics shared by /campaigns/data_series and /sends/data_series
 * (docs/braze-facts.md §3.20): per day, `messages` by channel with one entry per variation,
 * then the campaign-wide conversions, `unique_recipients` and `revenue`. Every user a dispatch
 * reached counts as one send on each of the campaign's channels, all on that channel's first
 * variation; conversions and revenue stay 0.
 */
export function campaignSeries(
  ctx: RouteContext,
  campaign: SimCampaign,
  match: (d: Dispatch) => boolean,
): RouteResult {
  const length = lengthParam(ctx);
  if (isResult(length)) return length;
  const endingAt = endingAtParam(ctx);
  if (isResult(endingAt)) return endingAt;
  const data = slots(endingAt, length, 'day').map((day) => {
    const recipients = dispatchesIn(ctx, day, (d) => d.campaignId === campaign.id && match(d)).reduce(
      (n, d) => n + reached(ctx, d),
      0,
    );
    return {
      time: day.time,
      messages: channelMessages(campaign, recipients),
      conversions: 0,
      conversions_by_send_time: 0,
      unique_recipients: recipients,
      revenue: 0,
    };
  });
  return ok({ data });
}

function channelMessages(
  campaign: SimCampaign,
  sent: number,
): Record<string, Array<Record<string, unknown>>> {
  const variations = Object.entries(campaign.messages);
  const out: Record<string, Array<Record<string, unknown>>> = {};
  for (const channel of campaign.channels) {
    const ofChannel = variations.filter(([, v]) => v.channel === channel);
    const entries: Array<[string | undefined, Record<string, unknown>]> =
      ofChannel.length === 0 ? [[undefined, {}]] : ofChannel;
    out[channel] = entries.map(([id, v], i) => ({
      ...(id === undefined ? {} : { variation_api_id: id }),
      ...(typeof v.name === 'string' ? { variation_name: v.name } : {}),
      ...channelStats(channel, i === 0 ? sent : 0),
    }));
  }
  return out;
}
