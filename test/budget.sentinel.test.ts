import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACK_EVENTS, event, type ItemResult } from './helpers.js';
import { useReplicaFleet } from './fixtures/replicaProcess.js';
import { freePort } from './redisServer.js';

/** A replica finds its Redis through a real Sentinel (`redis+sentinel://…?name=mymaster`). */

const fleet = useReplicaFleet({ rateLimits: {}, env: {} });

let sentinel: ChildProcess | undefined;
let sentinelPort = 0;
let dir = '';
beforeAll(async () => {
  sentinelPort = await freePort();
  dir = await mkdtemp(join(tmpdir(), 'bgw-sentinel-'));
  const conf = join(dir, 'sentinel.conf');
  await writeFile(
    conf,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor mymaster 127.0.0.1 ${fleet.redis.port} 1`,
      '',
    ].join('\n'),
  );
  sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  // Ready once it names the master it monitors.
  const probe = new Redis({ port: sentinelPort, host: '127.0.0.1', retryStrategy: () => 50 });
  probe.on('error', () => undefined);
  try {
    for (let i = 0; i < 100; i++) {
      const addr = (await probe.call('SENTINEL', 'get-master-addr-by-name', 'mymaster').catch(() => null)) as
        string[] | null;
      if (addr?.[1] === String(fleet.redis.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('sentinel never named the master');
  } finally {
    probe.disconnect();
  }
});
afterAll(async () => {
  if (sentinel !== undefined && sentinel.exitCode === null) {
    sentinel.kill('SIGKILL');
    await once(sentinel, 'exit');
  }
  await rm(dir, { recursive: true, force: true });
});

describe('REDIS_URL through Sentinel', () => {
  it('shares the budget on the master Sentinel names', async () => {
    const ws = `ws-sentinel-${randomUUID()}`;
    const replica = await fleet.start({
      REDIS_URL: `redis+sentinel://127.0.0.1:${sentinelPort}?name=mymaster`,
      BRAZE_WORKSPACE: ws,
    });
    const post = async <T>(query: string, variables?: unknown) =>
      (await (
        await fetch(replica.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query, variables }),
        })
      ).json()) as T;
    const tracked = await post<{ data: { trackEvents: ItemResult[] } }>(TRACK_EVENTS, {
      events: [event('s1', 'sentinel')],
    });
    expect(tracked.data.trackEvents[0]!.ok).toBe(true);
    const budget = await post<{ data: { rateBudget: Array<{ group: string; mode: string }> } }>(
      '{ rateBudget { group mode } }',
    );
    expect(budget.data.rateBudget.find((g) => g.group === 'users.track')!.mode).toBe('SHARED');
    // The count lives on the master itself.
    const master = new Redis(fleet.redis.url);
    try {
      const keys = await master.keys(`bgw:{${ws}}:*`);
      console.log(
        `Sentinel: replica shared through mymaster at :${fleet.redis.port}; keys ${keys.join(', ')}`,
      );
      expect(keys).toContain(`bgw:{${ws}}:users.track`);
    } finally {
      master.disconnect();
    }
  });
});
