import { randomBytes, randomUUID } from 'node:crypto';
import type { BrazeClient } from '../braze/client.js';
import { str } from '../braze/coerce.js';
import { BadInputError, UpstreamError } from '../errors.js';
import type { BrazeUserField, SegmentExportInput } from '../generated/graphql.js';
import { EXPORT_FIELD_OF } from '../users/exportFields.js';
import type { ExportRecord, ExportRegistry } from './registry.js';

/**
 * Segment exports (docs/braze-facts.md §3.21): one POST /users/export/segment per export, in the
 * default rate group. Braze answers at once with the files' prefix and writes them in the
 * background; it has no status endpoint. The gateway records what it started (registry.ts) and,
 * when it has a public URL (GATEWAY_PUBLIC_URL), gives Braze a callback URL of its own carrying a
 * per-export secret, so Braze's completion callback turns the status COMPLETED (callback.ts).
 */

/** Braze exports at most 500 named custom attributes (docs/braze-facts.md §3.21). */
export const MAX_CUSTOM_ATTRIBUTES = 500;
/** Where Braze calls the gateway back: `<GATEWAY_PUBLIC_URL><path><id>?token=<secret>`. */
export const CALLBACK_PATH = '/callbacks/segment-export/';

export interface SegmentExportShape {
  id: string;
  segmentId: string;
  startedAt: Date;
  status: 'STARTED' | 'COMPLETED' | 'FAILED';
  completedAt: Date | null;
  objectPrefix: string;
  url: string | null;
  fields: BrazeUserField[];
  customAttributes: string[];
  outputFormat: ExportRecord['outputFormat'];
  completion: ExportRecord['completion'];
}

function shape(r: ExportRecord): SegmentExportShape {
  return {
    id: r.id,
    segmentId: r.segmentId,
    startedAt: new Date(r.startedAtMs),
    status: r.completedAtMs === undefined ? 'STARTED' : r.success === true ? 'COMPLETED' : 'FAILED',
    completedAt: r.completedAtMs === undefined ? null : new Date(r.completedAtMs),
    objectPrefix: r.objectPrefix,
    url: r.url ?? null,
    fields: r.fields,
    customAttributes: r.customAttributes,
    outputFormat: r.outputFormat,
    completion: r.completion,
  };
}

/** The caller's own callback: an absolute http(s) URL. */
function callbackUrlOf(raw: string | null | undefined): string | undefined {
  if (raw == null) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new BadInputError('must be an absolute http(s) URL.', 'input.callbackEndpoint');
  }
  return raw;
}

export class SegmentExportService {
  constructor(
    private readonly client: BrazeClient,
    private readonly registry: ExportRegistry,
    /** GATEWAY_PUBLIC_URL: where Braze can call the gateway back; undefined: no callback. */
    private readonly publicUrl: string | undefined,
    /** This request's deadline (epoch ms), like every domain service. */
    private readonly deadlineMs: number,
  ) {}

  async start(input: SegmentExportInput): Promise<SegmentExportShape> {
    // 1. validate.
    if (input.segmentId.trim() === '') throw new BadInputError('must not be empty.', 'input.segmentId');
    const fields = [...new Set(input.fields)];
    if (fields.length === 0) {
      throw new BadInputError('name at least one field (Braze requires fields_to_export).', 'input.fields');
    }
    const fieldsToExport = fields.map((f) => EXPORT_FIELD_OF[f]!);
    const customAttributes = [...new Set(input.customAttributes ?? [])];
    if (customAttributes.length > MAX_CUSTOM_ATTRIBUTES) {
      throw new BadInputError(
        `Braze exports at most ${MAX_CUSTOM_ATTRIBUTES} named custom attributes, got ${customAttributes.length}.`,
        'input.customAttributes',
      );
    }
    const blank = customAttributes.findIndex((a) => a.trim() === '');
    if (blank >= 0) throw new BadInputError('must not be empty.', `input.customAttributes[${blank}]`);
    const callerCallback = callbackUrlOf(input.callbackEndpoint);

    // 2. record, with the callback URL's secret when the gateway receives the callback.
    const id = randomUUID();
    const ownCallback = callerCallback === undefined && this.publicUrl !== undefined;
    const token = ownCallback ? randomBytes(32).toString('base64url') : undefined;
    const outputFormat = input.outputFormat ?? 'ZIP';
    const started = {
      id,
      segmentId: input.segmentId,
      startedAtMs: Date.now(),
      fields,
      customAttributes,
      outputFormat,
      completion: ownCallback
        ? 'GATEWAY_CALLBACK'
        : callerCallback !== undefined
          ? 'CALLER_CALLBACK'
          : 'NONE',
    } as const;
    await this.registry.start({ ...started, ...(token === undefined ? {} : { callbackToken: token }) });

    // 3. one Braze request.
    const callback =
      token === undefined ? callerCallback : `${this.publicUrl}${CALLBACK_PATH}${id}?token=${token}`;
    let answer;
    try {
      answer = await this.client.send(
        'users.export.segment',
        {
          segment_id: input.segmentId,
          fields_to_export: fieldsToExport,
          ...(customAttributes.length > 0 ? { custom_attributes_to_export: customAttributes } : {}),
          ...(input.outputFormat == null ? {} : { output_format: input.outputFormat.toLowerCase() }),
          ...(callback === undefined ? {} : { callback_endpoint: callback }),
        },
        { deadlineMs: this.deadlineMs },
      );
    } catch (err) {
      await this.registry.forget(id);
      if (err instanceof UpstreamError && err.kind === 'busy') {
        throw new UpstreamError(
          'busy',
          `Braze is already exporting segment ${input.segmentId} (one export per segment at a time, at most 100 at once): start again once it has finished.`,
          { status: err.status, brazeMessage: err.brazeMessage },
        );
      }
      throw err;
    }

    // 4. what Braze answered: the files' prefix, and a download URL without a bucket of its own.
    const objectPrefix = str(answer.body.object_prefix);
    if (objectPrefix === null) {
      await this.registry.forget(id);
      throw new UpstreamError('server', 'Braze accepted the segment export but sent no object_prefix.', {
        status: answer.status,
      });
    }
    const url = str(answer.body.url) ?? undefined;
    await this.registry.accepted(id, objectPrefix, url);
    return shape({ ...started, objectPrefix, ...(url === undefined ? {} : { url }) });
  }

  async get(id: string): Promise<SegmentExportShape | null> {
    const record = await this.registry.get(id);
    return record === undefined ? null : shape(record);
  }
}
