import { isResult } from './common.js';
import { countSeries, segmentParam } from './series.js';
import type { RouteContext, RouteResult } from './types.js';

/**
 * GET /segments/data_series (docs/braze-facts.md §3.20): `segment_id` (required), `length`
 * (1–100 days), `ending_at`: the segment's size each day. The simulator has no segment filters:
 * every segment holds every user that existed by the end of the day.
 */
export function segmentsDataSeries(ctx: RouteContext): RouteResult {
  const segment = segmentParam(ctx, true);
  if (isResult(segment)) return segment;
  return countSeries(ctx, 'size', (day) => ctx.store.all().filter((u) => u.createdAt < day.endMs).length);
}
