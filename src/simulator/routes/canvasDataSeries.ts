import { isResult, ok } from './common.js';
import { canvasQuery, entriesOn, stepStats, totalStats, variantStats } from './canvasStats.js';
import type { RouteContext, RouteResult } from './types.js';

/**
 * GET /canvas/data_series (docs/braze-facts.md §3.20): `canvas_id`, `ending_at`, `length` (1–14
 * days) or `starting_at`, and the breakdown flags: `{data: {name, stats: [{time, total_stats,
 * variant_stats?, step_stats?}]}, message}`.
 */
export function canvasDataSeries(ctx: RouteContext): RouteResult {
  const q = canvasQuery(ctx);
  if (isResult(q)) return q;
  const stats = q.days.map((day) => {
    const entries = entriesOn(ctx, q.canvas, day);
    return {
      time: day.time,
      total_stats: totalStats(entries),
      ...(q.variants ? { variant_stats: variantStats(q.canvas, entries) } : {}),
      ...(q.steps ? { step_stats: stepStats(q.canvas, entries) } : {}),
    };
  });
  return ok({ data: { name: q.canvas.name, stats } });
}
