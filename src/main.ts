import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig, type Config } from './config.js';
import { renderEnvHelp } from './envVars.js';
import { createLogger, type Logger } from './observability/log.js';
import type { Tracing } from './observability/tracing.js';
import { startGateway, type RunningGateway } from './app/startGateway.js';
import { startSimulator, type Simulator } from './simulator/index.js';

/**
 * Entry point: config → (simulator) → gateway → listen. SIGTERM/SIGINT stop accepting, flush
 * every pending batch and close connections before exiting.
 */
async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(renderEnvHelp());
    process.exit(0);
  }
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  // Imported only when asked for: without OTEL_* settings the SDK is never loaded. Its place
  // before the gateway starts matters for nothing but the first spans: the instrumentations
  // patch what they need whenever they start (see tracing.ts).
  const tracing =
    config.tracing.exporter === 'none'
      ? undefined
      : (await import('./observability/tracing.js')).startTracingFromConfig(config.tracing, log);

  let simulator: Simulator | undefined;
  let upstream: { restEndpoint: string; apiKey: string };
  if (config.mode === 'simulator') {
    // A throw-away key: the embedded simulator checks it like Braze would.
    const apiKey = randomBytes(16).toString('hex');
    simulator = await startSimulator({
      apiKey,
      contract: config.contract,
      rateLimits: config.rateLimits,
      latencyMs: config.simulatorLatencyMs,
      storeLimits: {
        maxUsers: config.simulatorMaxUsers,
        maxHistoryPerUser: config.simulatorMaxHistoryPerUser,
      },
      log: (msg, fields) => log.debug({ simulator: true, ...fields }, msg),
    });
    upstream = { restEndpoint: simulator.url, apiKey };
    log.warn(
      { simulator: simulator.url },
      'SIMULATOR MODE: no BRAZE_API_KEY is set, so the gateway talks to an embedded Braze simulator with in-memory users. Nothing reaches Braze.',
    );
  } else {
    upstream = { restEndpoint: config.upstream.restEndpoint!, apiKey: config.upstream.apiKey! };
  }

  const gateway = await startGateway({
    config: { ...config, upstream: { ...config.upstream, ...upstream } },
    log,
  });
  log.info(
    {
      url: gateway.url,
      mode: config.mode,
      instance: config.instance,
      braze: config.mode === 'braze' ? upstream.restEndpoint : undefined,
      contract: config.contract,
      batchWindowMs: config.batchWindowMs,
    },
    `braze-graphql-gateway listening on ${gateway.url}`,
  );
  installShutdown(gateway, simulator, tracing, log);
}

function installShutdown(
  gateway: RunningGateway,
  simulator: Simulator | undefined,
  tracing: Tracing | undefined,
  log: Logger,
): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: flushing pending batches');
    const limitMs = 30_000 + gateway.shutdownDelayMs;
    const forced = setTimeout(() => {
      log.error({ limitMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, limitMs);
    forced.unref();
    gateway
      .close()
      .then(() => simulator?.close())
      // The last spans (those of the drain) are exported before the process exits.
      .then(() => tracing?.shutdown())
      .then(() => {
        log.info('shutdown complete');
        process.exit(0);
      })
      .catch((err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `braze-graphql-gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
