import type { IncomingMessage, ServerResponse } from 'node:http';
import { ForbiddenError, errorBody } from '../errors.js';
import { sendJson } from './respond.js';

/**
 * CORS on /graphql, for browser frontends served from other origins (`CORS_ORIGINS`).
 *
 * - A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered here,
 *   before authentication: a browser never sends credentials or custom headers on a preflight,
 *   so asking it for a gateway key would refuse every frontend. An allowed origin gets 204 and
 *   the lists below; any other gets 403 with a coded JSON body and no CORS headers, so the
 *   browser refuses to send the actual request.
 * - Every other answer to an allowed origin (200s and errors alike: 400, 401, 403, 413…) carries
 *   `Access-Control-Allow-Origin`, or the browser would hide a refusal's status and body from the
 *   frontend. An answer to an origin not in the list is left as it was: the browser hides it.
 * - `Access-Control-Allow-Origin` echoes the one origin that asked, never `*`, and every answer
 *   says `Vary: Origin` once any origin is allowed, so a cache never hands one origin's answer to
 *   another. With `CORS_ORIGINS` empty, nothing changes but the preflight's refusal.
 * - No `Access-Control-Allow-Credentials`: callers authenticate with `Authorization: Bearer`,
 *   which a cross-origin fetch sends without it. Cookies are never a credential here, and a page
 *   that asks for `credentials: 'include'` is refused by the browser rather than given an
 *   ambient-credential channel nobody needs.
 * - CORS is the browser's rule, not an access control: a non-browser client can claim any
 *   Origin. Keys (and Apollo's CSRF prevention, which stays on) are what protects the gateway.
 */

/** The methods /graphql serves. */
export const CORS_ALLOW_METHODS = 'GET, POST, OPTIONS';
/**
 * The request headers a frontend may send beyond the CORS-safelisted ones: JSON bodies, the
 * gateway key, a deadline, Apollo's CSRF header for GET queries, and W3C trace context, so a
 * traced frontend's spans and the gateway's join one trace.
 */
export const CORS_ALLOW_HEADERS =
  'content-type, authorization, x-request-deadline-ms, apollo-require-preflight, traceparent, tracestate';
/**
 * Response headers a frontend may read beyond the safelisted ones: the request id, for support,
 * and the gateway's `traceparent` (when tracing is on), to find its trace.
 */
export const CORS_EXPOSE_HEADERS = 'x-request-id, traceparent';
/**
 * How long a browser may reuse a preflight's answer. Ten minutes: few preflights for a busy page,
 * and a change of CORS_ORIGINS reaches browsers soon (Chromium caps it at two hours anyway).
 */
export const CORS_MAX_AGE_SEC = 600;

/** Answers a CORS preflight (returns true) or adds CORS headers to the answer to come (false). */
export type CorsHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function corsHandler(allowedOrigins: readonly string[]): CorsHandler {
  const allowed = new Set(allowedOrigins);
  return (req, res) => {
    const origin = req.headers.origin;
    const preflight =
      req.method === 'OPTIONS' &&
      origin !== undefined &&
      req.headers['access-control-request-method'] !== undefined;
    // No origin allowed and not a preflight: the answer is exactly what it was before CORS.
    if (allowed.size === 0 && !preflight) return false;
    appendVary(res, 'Origin');
    const isAllowed = origin !== undefined && allowed.has(origin);

    if (!preflight) {
      if (isAllowed) {
        res.setHeader('access-control-allow-origin', origin);
        res.setHeader('access-control-expose-headers', CORS_EXPOSE_HEADERS);
      }
      return false;
    }

    // The preflight carries no body worth reading; drain it so the connection can be reused.
    req.resume();
    if (!isAllowed) {
      const shown = JSON.stringify(origin.slice(0, 200));
      const why =
        allowed.size === 0
          ? 'no origin is (CORS_ORIGINS is empty)'
          : 'it is not one of the origins in CORS_ORIGINS';
      sendJson(
        res,
        403,
        errorBody(new ForbiddenError(`Origin ${shown} may not call this gateway from a browser: ${why}.`)),
      );
      return true;
    }
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-methods', CORS_ALLOW_METHODS);
    res.setHeader('access-control-allow-headers', CORS_ALLOW_HEADERS);
    res.setHeader('access-control-max-age', String(CORS_MAX_AGE_SEC));
    res.statusCode = 204;
    res.end();
    return true;
  };
}

/** Adds `token` to the response's Vary header, keeping what is there. */
function appendVary(res: ServerResponse, token: string): void {
  const current = res.getHeader('vary');
  const values = (Array.isArray(current) ? current.join(',') : String(current ?? ''))
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (!values.some((v) => v.toLowerCase() === token.toLowerCase() || v === '*')) values.push(token);
  res.setHeader('vary', values.join(', '));
}

/**
 * Reads CORS_ORIGINS: comma-separated exact origins, `scheme://host[:port]` with http or https,
 * as a browser sends them in `Origin`. Spelling that means the same origin is normalised (case,
 * a default port, one trailing `/`); anything that would never match an `Origin` header (a path,
 * a query, a wildcard, `null`, a bare host name) is a configuration error.
 */
export function parseCorsOrigins(raw: string | undefined): { origins: string[]; problems: string[] } {
  const origins = new Set<string>();
  const problems: string[] = [];
  const items = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const item of items) {
    const checked = checkOrigin(item);
    if ('origin' in checked) origins.add(checked.origin);
    else
      problems.push(
        `CORS_ORIGINS item ${JSON.stringify(item)} is not valid: ${checked.problem}; expected comma-separated origins such as https://app.example.com,http://localhost:5173.`,
      );
  }
  return { origins: [...origins], problems };
}

function checkOrigin(item: string): { origin: string } | { problem: string } {
  // `https://*.example.com` would parse as a host name that never matches: say why instead.
  if (item.includes('*')) return { problem: 'a wildcard is not allowed, list each origin' };
  if (item.toLowerCase() === 'null') {
    return { problem: 'the "null" origin (sandboxed frames, file: pages) cannot be allowed' };
  }
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)\/?$/i.exec(item);
  if (m === null) {
    return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*[/?#]/i.test(item)
      ? { problem: 'an origin has no path, query or fragment, only scheme://host[:port]' }
      : { problem: 'not an origin of the form scheme://host[:port]' };
  }
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return { problem: 'the scheme must be http or https' };
  if (m[2]!.includes('@')) return { problem: 'an origin has no user name or password' };
  let url: URL;
  try {
    url = new URL(item);
  } catch {
    return { problem: 'the host or port is not valid' };
  }
  return { origin: url.origin };
}
