import type { WireUserAlias } from '../braze/wire.js';

/**
 * Per-object validation for /users/track, as Braze does it (docs/braze-facts.md §3.1): an invalid object
 * becomes one non-fatal `{type, input_array, index}` error and never fails its neighbours.
 * Error strings Braze is known to send are used verbatim; the others follow Braze's
 * `'<field>' is not valid` wording and are marked as simulator-made.
 */

export const MSG_IDENTIFIER_REQUIRED =
  "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required";
export const MSG_INVALID_EMAIL = "The value provided for the 'email' field is not a valid email.";
export const MSG_QUANTITY = "'quantity' is not valid";
// Simulator-made: Braze's wording for these cases was not captured.
export const MSG_ONE_IDENTIFIER = "Only one of 'external_id', 'braze_id' or 'user_alias' may be provided";
export const MSG_PROPERTY_DOLLAR = "Event property names must not begin with '$'";

/** Names an event object may not use as property keys (docs/braze-facts.md §3.1, event object). */
const RESERVED_PROPERTY_NAMES = new Set(['time', 'event_name']);

export type TrackIdentifier =
  | { kind: 'external_id'; value: string }
  | { kind: 'braze_id'; value: string }
  | { kind: 'user_alias'; value: WireUserAlias }
  | { kind: 'email'; value: string }
  | { kind: 'phone'; value: string };

export type Validated<T> = ({ ok: true } & T) | { ok: false; type: string };

/** What every valid track object carries: who it is for and whether it may create that user. */
export interface ValidTarget {
  id: TrackIdentifier;
  /** True when the object must not create a user (`_update_existing_only`, alias default). */
  updateExistingOnly: boolean;
  obj: Record<string, unknown>;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

export function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

/** How Braze picks one of several profiles sharing an email or phone (docs/braze-facts.md §1.3). */
export const PRIORITIZATIONS = [
  'identified',
  'unidentified',
  'most_recently_updated',
  'least_recently_updated',
] as const;
export type Prioritization = (typeof PRIORITIZATIONS)[number];

/** What is wrong with a `prioritization` array (simulator-made wording), or undefined. */
export function prioritizationProblem(v: unknown): string | undefined {
  if (!(Array.isArray(v) && v.every((p) => (PRIORITIZATIONS as readonly unknown[]).includes(p)))) {
    return `'prioritization' must be an array of ${PRIORITIZATIONS.map((p) => `'${p}'`).join(', ')}`;
  }
  if (v.includes('identified') && v.includes('unidentified')) {
    return "'prioritization' cannot contain both 'identified' and 'unidentified'";
  }
  return undefined;
}

// Deliberately loose: Braze rejects obvious non-addresses, not every RFC corner case.
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isValidEmail(v: unknown): v is string {
  return typeof v === 'string' && EMAIL_RE.test(v);
}

export function isValidAlias(v: unknown): v is WireUserAlias {
  return isPlainObject(v) && isNonEmptyString(v.alias_name) && isNonEmptyString(v.alias_label);
}

/**
 * Parses a Braze timestamp to epoch ms. Besides ISO-8601 Braze documents
 * `yyyy-MM-dd'T'HH:mm:ss:SSSZ` (a colon before the milliseconds), which `Date.parse` rejects.
 */
export function parseBrazeTime(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const normalised = v.replace(/^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}):(\d{3})/, '$1.$2');
  const ms = Date.parse(normalised);
  return Number.isFinite(ms) ? ms : undefined;
}

const PRIMARY_IDS = ['external_id', 'braze_id', 'user_alias'] as const;

/**
 * The identifier of a track object. `external_id`, `braze_id` and `user_alias` exclude each
 * other; `email` then `phone` identify the user only when none of them is present (when both
 * are given, email wins — docs/braze-facts.md §3.1), otherwise they are plain attributes.
 */
export function identifierOf(obj: Record<string, unknown>): Validated<{ id: TrackIdentifier }> {
  const present = PRIMARY_IDS.filter((k) => obj[k] !== undefined && obj[k] !== null);
  if (present.length > 1) return { ok: false, type: MSG_ONE_IDENTIFIER };
  const key = present[0];
  if (key === 'user_alias') {
    return isValidAlias(obj.user_alias)
      ? { ok: true, id: { kind: 'user_alias', value: obj.user_alias } }
      : { ok: false, type: "'user_alias' is not valid" };
  }
  if (key !== undefined) {
    const value = obj[key];
    return isNonEmptyString(value)
      ? { ok: true, id: { kind: key, value } }
      : { ok: false, type: `'${key}' is not valid` };
  }
  if (obj.email !== undefined && obj.email !== null) {
    return isValidEmail(obj.email)
      ? { ok: true, id: { kind: 'email', value: obj.email } }
      : { ok: false, type: MSG_INVALID_EMAIL };
  }
  if (isNonEmptyString(obj.phone)) return { ok: true, id: { kind: 'phone', value: obj.phone } };
  return { ok: false, type: MSG_IDENTIFIER_REQUIRED };
}

