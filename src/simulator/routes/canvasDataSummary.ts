import { isResult, ok } from './common.js';
import { canvasQuery, entriesOn, stepStats, totalStats, variantStats } from './canvasStats.js';
import type { RouteContext, RouteResult } from './types.js';

/**
 * GET /canvas/data_summary (docs/braze-facts.md §3.20): the parameters of /canvas/data_series,
 * rolled up over the days: `{data: {name, total_stats, variant_stats?, step_stats?}, message}`.
 */
export function canvasDataSummary(ctx: RouteContext): RouteResult {
  const q = canvasQuery(ctx);
  if (isResult(q)) return q;
  const entries = q.days.reduce((n, day) => n + entriesOn(ctx, q.canvas, day), 0);
  return ok({
    data: {
      name: q.canvas.name,
      total_stats: totalStats(entries),
      ...(q.variants ? { variant_stats: variantStats(q.canvas, entries) } : {}),
      ...(q.steps ? { step_stats: stepStats(q.canvas, entries) } : {}),
    },
  });
}
