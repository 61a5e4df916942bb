import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * The three forms REDIS_URL takes: one node (`redis://` / `rediss://`, handed to ioredis as is),
 * a Redis Cluster (`redis+cluster://host:port,host:port[?password=…]`) and Sentinel
 * (`redis+sentinel://host:port,host:port?name=mymaster[&password=…][&sentinelPassword=…][&db=N]`).
 * The password is only ever passed to ioredis: problems name the form, never the URL.
 */
export type RedisConnection =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: HostPort[]; password?: string; username?: string }
  | {
      kind: 'sentinel';
      sentinels: HostPort[];
      name: string;
      password?: string;
      username?: string;
      sentinelPassword?: string;
      db?: number;
    };

export interface HostPort {
  host: string;
  port: number;
}

const FORMS =
  'expected redis://host:port[/db], rediss://…, redis+cluster://host:port,host:port[?password=…] or redis+sentinel://host:port,…?name=mymaster[&password=…]';

/** Parses REDIS_URL; a string result is the problem (safe to log: it never repeats the URL). */
export function parseRedisUrl(raw: string): RedisConnection | string {
  const scheme = /^([a-z+]+):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === 'redis' || scheme === 'rediss') return { kind: 'single', url: raw };
  if (scheme !== 'redis+cluster' && scheme !== 'redis+sentinel') return `REDIS_URL is not valid: ${FORMS}.`;
  const form = scheme === 'redis+cluster' ? 'Cluster' : 'Sentinel';
  const rest = raw.slice(scheme.length + 3);
  const q = rest.indexOf('?');
  const hostList = (q === -1 ? rest : rest.slice(0, q)).replace(/\/$/, '');
  const params = new URLSearchParams(q === -1 ? '' : rest.slice(q + 1));
  const known =
    scheme === 'redis+cluster'
      ? ['password', 'username']
      : ['password', 'username', 'name', 'sentinelPassword', 'db'];
  const unknown = [...params.keys()].filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    return `REDIS_URL (${form}) has unknown parameter(s) ${unknown.join(', ')}: known are ${known.join(', ')}.`;
  }
  const nodes: HostPort[] = [];
  for (const part of hostList.split(',')) {
    const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:.]+\]):(\d{1,5})$/.exec(part.trim());
    const port = Number(m?.[2]);
    if (m === null || port < 1 || port > 65535) {
      return `REDIS_URL (${form}) is not valid: every node must be host:port, separated by commas (${FORMS}).`;
    }
    nodes.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
  }
  const password = params.get('password') ?? undefined;
  const username = params.get('username') ?? undefined;
  const secrets = {
    ...(password !== undefined && password !== '' ? { password } : {}),
    ...(username !== undefined && username !== '' ? { username } : {}),
  };
  if (scheme === 'redis+cluster') return { kind: 'cluster', nodes, ...secrets };
  const name = params.get('name');
  if (name === null || name === '') {
    return 'REDIS_URL (Sentinel) is not valid: name the monitored master with ?name=mymaster.';
  }
  const dbRaw = params.get('db');
  const db = dbRaw === null ? undefined : Number(dbRaw);
  if (db !== undefined && !(Number.isInteger(db) && db >= 0)) {
    return 'REDIS_URL (Sentinel) is not valid: db must be a whole number ≥ 0.';
  }
  const sentinelPassword = params.get('sentinelPassword') ?? undefined;
  return {
    kind: 'sentinel',
    sentinels: nodes,
    name,
    ...secrets,
    ...(sentinelPassword !== undefined && sentinelPassword !== '' ? { sentinelPassword } : {}),
    ...(db !== undefined ? { db } : {}),
  };
}

/** Where to say the budget is shared, without secrets (logs, /readyz). */
export function describeRedis(conn: RedisConnection): string {
  if (conn.kind === 'single') {
    try {
      const u = new URL(conn.url);
      return `${u.protocol}//${u.host}`;
    } catch {
      return 'redis';
    }
  }
  const list = (conn.kind === 'cluster' ? conn.nodes : conn.sentinels).map((n) => `${n.host}:${n.port}`);
  return conn.kind === 'cluster'
    ? `cluster ${list.join(',')}`
    : `sentinel ${conn.name} via ${list.join(',')}`;
}

export type RedisClient = Redis | Cluster;

/** The ioredis options for a Cluster: `node` options apply to each node's connection. */
export function clusterOptions(
  conn: Extract<RedisConnection, { kind: 'cluster' }>,
  node: RedisOptions,
): ClusterOptions {
  return {
    // Fail fast while a slot has no master: the budget falls back at once instead of queueing.
    enableOfflineQueue: false,
    retryDelayOnClusterDown: 100,
    retryDelayOnFailover: 100,
    maxRedirections: 4,
    ...(typeof node.retryStrategy === 'function' ? { clusterRetryStrategy: node.retryStrategy } : {}),
    slotsRefreshTimeout: 2_000,
    redisOptions: {
      ...node,
      ...(conn.password !== undefined ? { password: conn.password } : {}),
      ...(conn.username !== undefined ? { username: conn.username } : {}),
    },
  };
}

/** The ioredis options for a master found through Sentinel. */
export function sentinelOptions(
  conn: Extract<RedisConnection, { kind: 'sentinel' }>,
  node: RedisOptions,
): RedisOptions {
  return {
    ...node,
    sentinels: conn.sentinels,
    name: conn.name,
    ...(conn.password !== undefined ? { password: conn.password } : {}),
    ...(conn.username !== undefined ? { username: conn.username } : {}),
    ...(conn.sentinelPassword !== undefined ? { sentinelPassword: conn.sentinelPassword } : {}),
    ...(conn.db !== undefined ? { db: conn.db } : {}),
    ...(typeof node.retryStrategy === 'function' ? { sentinelRetryStrategy: node.retryStrategy } : {}),
  };
}

/** A client for `conn`, with `node` options on every connection. */
export function createRedisClient(conn: RedisConnection, node: RedisOptions): RedisClient {
  if (conn.kind === 'cluster') return new Cluster(conn.nodes, clusterOptions(conn, node));
  if (conn.kind === 'sentinel') return new Redis(sentinelOptions(conn, node));
  return new Redis(conn.url, node);
}
