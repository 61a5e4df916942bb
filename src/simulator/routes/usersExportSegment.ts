import { EXPORT_FIELDS } from '../profile.js';
import { MAX_RUNNING_EXPORTS } from '../segmentExports.js';
import { created, isResult, objectBody, present } from './common.js';
import { MSG_INVALID_SEGMENT } from './segmentsDetails.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * POST /users/export/segment (docs/braze-facts.md §3.21): `segment_id` and `fields_to_export`
 * (required), `custom_attributes_to_export` (at most 500), `output_format` (`zip` or `gzip`),
 * `callback_endpoint`. 201 `{object_prefix, url?, message}`; a second export of a segment whose
 * export still runs gets a 429, as does a 101st running export.
 */

const KNOWN_FIELDS: ReadonlySet<string> = new Set(EXPORT_FIELDS);
export const MAX_CUSTOM_ATTRIBUTES = 500;

// Simulator-made wording: Braze documents these rules (and the 429s) but not their messages.
export const MSG_FIELDS_REQUIRED = "'fields_to_export' is required: an array of field names";
export const MSG_SEGMENT_BUSY = 'An export of this segment is already running: wait for it to complete';
export const MSG_TOO_MANY_EXPORTS = `At most ${MAX_RUNNING_EXPORTS} segment exports may run at once`;

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

export function usersExportSegment(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const segmentId = body.segment_id;
  if (typeof segmentId !== 'string' || ctx.catalog.segment(segmentId) === undefined) {
    return badRequest(MSG_INVALID_SEGMENT);
  }
  const fields = body.fields_to_export;
  if (!isStrings(fields) || fields.length === 0) return badRequest(MSG_FIELDS_REQUIRED);
  const unknown = fields.filter((f) => !KNOWN_FIELDS.has(f));
  if (unknown.length > 0) return badRequest(`Invalid fields_to_export: ${unknown.join(', ')}`);
  const attributes = body.custom_attributes_to_export ?? [];
  if (!isStrings(attributes)) return badRequest("'custom_attributes_to_export' must be an array of strings");
  if (attributes.length > MAX_CUSTOM_ATTRIBUTES) {
    return badRequest(`At most ${MAX_CUSTOM_ATTRIBUTES} custom attributes can be exported`);
  }
  const format = body.output_format ?? 'zip';
  if (format !== 'zip' && format !== 'gzip') return badRequest("'output_format' must be 'zip' or 'gzip'");
  if (present(body, 'callback_endpoint') && typeof body.callback_endpoint !== 'string') {
    return badRequest("'callback_endpoint' must be a string");
  }

  if (ctx.segmentExports.running(segmentId) !== undefined) {
    return { status: 429, body: { message: MSG_SEGMENT_BUSY } };
  }
  if (ctx.segmentExports.runningCount >= MAX_RUNNING_EXPORTS) {
    return { status: 429, body: { message: MSG_TOO_MANY_EXPORTS } };
  }
  const exp = ctx.segmentExports.start({
    segmentId,
    fieldsToExport: [...fields],
    customAttributesToExport: [...attributes],
    outputFormat: format,
    ...(typeof body.callback_endpoint === 'string' ? { callbackEndpoint: body.callback_endpoint } : {}),
  });
  return created({ object_prefix: exp.objectPrefix, ...(exp.url === undefined ? {} : { url: exp.url }) });
}
