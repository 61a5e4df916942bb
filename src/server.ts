import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import { GatewayCore } from './app/gateway.js';
import type { BrazeClient } from './braze/client.js';
import type { RateBudgetService } from './budget/index.js';
import type { Config } from './config.js';
import type { GatewayContext } from './context.js';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ForbiddenError, UnauthenticatedError, formatError } from './errors.js';
import { FIELD_PERMISSIONS } from './permissions.js';
import { DEFAULT_EXAMPLES } from './playground/examples.js';
import { createPlaygroundHandler } from './playground/handler.js';
import { permissionsPlugin, requestLimitsPlugin } from './security/apolloPlugins.js';
import { authFailureResponse, authenticate, clientAddress } from './security/authentication.js';
import { type Principal } from './security/keyStore.js';
import { limitValidationRules } from './security/limits.js';
import { PromMetrics } from './metrics.js';
import { operationMetricsPlugin } from './observability.js';
import type { Logger } from './log.js';
import { buildSchema } from './schema.js';

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
  /** Longest `close()` waits for requests in flight before it cuts connections. */
  shutdownTimeoutMs?: number;
  /** Most items accepted in one list argument. */
  maxItemsPerMutation?: number;
}

export interface RunningGateway {
  url: string;
  port: number;
  client: BrazeClient;
  /** The composition root: lanes, budget, services. */
  core: GatewayCore;
  budget: RateBudgetService;
  metrics: PromMetrics;
  /**
   * Stop accepting connections, answer every request already received (flushing batches at
   * once instead of waiting for their windows), then close upstream connections. Bounded by
   * `shutdownTimeoutMs`.
   */
  close(): Promise<void>;
}

