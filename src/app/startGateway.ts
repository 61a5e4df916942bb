import type { AddressInfo } from 'node:net';
import { startApollo } from './apollo.js';
import { GatewayCore } from './gateway.js';
import type { BrazeClient } from '../braze/client.js';
import type { RateBudgetService } from '../budget/index.js';
import type { Config } from '../config.js';
import { corsHandler } from '../http/cors.js';
import { graphqlRoute } from '../http/graphql.js';
import { healthRoutes } from '../http/health.js';
import { createHttpServer } from '../http/server.js';
import type { Logger } from '../observability/log.js';
import { PromMetrics } from '../observability/metrics.js';
import { DEFAULT_EXAMPLES } from '../playground/examples.js';
import { createPlaygroundHandler } from '../playground/handler.js';
import { segmentExportCallback } from '../segmentExports/callback.js';
import { CALLBACK_PATH } from '../segmentExports/service.js';

/**
 * A running gateway, assembled: the composition root (src/app: budget, client, lanes,
 * services), Apollo Server (src/app/apollo.ts) and the HTTP side (src/http: router, health,
 * /graphql). Owns the order of shutdown.
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
  /** SHUTDOWN_DELAY_MS: how long `close` serves on, not ready, before it drains. */
  shutdownDelayMs: number;
  /**
   * After SHUTDOWN_DELAY_MS with /readyz at 503, stop accepting connections, answer every request
   * already received (flushing batches at once instead of waiting for their windows), then close
   * upstream connections. Draining is bounded by `shutdownTimeoutMs`.
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
  metrics.readBudget(core.budget);
  metrics.readBreaker(core.client);
  metrics.readLanes(core);
  if (core.persistedQueries !== undefined) metrics.readApq(core.persistedQueries);
  for (const warning of config.auth.warnings) log.warn(warning);
  const apollo = await startApollo(config, log, metrics, {
    persistedQueries: core.persistedQueries ?? false,
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

  let shuttingDown = false;
  const http = createHttpServer({
    log,
    playground,
    routes: healthRoutes({ config, core, metrics, draining: () => shuttingDown }),
    // Braze's segment-export callbacks, when Braze has a URL to reach the gateway by.
    prefixRoutes:
      config.publicUrl === undefined
        ? {}
        : { [CALLBACK_PATH]: segmentExportCallback(core.segmentExports, log, CALLBACK_PATH) },
    cors: corsHandler(config.corsOrigins),
    graphql: graphqlRoute({
      config,
      core,
      apollo,
      maxItems: opts.maxItemsPerMutation ?? config.limits.maxListItems,
    }),
  });
  const { server } = http;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;

  let closing: Promise<void> | undefined;
  const shutdownTimeoutMs = opts.shutdownTimeoutMs ?? 25_000;
  return {
    url: `http://${shownHost}:${port}/graphql`,
    port,
    client: core.client,
    core,
    budget: core.budget,
    metrics,
    shutdownDelayMs: config.shutdownDelayMs,
    close: () =>
      (closing ??= (async () => {
        shuttingDown = true;
        // /readyz says 503 from now on; until the delay is over every request is still served as
        // usual, so a load balancer that has not yet seen the 503 loses nothing (a preStop delay).
        if (config.shutdownDelayMs > 0) {
          log.info(
            { delayMs: config.shutdownDelayMs },
            'shutdown: not ready; serving on until the delay ends',
          );
          await new Promise((r) => setTimeout(r, config.shutdownDelayMs));
        }
        http.drain();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        const until = Date.now() + shutdownTimeoutMs;
        // Answer what was received: lanes send what they hold now instead of lingering, and what
        // cannot leave in time (waiting for a budget window past the bound) is refused with
        // RATE_LIMITED, so every caller gets an answer before the connections close. A margin
        // is kept for those answers to be written.
        const drainUntil = until - Math.min(2_000, shutdownTimeoutMs / 5);
        const drained = core.drain(drainUntil);
        while (http.inFlight > 0 && Date.now() < until) {
          server.closeIdleConnections();
          // A timer, not just `drained`: once that settles, awaiting it alone would spin without
          // ever letting the answers' sockets finish.
          await new Promise((r) => setTimeout(r, 10));
        }
        await drained;
        server.closeIdleConnections();
        if (http.inFlight > 0)
          log.error(
            { inFlight: http.inFlight },
            'shutdown: requests still in flight after the timeout; closing',
          );
        server.closeAllConnections();
        await stopped;
        await core.drain(Date.now());
        await apollo.stop();
        await core.close();
      })()),
  };
}
