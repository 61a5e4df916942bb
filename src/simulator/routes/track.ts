import { TRACK_ARRAYS, type TrackArray } from '../brazeRules.js';
import {
  isPlainObject,
  validateAttributes,
  validateEvent,
  validatePurchase,
  type ValidTarget,
  type Validated,
} from '../validate.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/** POST /users/track (docs/braze-facts.md §3.1). */

export const MSG_MAX_INPUT = 'Max Input Length Exceeded';
export const MSG_NO_VALID_DATA =
  "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.";

interface TrackError {
  type: string;
  input_array: TrackArray;
  index: number;
}

type ValidObject = ValidTarget & { timeMs?: number };

const VALIDATORS: Record<TrackArray, (raw: unknown) => Validated<ValidObject>> = {
  attributes: validateAttributes,
  events: validateEvent,
  purchases: validatePurchase,
};

export function track(ctx: RouteContext): RouteResult {
  const body = isPlainObject(ctx.body) ? ctx.body : {};
  const arrays: Partial<Record<TrackArray, unknown[]>> = {};
  for (const name of TRACK_ARRAYS) {
    const value = body[name];
    // A null array is treated as absent: JSON encoders commonly emit null for "nothing".
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value)) return badRequest(`'${name}' must be an array`);
    arrays[name] = value;
  }

  // The whole request is refused before any object is looked at (docs/braze-facts.md §2.1).
  let total = 0;
  for (const list of Object.values(arrays)) {
    if (list.length > ctx.track.perArray) return badRequest(MSG_MAX_INPUT);
    total += list.length;
  }
  if (total > ctx.track.total) return badRequest(MSG_MAX_INPUT);

  const errors: TrackError[] = [];
  const valid: Record<TrackArray, ValidObject[]> = { attributes: [], events: [], purchases: [] };
  for (const name of TRACK_ARRAYS) {
    (arrays[name] ?? []).forEach((raw, index) => {
      const result = VALIDATORS[name](raw);
      if (result.ok) valid[name].push(result);
      else errors.push({ type: result.type, input_array: name, index });
    });
  }
  if (valid.attributes.length + valid.events.length + valid.purchases.length === 0) {
    return badRequest(MSG_NO_VALID_DATA, errors.length > 0 ? { errors } : {});
  }

  // Braze's processing order: attributes, then events, then purchases (docs/braze-facts.md §2.1), so an
  // event may rely on a user that an attributes object of the same request created.
  for (const v of valid.attributes) {
    const user = ctx.store.resolve(v.id, !v.updateExistingOnly);
    if (user !== undefined) ctx.store.applyAttributes(user, v.obj);
  }
  for (const v of valid.events) {
    const user = ctx.store.resolve(v.id, !v.updateExistingOnly);
    if (user !== undefined) ctx.store.applyEvent(user, v.obj, v.timeMs ?? ctx.now());
  }
  for (const v of valid.purchases) {
    const user = ctx.store.resolve(v.id, !v.updateExistingOnly);
    if (user !== undefined) ctx.store.applyPurchase(user, v.obj, v.timeMs ?? ctx.now());
  }

  const out: Record<string, unknown> = {};
  for (const name of TRACK_ARRAYS) {
    if (arrays[name] !== undefined) out[`${name}_processed`] = valid[name].length;
  }
  out.message = 'success';
  if (errors.length > 0) out.errors = errors;
  return { status: 201, body: out };
}
