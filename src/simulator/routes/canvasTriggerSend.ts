import { triggerSend, type TriggerKind } from './trigger.js';
import type { RouteContext, RouteResult } from './types.js';

/**
 * POST /canvas/trigger/send (docs/braze-facts.md §3.13): `canvas_id`, `context` (≤ 50 KB; the legacy
 * `canvas_entry_properties` is read when `context` is absent). A paused or archived Canvas still
 * answers 201, with a `notice`.
 */

export const NOTICE_PAUSED =
  'The Canvas is paused. Resume the Canvas to ensure trigger requests will take effect.';
// Simulator-made, after the paused notice: Braze's archived wording was not captured.
export const NOTICE_ARCHIVED =
  'The Canvas is archived. Unarchive the Canvas to ensure trigger requests will take effect.';
// Simulator-made, after "Invalid Campaign ID".
export const MSG_INVALID_CANVAS_ID = 'Invalid Canvas ID';

export const CANVAS: TriggerKind = {
  endpoint: 'canvas.trigger.send',
  idField: 'canvas_id',
  propertyFields: ['context', 'canvas_entry_properties'],
  dispatchField: 'context',
  maxPropertyBytes: 50 * 1024,
  lookup: (ctx, id) => {
    const canvas = ctx.catalog.canvas(id);
    if (canvas === undefined) return undefined;
    if (canvas.archived) return { notice: NOTICE_ARCHIVED };
    return canvas.enabled ? {} : { notice: NOTICE_PAUSED };
  },
  unknownMessage: MSG_INVALID_CANVAS_ID,
};

export function canvasTriggerSend(ctx: RouteContext): RouteResult {
  return triggerSend(ctx, CANVAS);
}