function target(obj: unknown): Validated<ValidTarget> {
  if (!isPlainObject(obj)) return { ok: false, type: MSG_IDENTIFIER_REQUIRED };
  const id = identifierOf(obj);
  if (!id.ok) return id;
  // Braze: update-only unless told otherwise, except that a user_alias object defaults to
  // update-only (an alias-only profile is created only with an explicit `false`).
  const flag = obj._update_existing_only;
  const updateExistingOnly = typeof flag === 'boolean' ? flag : id.id.kind === 'user_alias';
  return { ok: true, id: id.id, updateExistingOnly, obj };
}

function isCustomAttributeOp(v: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(v);
  return own.length > 0 && own.every((k) => keys.includes(k));
}

/** Validates one attributes object. */
export function validateAttributes(raw: unknown): Validated<ValidTarget> {
  const t = target(raw);
  if (!t.ok) return t;
  const obj = t.obj;
  if (obj.email !== undefined && obj.email !== null && !isValidEmail(obj.email)) {
    return { ok: false, type: MSG_INVALID_EMAIL };
  }
  for (const [key, value] of Object.entries(obj)) {
    if (!isPlainObject(value)) continue;
    // Operators must carry the right operand types; a bad one is reported rather than
    // silently turned into a nested-object value, so a gateway bug shows up in tests.
    if (
      isCustomAttributeOp(value, ['inc']) &&
      !(typeof value.inc === 'number' && Number.isFinite(value.inc))
    ) {
      return { ok: false, type: `'${key}' is not valid` };
    }
    if (
      isCustomAttributeOp(value, ['add', 'remove']) &&
      ((value.add !== undefined && !Array.isArray(value.add)) ||
        (value.remove !== undefined && !Array.isArray(value.remove)))
    ) {
      return { ok: false, type: `'${key}' is not valid` };
    }
  }
  return t;
}

function validateProperties(props: unknown): string | undefined {
  if (props === undefined) return undefined;
  if (!isPlainObject(props)) return "'properties' is not valid";
  for (const name of Object.keys(props)) {
    if (name.length === 0 || name.length > 255) return "'properties' is not valid";
    if (name.startsWith('$')) return MSG_PROPERTY_DOLLAR;
    if (RESERVED_PROPERTY_NAMES.has(name)) return `'${name}' is a reserved event property name`;
  }
  return undefined;
}

/** Validates one event object; on success also returns its time in epoch ms. */
export function validateEvent(raw: unknown): Validated<ValidTarget & { timeMs: number }> {
  const t = target(raw);
  if (!t.ok) return t;
  const obj = t.obj;
  if (!isNonEmptyString(obj.name)) return { ok: false, type: "'name' is required" };
  const timeMs = parseBrazeTime(obj.time);
  if (timeMs === undefined) return { ok: false, type: "'time' is not valid" };
  const propError = validateProperties(obj.properties);
  if (propError !== undefined) return { ok: false, type: propError };
  return { ...t, timeMs };
}

/** Validates one purchase object; on success also returns its time in epoch ms. */
export function validatePurchase(raw: unknown): Validated<ValidTarget & { timeMs: number }> {
  const t = target(raw);
  if (!t.ok) return t;
  const obj = t.obj;
  if (!isNonEmptyString(obj.product_id) || obj.product_id.length > 255) {
    return { ok: false, type: "'product_id' is not valid" };
  }
  if (typeof obj.currency !== 'string' || !/^[A-Za-z]{3}$/.test(obj.currency)) {
    return { ok: false, type: "'currency' is not valid" };
  }
  if (typeof obj.price !== 'number' || !Number.isFinite(obj.price)) {
    return { ok: false, type: "'price' is not valid" };
  }
  const q = obj.quantity;
  if (q !== undefined && !(typeof q === 'number' && Number.isInteger(q) && q >= 1 && q <= 100)) {
    return { ok: false, type: MSG_QUANTITY };
  }
  const timeMs = parseBrazeTime(obj.time);
  if (timeMs === undefined) return { ok: false, type: "'time' is not valid" };
  const propError = validateProperties(obj.properties);
  if (propError !== undefined) return { ok: false, type: propError };
  return { ...t, timeMs };
}
