import { activeUsers, countSeries } from './series.js';
import type { RouteContext, RouteResult } from './types.js';

/** GET /kpi/dau/data_series (docs/braze-facts.md §3.20): `length` (1–100 days), `ending_at`, `app_id`: users active each day. */

export function kpiDau(ctx: RouteContext): RouteResult {
  return countSeries(ctx, 'dau', (day) => activeUsers(ctx, day.startMs, day.endMs));
}
