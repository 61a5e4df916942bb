import type { WireExportedUser } from '../../braze/wire.js';
import { EXPORT_FIELDS, type SimUser } from '../profile.js';
import { isPlainObject, isValidAlias } from '../validate.js';
import { MSG_MAX_EXTERNAL_IDS, maxPerRequest } from './common.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/** POST /users/export/ids (docs/braze-facts.md §3.10). */

export const MSG_MAX_IDS = MSG_MAX_EXTERNAL_IDS;
const KNOWN_FIELDS: ReadonlySet<string> = new Set(EXPORT_FIELDS);
const SINGLE_IDS = ['device_id', 'email_address', 'phone'] as const;

function stringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

export function exportIds(ctx: RouteContext): RouteResult {
  const body = isPlainObject(ctx.body) ? ctx.body : {};
  const present = (k: string): boolean => body[k] !== undefined && body[k] !== null;

  if (present('external_ids') && !stringArray(body.external_ids)) {
    return badRequest("'external_ids' must be an array of strings");
  }
  if (
    present('user_aliases') &&
    !(Array.isArray(body.user_aliases) && body.user_aliases.every(isValidAlias))
  ) {
    return badRequest("'user_aliases' must be an array of user alias objects");
  }
  const externalIds = (body.external_ids as string[] | undefined) ?? [];
  const aliases = (body.user_aliases as Array<{ alias_name: string; alias_label: string }> | undefined) ?? [];
  const max = maxPerRequest(ctx);
  if (externalIds.length > max || aliases.length > max) return badRequest(MSG_MAX_IDS);

  for (const k of ['braze_id', ...SINGLE_IDS]) {
    if (present(k) && typeof body[k] !== 'string') return badRequest(`'${k}' must be a string`);
  }
  // Simulator-made wording: Braze documents the rule (docs/braze-facts.md §2.1) but not its message.
  if (SINGLE_IDS.filter(present).length > 1) {
    return badRequest("Only one of 'device_id', 'email_address' or 'phone' may be provided per request");
  }
  if (externalIds.length + aliases.length === 0 && !present('braze_id') && !SINGLE_IDS.some(present)) {
    return badRequest(
      "One of 'external_ids', 'user_aliases', 'braze_id', 'device_id', 'email_address' or 'phone' is required",
    );
  }

  let fields: ReadonlySet<string> | undefined;
  if (present('fields_to_export')) {
    if (!stringArray(body.fields_to_export))
      return badRequest("'fields_to_export' must be an array of strings");
    const unknown = body.fields_to_export.filter((f) => !KNOWN_FIELDS.has(f));
    if (unknown.length > 0) return badRequest(`Invalid fields_to_export: ${unknown.join(', ')}`);
    fields = new Set(body.fields_to_export);
  }

  const found: SimUser[] = [];
  const invalid: string[] = [];
  const note = (user: SimUser | undefined, asked: string): void => {
    if (user === undefined) invalid.push(asked);
    else if (!found.includes(user)) found.push(user);
  };
  for (const id of externalIds) note(ctx.store.byExternalId(id), id);
  // The wire type reports unknown ids as strings; for an alias that is its alias_name.
  for (const alias of aliases) note(ctx.store.byAlias(alias), alias.alias_name);
  if (typeof body.braze_id === 'string') note(ctx.store.byBraze(body.braze_id), body.braze_id);
  // An unknown email or phone is not an "invalid user id": the answer simply has no user.
  const byContact =
    typeof body.email_address === 'string'
      ? ctx.store.byEmail(body.email_address)
      : typeof body.phone === 'string'
        ? ctx.store.byPhone(body.phone)
        : [];
  for (const user of byContact) if (!found.includes(user)) found.push(user);

  const users: WireExportedUser[] = found.map((u) => ctx.store.exportUser(u, fields));
  const out: Record<string, unknown> = { users };
  if (invalid.length > 0) out.invalid_user_ids = invalid;
  out.message = 'success';
  return { status: 201, body: out };
}
