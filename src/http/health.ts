import type { ServerResponse } from 'node:http';
import type { GatewayCore } from '../app/gateway.js';
import type { Config } from '../config.js';
import type { PromMetrics } from '../observability/metrics.js';
import { sendJson } from './respond.js';

/** /healthz (live), /readyz (ready, with what an operator needs) and /metrics. */
export function healthRoutes(opts: {
  config: Config;
  core: GatewayCore;
  metrics: PromMetrics;
  draining: () => boolean;
}): Record<string, (res: ServerResponse) => Promise<void> | void> {
  const { config, core, metrics } = opts;
  return {
    // Live: the process answers. Nothing else is checked, so a Redis outage never restarts it.
    '/healthz': (res) => sendJson(res, 200, { status: 'ok' }),
    '/readyz': (res) => {
      const budgetMode = core.budget.mode;
      const redis =
        config.redisUrl === undefined ? 'not configured' : budgetMode === 'shared' ? 'up' : 'down';
      const ready = !opts.draining();
      sendJson(res, ready ? 200 : 503, {
        status: ready ? 'ready' : 'shutting down',
        config: 'ok',
        mode: config.mode,
        budget: budgetMode,
        redis,
        braze: core.client.breakerState,
        // Per endpoint: the per-request maximum in force (lowered when Braze said so), items waiting.
        lanes: core.lanes().map(({ endpoint, maxItemsPerRequest, learned, queued }) => ({
          endpoint,
          maxItemsPerRequest,
          learned,
          queued,
        })),
      });
    },
    '/metrics': async (res) => {
      res.setHeader('content-type', metrics.registry.contentType);
      res.end(await metrics.registry.metrics());
    },
  };
}
