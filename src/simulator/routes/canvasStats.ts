import type { SimCanvas } from '../catalog.js';
import { boolParam, isResult } from './common.js';
import {
  channelStats,
  daysBetween,
  dispatchesIn,
  endingAtParam,
  lengthParam,
  reached,
  slots,
  timeParam,
  type Slot,
} from './series.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * What /canvas/data_series and /canvas/data_summary share (docs/braze-facts.md §3.20): the
 * Canvas, the days asked for (`ending_at` with `length` of 1–14 days or `starting_at`), the
 * breakdown flags, and each day's statistics. Every user a dispatch reached is one entry, on the
 * first variant, and one send on each channel of that variant's first steps; conversions and
 * revenue stay 0.
 */

/** The message Braze answered for a bad Canvas id (recorded for /canvas/details, §3.17). */
export const MSG_INVALID_CANVAS = 'canvas_id must be a string of the Canvas api identifier';
// Simulator-made wording: Braze documents the rule but not its messages.
export const MSG_LENGTH_OR_START = "Either 'length' or 'starting_at' is required";
export const MSG_START_AFTER_END = "'starting_at' must not be after 'ending_at'";

export interface CanvasQuery {
  canvas: SimCanvas;
  days: Slot[];
  variants: boolean;
  steps: boolean;
}

export function canvasQuery(ctx: RouteContext): CanvasQuery | RouteResult {
  const canvas = ctx.catalog.canvas(ctx.query.get('canvas_id') ?? '');
  if (canvas === undefined) return badRequest(MSG_INVALID_CANVAS);
  const endingAt = endingAtParam(ctx);
  if (isResult(endingAt)) return endingAt;
  const startingAt = timeParam(ctx, 'starting_at', undefined);
  if (isResult(startingAt)) return startingAt;
  let days: Slot[];
  if (startingAt !== undefined) {
    if (startingAt > endingAt) return badRequest(MSG_START_AFTER_END);
    days = daysBetween(startingAt, endingAt);
  } else {
    if (!ctx.query.has('length')) return badRequest(MSG_LENGTH_OR_START);
    const length = lengthParam(ctx);
    if (isResult(length)) return length;
    days = slots(endingAt, length, 'day');
  }
  const variants = boolParam(ctx, 'include_variant_breakdown', false);
  if (isResult(variants)) return variants;
  const steps = boolParam(ctx, 'include_step_breakdown', false);
  if (isResult(steps)) return steps;
  // The simulator's Canvases have no deleted steps: the flag is checked, and changes nothing.
  const deleted = boolParam(ctx, 'include_deleted_step_data', false);
  if (isResult(deleted)) return deleted;
  return { canvas, days, variants, steps };
}

/** Users the Canvas's dispatches reached on `day`. */
export function entriesOn(ctx: RouteContext, canvas: SimCanvas, day: Slot): number {
  return dispatchesIn(ctx, day, (d) => d.canvasId === canvas.id).reduce((n, d) => n + reached(ctx, d), 0);
}

const zeroConversions = { revenue: 0, conversions: 0, conversions_by_entry_time: 0 };

export function totalStats(entries: number): Record<string, number> {
  return { ...zeroConversions, entries };
}

/** `variant_stats`: by variant id; every entry goes to the first variant. */
export function variantStats(canvas: SimCanvas, entries: number): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  canvas.variants.forEach((v, i) => {
    if (typeof v.id !== 'string') return;
    out[v.id] = { name: v.name, ...zeroConversions, entries: i === 0 ? entries : 0 };
  });
  return out;
}

/** `step_stats`: by step id; the first variant's first steps sent one message per entry. */
export function stepStats(canvas: SimCanvas, entries: number): Record<string, Record<string, unknown>> {
  const first = canvas.variants[0]?.first_step_ids;
  const firstSteps = new Set(Array.isArray(first) ? first : []);
  const out: Record<string, Record<string, unknown>> = {};
  for (const step of canvas.steps) {
    if (typeof step.id !== 'string') continue;
    const sent = firstSteps.has(step.id) ? entries : 0;
    const channels: unknown[] = Array.isArray(step.channels) ? step.channels : [];
    const messages: Record<string, Array<Record<string, number>>> = {};
    for (const channel of channels)
      if (typeof channel === 'string') messages[channel] = [channelStats(channel, sent)];
    out[step.id] = { name: step.name, ...zeroConversions, messages };
  }
  return out;
}
