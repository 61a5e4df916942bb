import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/**
 * A private redis-server for tests that stop and restart Redis or count its commands, so they
 * never disturb the shared one at REDIS_URL / 127.0.0.1:6379.
 */
export interface TestRedis {
  url: string;
  port: number;
  /** Stop the server (it can be started again on the same port). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** The redis-server process id while it runs (the benchmark samples its CPU). */
  readonly pid: number | undefined;
  /** Calls of each command since start (INFO commandstats), e.g. { evalsha: 12 }. */
  commandCalls(): Promise<Record<string, number>>;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

async function ping(port: number): Promise<boolean> {
  const r = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

export async function startTestRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    for (let i = 0; i < 100; i++) {
      if (await ping(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not start on port ${port} (is redis-server on PATH?)`);
  };
  const stop = async () => {
    if (child === undefined || child.exitCode !== null) return;
    const c = child;
    c.kill('SIGKILL');
    if (c.exitCode === null) await once(c, 'exit');
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    get pid() {
      return child?.pid;
    },
    async commandCalls() {
      const r = new Redis({ port, host: '127.0.0.1' });
      try {
        const info = await r.info('commandstats');
        const out: Record<string, number> = {};
        for (const m of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
        return out;
      } finally {
        r.disconnect();
      }
    },
  };
}
