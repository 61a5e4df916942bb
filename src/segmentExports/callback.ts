import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../observability/log.js';
import { readBody, sendJson } from '../http/respond.js';
import type { ExportRegistry } from './registry.js';

/**
 * POST <GATEWAY_PUBLIC_URL>/callbacks/segment-export/<id>?token=<secret>: Braze's call when a
 * segment export is ready, with `{"success": true, "url"?}` (docs/braze-facts.md §3.21). Braze
 * signs nothing and sends no key, so the route needs no gateway key: the per-export secret in the
 * URL (only its hash is stored) is what proves the call comes from the Braze request the gateway
 * made. It travels in the query string, which the request log leaves out. An unknown export and a
 * wrong secret get the same 404, so the route tells a prober nothing.
 */

/** Braze's callback body is a few hundred bytes. */
const MAX_BODY_BYTES = 16 * 1024;

export function segmentExportCallback(
  registry: ExportRegistry,
  log: Logger,
  prefix: string,
): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  return async (req, res, url) => {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return sendJson(res, 405, { message: 'Method Not Allowed' });
    }
    const id = decodeURIComponent(url.pathname.slice(prefix.length));
    const token = url.searchParams.get('token') ?? '';
    const text = await readBody(req, MAX_BODY_BYTES);
    if (text === 'too-large') return sendJson(res, 413, { message: 'Request Entity Too Large' });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return sendJson(res, 400, { message: 'The body must be JSON' });
    }
    const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const success = b.success === true;
    const downloadUrl = typeof b.url === 'string' ? b.url : undefined;
    if (id === '' || token === '' || !(await registry.complete(id, token, success, downloadUrl))) {
      return sendJson(res, 404, { message: 'No such segment export' });
    }
    // Neither the secret nor the download URL is logged.
    log.info({ exportId: id, success }, 'segment export: Braze called back');
    sendJson(res, 200, { message: 'success' });
  };
}