export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const { config, log } = opts;
  // The metrics exist before what reports to them; they read the budget once it exists.
  const metrics = new PromMetrics();
  const core = await GatewayCore.create({
    config,
    log,
    telemetry: metrics,
    budget: opts.budget,
    now: opts.now,
  });
  const { budget, client } = core;
  metrics.readBudget(budget);
  const maxItems = opts.maxItemsPerMutation ?? config.limits.maxListItems;
  let shuttingDown = false;
  let inFlight = 0;

  for (const warning of config.auth.warnings) log.warn(warning);
  const apollo = new ApolloServer<GatewayContext>({
    schema: buildSchema(),
    formatError,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    introspection: config.introspection,
    logger: log,
    // main.ts owns shutdown: batches must flush before Apollo stops.
    stopOnTerminationSignals: false,
    // Bounds the work of parsing, which comes before every other check.
    parseOptions: { maxTokens: 50_000 },
    validationRules: limitValidationRules(config.limits),
    plugins: [
      // The playground is ours (served offline); Apollo's landing page would load from a CDN.
      ApolloServerPluginLandingPageDisabled(),
      operationMetricsPlugin(metrics),
      permissionsPlugin<GatewayContext>({
        fieldPermissions: FIELD_PERMISSIONS,
        principalOf: (ctx) => ctx.principal,
      }),
      requestLimitsPlugin<GatewayContext>(config.limits),
    ],
  });
  const playground =
    config.playground === 'off'
      ? undefined
      : createPlaygroundHandler({
          endpointPath: '/graphql',
          examples: DEFAULT_EXAMPLES,
          ui: config.playground,
          ...(config.auth.open ? {} : { headers: { Authorization: 'Bearer <your gateway key>' } }),
        });
  if (playground?.note !== undefined) log.warn(playground.note);
  await apollo.start();

  const server = createServer((req, res) => {
    const startedMs = Date.now();
    inFlight += 1;
    res.on('close', () => {
      inFlight -= 1;
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
    if (shuttingDown) res.setHeader('connection', 'close');
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
    if (playground?.(req, res) === true) return;
    const url = new URL(req.url ?? '/', 'http://gateway');
    switch (url.pathname) {
      case '/healthz':
        // Live: the process answers. Nothing else is checked, so a Redis outage never restarts it.
        sendJson(res, 200, { status: 'ok' });
        return;
      case '/readyz': {
        const redis =
          config.redisUrl === undefined ? 'not configured' : budget.mode === 'shared' ? 'up' : 'down';
        const ready = !shuttingDown;
        sendJson(res, ready ? 200 : 503, {
          status: ready ? 'ready' : 'shutting down',
          config: 'ok',
          mode: config.mode,
          budget: budget.mode,
          redis,
          braze: client.breakerState,
          // Per endpoint: the per-request maximum in force (lowered when Braze said so), items waiting.
          lanes: core.lanes().map(({ endpoint, maxItemsPerRequest, learned, queued }) => ({
            endpoint,
            maxItemsPerRequest,
            learned,
            queued,
          })),
        });
        return;
      }
      case '/metrics':
        res.setHeader('content-type', metrics.registry.contentType);
        res.end(await metrics.registry.metrics());
        return;
      case '/graphql':
      case '/':
        break;
      default:
        sendJson(res, 404, {
          errors: [{ message: `No route ${url.pathname}: the GraphQL endpoint is /graphql.` }],
        });
        return;
    }
    // Who is calling, before the body is even read.
    let principal: Principal;
    try {
      principal = authenticate(
        config.auth.keys,
        req.headers.authorization,
        clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], config.trustedProxies),
      );
    } catch (err) {
      if (err instanceof UnauthenticatedError || err instanceof ForbiddenError) {
        const refusal = authFailureResponse(err);
        for (const [k, v] of Object.entries(refusal.headers)) res.setHeader(k, v);
        sendJson(res, refusal.status, refusal.body);
        req.resume();
        return;
      }
      throw err;
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
        return { requestId, principal, deadlineMs, ...core.services(deadlineMs, maxItems) };
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
  const shutdownTimeoutMs = opts.shutdownTimeoutMs ?? 25_000;
  return {
    url,
    port,
    client,
    core,
    budget,
    metrics,
    close: () =>
      (closing ??= (async () => {
        shuttingDown = true;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        const until = Date.now() + shutdownTimeoutMs;
        // Answer what was received: lanes send what they hold now instead of lingering, and what
        // cannot leave in time (waiting for a budget window past the bound) is refused with
        // RATE_LIMITED, so every caller gets an answer before the connections close. A margin
        // is kept for those answers to be written.
        const drainUntil = until - Math.min(2_000, shutdownTimeoutMs / 5);
        const drained = core.drain(drainUntil);
        while (inFlight > 0 && Date.now() < until) {
          server.closeIdleConnections();
          // A timer, not just `drained`: once that settles, awaiting it alone would spin without
          // ever letting the answers' sockets finish.
          await new Promise((r) => setTimeout(r, 10));
        }
        await drained;
        server.closeIdleConnections();
        if (inFlight > 0)
          log.error({ inFlight }, 'shutdown: requests still in flight after the timeout; closing');
        server.closeAllConnections();
        await stopped;
        await core.drain(Date.now());
        await apollo.stop();
        await core.close();
      })()),
  };
}

/**
 * How long this request may wait for budget and Braze: the default, or what the client asks
 * for in `x-request-deadline-ms` (lower, or higher up to REQUEST_DEADLINE_MAX_MS).
 */
/** The shortest deadline a caller may ask for with `x-request-deadline-ms`. */
const MIN_REQUEST_DEADLINE_MS = 100;

function deadlineFor(header: string | undefined, config: Config): number {
  if (header === undefined) return config.requestDeadlineMs;
  const asked = Number(header);
  if (!Number.isFinite(asked) || asked <= 0) return config.requestDeadlineMs;
  // A floor, so a typo (`1`) gets a refusal a client can act on rather than a certain timeout.
  return Math.min(Math.max(asked, MIN_REQUEST_DEADLINE_MS), config.maxRequestDeadlineMs);
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
