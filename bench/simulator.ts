/**
 * The Braze simulator as a process of its own, for `npm run bench`. Configured by the environment:
 * `PORT` (default 0: a free port), `BRAZE_API_KEY` (the key it accepts) and `RATE_LIMIT_<GROUP>`
 * (same syntax as the gateway's). Prints `{"url": …}` once listening; SIGTERM or SIGINT stop it.
 */
import {
  RATE_GROUP_NAMES,
  rateLimitEnvName,
  type RateGroupName,
  type RateLimit,
} from '../src/budget/groups.js';
import { parseRateLimit } from '../src/config.js';
import { startSimulator } from '../src/simulator/index.js';

const apiKey = process.env.BRAZE_API_KEY;
if (apiKey === undefined || apiKey === '') {
  process.stderr.write('bench/simulator.ts: BRAZE_API_KEY must be set\n');
  process.exit(1);
}

const rateLimits: Partial<Record<RateGroupName, RateLimit>> = {};
for (const group of RATE_GROUP_NAMES) {
  const raw = process.env[rateLimitEnvName(group)];
  if (raw === undefined) continue;
  const parsed = parseRateLimit(raw);
  if (parsed === undefined) {
    process.stderr.write(`bench/simulator.ts: ${rateLimitEnvName(group)}=${raw} is not <count>/<window>\n`);
    process.exit(1);
  }
  rateLimits[group] = parsed;
}

const simulator = await startSimulator({
  apiKey,
  port: Number(process.env.PORT ?? 0),
  rateLimits,
  // Counts come from GET /_simulator/stats; keep few request bodies in memory.
  maxRecordedRequests: 100,
});
process.stdout.write(`${JSON.stringify({ url: simulator.url })}\n`);

const stop = (): void => {
  void simulator.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
