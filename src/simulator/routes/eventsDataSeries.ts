import { badRequest, type RouteContext, type RouteResult } from './types.js';
import { isResult } from './common.js';
import { appFilter, countSeries, segmentParam } from './series.js';

/**
 * GET /events/data_series (docs/braze-facts.md §3.20): `event` (required), `length` (1–100
 * units), `unit`, `ending_at`, `app_id`, `segment_id`: how often the custom event was tracked
 * in each unit.
 */

// Simulator-made wording: Braze documents `event` as required but not its message.
export const MSG_EVENT_REQUIRED = "'event' is required";

export function eventsDataSeries(ctx: RouteContext): RouteResult {
  const event = ctx.query.get('event');
  if (event === null || event === '') return badRequest(MSG_EVENT_REQUIRED);
  const segment = segmentParam(ctx, false);
  if (isResult(segment)) return segment;
  const app = appFilter(ctx);
  const users = ctx.store.all();
  return countSeries(
    ctx,
    'count',
    (slot) =>
      users.reduce(
        (n, u) =>
          n +
          u.recentEvents.filter(
            (e) => e.name === event && e.time >= slot.startMs && e.time < slot.endMs && app(e.app_id),
          ).length,
        0,
      ),
    true,
  );
}
