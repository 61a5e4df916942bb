import { countSeries } from './series.js';
import type { RouteContext, RouteResult } from './types.js';

/** GET /kpi/uninstalls/data_series (docs/braze-facts.md §3.20): `length` (1–100 days), `ending_at`, `app_id`: the simulator's apps are never uninstalled. */

export function kpiUninstalls(ctx: RouteContext): RouteResult {
  return countSeries(ctx, 'uninstalls', () => 0);
}
