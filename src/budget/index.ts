import type { Config } from '../config.js';
import type { Logger } from '../observability/log.js';
import type { Telemetry } from '../observability/metrics.js';
import { RateBudgetService } from './rateBudget.js';
import { describeRedis, parseRedisUrl } from './redisConnection.js';
import { RedisStore } from './redisStore.js';

/**
 * The budget the gateway runs with: in memory without REDIS_URL (one replica), shared through
 * Redis with it. A Redis that is down at start-up is not fatal: the budget starts in fallback
 * mode and moves to the shared count when Redis answers.
 */
export function createBudget(
  config: Pick<Config, 'workspaceId' | 'rateLimits' | 'perAudienceLimit' | 'budget' | 'redisUrl'> &
    Partial<Pick<Config, 'shares'>>,
  log: Logger,
  now?: () => number,
  telemetry?: Telemetry,
): RateBudgetService {
  let lastErrorLogMs = 0;
  const redis = config.redisUrl === undefined ? undefined : new RedisStore({ url: config.redisUrl });
  if (config.redisUrl !== undefined) {
    // Where the budget is shared (one node, a Cluster's seeds or Sentinel's master): no secrets.
    const conn = parseRedisUrl(config.redisUrl);
    log.info(
      { redis: typeof conn === 'string' ? 'invalid' : describeRedis(conn) },
      'rate budget: shared through Redis',
    );
  }
  // ioredis retries every few hundred ms: say so once in a while, not every time.
  redis?.onError((err) => {
    if (Date.now() - lastErrorLogMs > 30_000) {
      lastErrorLogMs = Date.now();
      log.warn({ err: err.message }, 'rate budget: Redis connection error');
    }
  });
  const budget = new RateBudgetService({
    workspaceId: config.workspaceId,
    limits: config.rateLimits,
    perAudienceLimit: config.perAudienceLimit,
    headroom: config.budget.headroom,
    guardMs: config.budget.guardMs,
    replicas: config.budget.replicas,
    redis,
    log,
    now,
    telemetry,
    shares: config.shares,
  });
  return budget;
}

export {
  RateBudgetService,
  type BudgetGroupView,
  type BudgetMode,
  type BudgetShareView,
} from './rateBudget.js';
