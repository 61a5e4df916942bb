import { activeUsers, countSeries } from './series.js';
import type { RouteContext, RouteResult } from './types.js';

/** GET /kpi/mau/data_series (docs/braze-facts.md §3.20): `length` (1–100 days), `ending_at`, `app_id`: users active in the 30 days up to each day. */

const WINDOW_MS = 30 * 86_400_000;

export function kpiMau(ctx: RouteContext): RouteResult {
  return countSeries(ctx, 'mau', (day) => activeUsers(ctx, day.endMs - WINDOW_MS, day.endMs));
}
