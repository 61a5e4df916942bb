/**
 * One gateway as a process of its own, for `npm run bench`: configured by the environment like
 * `npm start` (BRAZE_API_KEY + BRAZE_REST_ENDPOINT point it at the benchmark's simulator).
 * Logs go to stderr; stdout carries one line, `{"url": …}`, once listening. SIGTERM or SIGINT
 * close it gracefully, so `node --cpu-prof` gets to write its profile.
 */
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startGateway } from '../src/server.js';

const config = loadConfig(process.env);
if (config.upstream.restEndpoint === undefined || config.upstream.apiKey === undefined) {
  process.stderr.write('bench/gateway.ts: set BRAZE_API_KEY and BRAZE_REST_ENDPOINT (the simulator)\n');
  process.exit(1);
}
const log = createLogger(config.logLevel, process.stderr as never);
const gateway = await startGateway({
  config: {
    ...config,
    upstream: {
      ...config.upstream,
      restEndpoint: config.upstream.restEndpoint,
      apiKey: config.upstream.apiKey,
    },
  },
  log,
});
process.stdout.write(`${JSON.stringify({ url: gateway.url })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void gateway.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
