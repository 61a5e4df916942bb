import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type HTTPGraphQLRequest } from '@apollo/server';
import type { GatewayCore } from '../app/gateway.js';
import type { Config } from '../config.js';
import type { GatewayContext } from '../app/context.js';
import { BadInputError, ForbiddenError, UnauthenticatedError, errorBody } from '../errors.js';
import { authFailureResponse, authenticate, clientAddress } from '../security/authentication.js';
import type { Principal } from '../security/keyStore.js';
import { startRequestSpan, type RequestSpan } from '../observability/spans.js';
import { isJson, readBody, sendJson } from './respond.js';

/** The shortest deadline a caller may ask for with `x-request-deadline-ms`. */
const MIN_REQUEST_DEADLINE_MS = 100;

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, requestId: string) => Promise<void>;

/**
 * POST/GET /graphql: authenticate (before the body is read), read the body within its limit,
 * hand the request to Apollo with a context bound to the caller and its deadline. Tracing on,
 * all of it runs in the request's server span (continuing the caller's `traceparent`), and the
 * answer carries a `traceparent` naming that span.
 */
export function graphqlRoute(opts: {
  config: Config;
  core: GatewayCore;
  apollo: ApolloServer<GatewayContext>;
  maxItems: number;
}): Handler {
  const handle = graphqlHandler(opts);
  return async (req, res, url, requestId) => {
    const span = startRequestSpan({
      headers: req.headers,
      method: (req.method ?? 'GET').toUpperCase(),
      requestId,
    });
    if (span === undefined) return handle(req, res, url, requestId, undefined);
    // Same trace id as the caller's, and the gateway's span as parent id: what a caller quotes
    // to find this request's trace (and its logs, by the request id the span carries).
    if (span.traceparent !== undefined) res.setHeader('traceparent', span.traceparent);
    try {
      await span.run(() => handle(req, res, url, requestId, span));
      span.end(res.statusCode);
    } catch (err) {
      span.end(500, err);
      throw err;
    }
  };
}

function graphqlHandler(opts: {
  config: Config;
  core: GatewayCore;
  apollo: ApolloServer<GatewayContext>;
  maxItems: number;
}): (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  requestId: string,
  span: RequestSpan | undefined,
) => Promise<void> {
  const { config, core, apollo, maxItems } = opts;
  return async (req, res, url, requestId, span) => {
    const principal = authenticated(req, res, config);
    if (principal === undefined) return;
    span?.caller(principal.name);
    const body = await readBody(req, config.maxRequestBodyBytes);
    if (body === 'too-large') {
      sendJson(
        res,
        413,
        errorBody(new BadInputError(`Request body larger than ${config.maxRequestBodyBytes} bytes.`)),
      );
      req.resume();
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    let parsed: unknown = body;
    if (req.method === 'POST' && isJson(headers.get('content-type'))) {
      try {
        parsed = body === '' ? undefined : JSON.parse(body);
      } catch {
        sendJson(res, 400, errorBody(new BadInputError('The request body is not valid JSON.')));
        return;
      }
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      headers,
      search: url.search,
      body: parsed,
    };
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: async () => {
        const deadlineMs = Date.now() + deadlineFor(headers.get('x-request-deadline-ms'), config);
        // The services object itself (its services are made on first use): never spread it.
        return Object.assign(core.services(deadlineMs, maxItems, principal.name), {
          requestId,
          principal,
          deadlineMs,
        });
      },
    });
    // Answers are per caller and may hold personal data: never stored by a shared cache.
    res.setHeader('cache-control', 'no-store');
    for (const [key, value] of result.headers) res.setHeader(key, value);
    res.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  };
}

/** Who is calling; on a refusal, answers 401/403 and returns undefined. */
function authenticated(req: IncomingMessage, res: ServerResponse, config: Config): Principal | undefined {
  try {
    return authenticate(
      config.auth.keys,
      req.headers.authorization,
      clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], config.trustedProxies),
    );
  } catch (err) {
    if (!(err instanceof UnauthenticatedError || err instanceof ForbiddenError)) throw err;
    const refusal = authFailureResponse(err);
    for (const [k, v] of Object.entries(refusal.headers)) res.setHeader(k, v);
    sendJson(res, refusal.status, refusal.body);
    req.resume();
    return undefined;
  }
}

/**
 * How long this request may wait for budget and Braze: the default, or what the client asks
 * for in `x-request-deadline-ms` (at least 100 ms, at most REQUEST_DEADLINE_MAX_MS).
 */
export function deadlineFor(header: string | undefined, config: Config): number {
  if (header === undefined) return config.requestDeadlineMs;
  const asked = Number(header);
  if (!Number.isFinite(asked) || asked <= 0) return config.requestDeadlineMs;
  // A floor, so a typo (`1`) gets a refusal a client can act on rather than a certain timeout.
  return Math.min(Math.max(asked, MIN_REQUEST_DEADLINE_MS), config.maxRequestDeadlineMs);
}
