import { Redis } from 'ioredis';
import { freePort, startCommand, type Child } from './processes.js';

/** A private, non-persistent redis-server on a free loopback port, for the replicas scenario. */
export async function startPrivateRedis(): Promise<{ url: string; child: Child }> {
  const port = await freePort();
  const child = startCommand('redis-server', 'redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  for (let i = 0; i < 100; i++) {
    if (await ping(port)) return { url: `redis://127.0.0.1:${port}`, child };
    if (child.process.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await child.stop(500);
  throw new Error(`redis-server did not answer on port ${port} (is redis-server on PATH?)`);
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
