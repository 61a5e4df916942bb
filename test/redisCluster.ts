import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redisServer.js';

const run = promisify(execFile);

/**
 * A real Redis Cluster of three masters (no replicas) on free loopback ports, each node in its
 * own temporary directory, for tests of the gateway on `redis+cluster://`.
 */
export interface TestRedisCluster {
  /** `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3` */
  url: string;
  ports: number[];
  /** Stop every node and remove their directories. */
  stop(): Promise<void>;
  /** The port of the master serving `key`'s hash slot. */
  ownerOf(key: string): Promise<number>;
  /** Shut one node down (no save); `startNode` brings it back with its slots (nodes.conf kept). */
  stopNode(port: number): Promise<void>;
  startNode(port: number): Promise<void>;
  /** Resolves once every node says `cluster_state:ok` again. */
  ok(timeoutMs: number): Promise<void>;
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args]);
  return stdout;
}

async function startNode(port: number, dir: string): Promise<void> {
  await run(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, `nodes-${port}.conf`),
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'yes',
      '--pidfile',
      join(dir, `redis-${port}.pid`),
      '--logfile',
      join(dir, `redis-${port}.log`),
    ],
    { cwd: dir },
  );
  for (let i = 0; i < 100; i++) {
    if ((await cli(port, 'ping').catch(() => '')).trim() === 'PONG') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server (cluster node) did not start on port ${port}`);
}

/** Waits until every node says `cluster_state:ok`; throws after `timeoutMs`. */
async function clusterOk(ports: number[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(ports.map((p) => cli(p, 'cluster', 'info').catch(() => '')));
    if (states.every((s) => s.includes('cluster_state:ok'))) return;
    if (Date.now() > until) throw new Error(`Redis Cluster never reached cluster_state:ok`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startTestRedisCluster(): Promise<TestRedisCluster> {
  const ports: number[] = [];
  const dirs: string[] = [];
  const dirOf = new Map<number, string>();
  const stop = async () => {
    await Promise.all(ports.map((p) => cli(p, 'shutdown', 'nosave').catch(() => undefined)));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  };
  try {
    while (ports.length < 3) {
      const port = await freePort();
      // A cluster node also listens on port + 10000 (the bus): both must be free and distinct.
      if (port > 55_000 || ports.includes(port)) continue;
      const dir = await mkdtemp(join(tmpdir(), `bgw-cluster-${port}-`));
      dirs.push(dir);
      await startNode(port, dir);
      ports.push(port);
      dirOf.set(port, dir);
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await clusterOk(ports, 20_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    ports,
    stop,
    async ownerOf(key) {
      const slot = Number((await cli(ports[0]!, 'cluster', 'keyslot', key)).trim());
      for (const port of ports) {
        const mine = (await cli(port, 'cluster', 'myid')).trim();
        const nodes = await cli(port, 'cluster', 'nodes');
        const line = nodes.split('\n').find((l) => l.startsWith(mine))!;
        for (const range of line.split(' ').slice(8)) {
          const [from, to] = range.split('-').map(Number);
          if (slot >= from! && slot <= (to ?? from)!) return port;
        }
      }
      throw new Error(`no master serves slot ${slot}`);
    },
    async stopNode(port) {
      await cli(port, 'shutdown', 'nosave').catch(() => undefined);
    },
    async startNode(port) {
      await startNode(port, dirOf.get(port)!);
    },
    ok: (timeoutMs) => clusterOk(ports, timeoutMs),
  };
}
