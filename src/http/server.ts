import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../observability/log.js';
import { errorBody } from '../errors.js';
import type { CorsHandler } from './cors.js';
import { sendJson } from './respond.js';

/**
 * The node:http server and its router: a request id on every answer, one log line per request,
 * `connection: close` while draining, a coded 500 for anything unexpected, and a count of the
 * requests in flight for shutdown.
 */
export interface RouterOptions {
  log: Logger;
  /** Answers `req` if it is the playground's (a browser's GET of /graphql). */
  playground?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Exact paths answered without GraphQL (health, metrics). */
  routes: Record<string, (res: ServerResponse) => Promise<void> | void>;
  /** Paths under a prefix answered without GraphQL (Braze's callbacks), keyed by the prefix. */
  prefixRoutes?: Record<string, (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>>;
  /**
   * CORS on /graphql (and /): answers a preflight before authentication, and adds the CORS
   * headers to every other answer of those paths (see cors.ts).
   */
  cors?: CorsHandler;
  /** Everything on /graphql (and /). */
  graphql: (req: IncomingMessage, res: ServerResponse, url: URL, requestId: string) => Promise<void>;
}

export interface GatewayHttpServer {
  server: Server;
  /** Requests received and not yet answered. */
  readonly inFlight: number;
  /** From now on every answer says `connection: close`. */
  drain(): void;
}

export function createHttpServer(opts: RouterOptions): GatewayHttpServer {
  const { log } = opts;
  let inFlight = 0;
  let draining = false;
  const server = createServer((req, res) => {
    const startedMs = Date.now();
    inFlight += 1;
    res.on('close', () => {
      inFlight -= 1;
      // Checked first: the line's fields cost something to gather, and LOG_LEVEL may be above info.
      if (!log.isLevelEnabled('info')) return;
      log.info(
        {
          requestId: res.getHeader('x-request-id'),
          method: req.method,
          path: (req.url ?? '').split('?')[0],
          status: res.statusCode,
          durationMs: Date.now() - startedMs,
        },
        'request',
      );
    });
    // While draining, every answer tells the client to reconnect (to another replica).
    if (draining) res.setHeader('connection', 'close');
    route(req, res).catch((err: unknown) => {
      log.error({ err }, 'unhandled error while answering a request');
      if (!res.headersSent) sendJson(res, 500, errorBody('Internal server error', 'INTERNAL_SERVER_ERROR'));
      else res.end();
    });
  });
  server.keepAliveTimeout = 65_000;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    if (opts.playground?.(req, res) === true) return;
    const url = new URL(req.url ?? '/', 'http://gateway');
    const plain = opts.routes[url.pathname];
    if (plain !== undefined) return plain(res);
    for (const [prefix, handle] of Object.entries(opts.prefixRoutes ?? {})) {
      if (url.pathname.startsWith(prefix)) return handle(req, res, url);
    }
    if (url.pathname === '/graphql' || url.pathname === '/') {
      if (opts.cors?.(req, res) === true) return;
      return opts.graphql(req, res, url, requestId);
    }
    sendJson(res, 404, errorBody(`No route ${url.pathname}: the GraphQL endpoint is /graphql.`));
  }

  return {
    server,
    get inFlight() {
      return inFlight;
    },
    drain() {
      draining = true;
    },
  };
}

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  const id = Array.isArray(given) ? given[0] : given;
  // Accept a caller's id only when it is short and plain, so it is safe to log and echo.
  return id !== undefined && /^[\w.:-]{1,128}$/.test(id) ? id : nextRequestId();
}

/**
 * Generated request ids keep the UUID layout: a random prefix drawn once per process (74 random
 * bits, so replicas do not collide) and a 48-bit count of the requests this process numbered,
 * rather than fresh randomness for every request.
 */
const ID_PREFIX = randomUUID().slice(0, 24);
let idCount = 0;

function nextRequestId(): string {
  idCount += 1;
  return ID_PREFIX + idCount.toString(16).padStart(12, '0');
}
