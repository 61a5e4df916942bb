import { isResult } from './common.js';
import { activeIn, appFilter, countSeries, segmentParam } from './series.js';
import type { RouteContext, RouteResult } from './types.js';

/**
 * GET /sessions/data_series (docs/braze-facts.md §3.20): `length` (1–100 units), `unit` (`day`
 * or `hour`), `ending_at`, `app_id`, `segment_id` (an analytics-enabled segment; the simulator
 * checks it exists and filters nothing). One session per user active in a unit.
 */
export function sessionsDataSeries(ctx: RouteContext): RouteResult {
  const segment = segmentParam(ctx, false);
  if (isResult(segment)) return segment;
  const app = appFilter(ctx);
  return countSeries(
    ctx,
    'sessions',
    (slot) => ctx.store.all().filter((u) => activeIn(u, slot.startMs, slot.endMs, app)).length,
    true,
  );
}
