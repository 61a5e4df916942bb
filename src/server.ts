import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import { TrackBatcher } from './batching/trackBatcher.js';
import { BrazeClient } from './braze/client.js';
import { SharedCache } from './catalog/cache.js';
import { CatalogService } from './catalog/service.js';
import { CONTRACTS } from './braze/contracts.js';
import { createBudget, type RateBudgetService } from './budget/index.js';
import type { Config } from './config.js';
import type { GatewayContext } from './context.js';
import { formatError } from './errors.js';
import { MessagingBatchers, MessagingService } from './messaging/service.js';
import type { Logger } from './log.js';
import { buildSchema } from './schema.js';
import { createExportLoader } from './users/exportLoader.js';
import { IdentityBatchers } from './users/identity.js';
import { UsersService } from './users/service.js';

/**
 * The gateway's HTTP side: Apollo Server on /graphql, plus health. Apollo is driven through its
 * framework-neutral `executeHTTPGraphQLRequest`, over node:http, so the gateway owns body limits,
 * request ids and routes without an extra web framework.
 */

export interface GatewayOptions {
  /** Config with a concrete upstream (in simulator mode, main.ts fills in the simulator's URL). */
  config: Config & { upstream: { restEndpoint: string; apiKey: string } };
  log: Logger;
  /** The rate budget; by default one built from the config (Redis when REDIS_URL is set). */
  budget?: RateBudgetService;
  /** Clock for the budget (tests skew it). */
  now?: () => number;
  /** Most items accepted in one list argument. */
  maxItemsPerMutation?: number;
}

export interface RunningGateway {
  url: string;
  port: number;
  client: BrazeClient;
  batcher: TrackBatcher;
  budget: RateBudgetService;
  /** Stop accepting, flush pending batches, close upstream connections. */
  close(): Promise<void>;
}

export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const { config, log } = opts;
  const budget = opts.budget ?? createBudget(config, log, opts.now);
  await budget.ready(2_000);
  const client = new BrazeClient({ ...config.upstream, budget, log });
  const batcher = new TrackBatcher({
    client,
    capacity: CONTRACTS[config.contract].track,
    windowMs: config.batchWindowMs,
    maxBodyBytes: config.maxUpstreamBodyBytes,
    log,
  });
  const identity = new IdentityBatchers(client, { windowMs: config.batchWindowMs, log });
  const cache = new SharedCache({ prefix: `bgw:{${config.workspaceId}}`, redis: budget.redisClient, log });
  const catalog = new CatalogService(client, cache, config.catalogCacheTtlMs);
  const messaging = new MessagingBatchers(client, { windowMs: config.batchWindowMs, log });
  const maxItems = opts.maxItemsPerMutation ?? 10_000;

  const apollo = new ApolloServer<GatewayContext>({
    schema: buildSchema(),
    formatError,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    logger: log,
    // main.ts owns shutdown: batches must flush before Apollo stops.
    stopOnTerminationSignals: false,
  });
  await apollo.start();

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'unhandled error while answering a request');
      if (!res.headersSent)
        sendJson(res, 500, {
          errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
        });
      else res.end();
    });
  });
  server.keepAliveTimeout = 65_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    if (url.pathname !== '/graphql' && url.pathname !== '/') {
      sendJson(res, 404, {
        errors: [{ message: `No route ${url.pathname}: the GraphQL endpoint is /graphql.` }],
      });
      return;
    }
    const body = await readBody(req, config.maxRequestBodyBytes);
    if (body === 'too-large') {
      sendJson(
        res,
        413,
        graphqlError(`Request body larger than ${config.maxRequestBodyBytes} bytes.`, 'BAD_USER_INPUT'),
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
        sendJson(res, 400, graphqlError('The request body is not valid JSON.', 'BAD_USER_INPUT'));
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
        return {
          requestId,
          deadlineMs,
          users: new UsersService(
            { track: batcher, identity },
            createExportLoader(client, () => deadlineMs),
            deadlineMs,
            maxItems,
          ),
          budget,
          catalog,
          messaging: new MessagingService(client, messaging, deadlineMs, maxItems),
        };
      },
    });
    for (const [key, value] of result.headers) res.setHeader(key, value);
    res.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${shownHost}:${port}/graphql`;

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    client,
    batcher,
    budget,
    close: () =>
      (closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await Promise.all([batcher.flush(), identity.flush(), messaging.flush()]);
        await stopped;
        await apollo.stop();
        await client.close();
        await budget.close();
      })()),
  };
}

/**
 * How long this request may wait for budget and Braze: the default, or what the client asks
 * for in `x-request-deadline-ms` (lower, or higher up to REQUEST_DEADLINE_MAX_MS).
 */
function deadlineFor(header: string | undefined, config: Config): number {
  if (header === undefined) return config.requestDeadlineMs;
  const asked = Number(header);
  if (!Number.isFinite(asked) || asked <= 0) return config.requestDeadlineMs;
  return Math.min(asked, config.maxRequestDeadlineMs);
}

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  const id = Array.isArray(given) ? given[0] : given;
  // Accept a caller's id only when it is short and plain, so it is safe to log and echo.
  return id !== undefined && /^[\w.:-]{1,128}$/.test(id) ? id : randomUUID();
}

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType.trim());
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<string | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function graphqlError(message: string, code: string): unknown {
  return { errors: [{ message, extensions: { code } }] };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}
