import { countSeries } from './series.js';
import type { RouteContext, RouteResult } from './types.js';

/** GET /kpi/new_users/data_series (docs/braze-facts.md §3.20): `length` (1–100 days), `ending_at`, `app_id`: users created each day (profiles carry no app, so `app_id` narrows nothing). */

export function kpiNewUsers(ctx: RouteContext): RouteResult {
  return countSeries(
    ctx,
    'new_users',
    (day) => ctx.store.all().filter((u) => u.createdAt >= day.startMs && u.createdAt < day.endMs).length,
  );
}
