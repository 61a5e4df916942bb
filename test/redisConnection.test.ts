import { describe, expect, it } from 'vitest';
import {
  clusterOptions,
  describeRedis,
  parseRedisUrl,
  sentinelOptions,
} from '../src/budget/redisConnection.js';
import { ConfigError, loadConfig } from '../src/config.js';

function configProblems(url: string): string[] {
  try {
    loadConfig({ REDIS_URL: url });
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
}

describe('REDIS_URL forms', () => {
  it('passes a single node through as is', () => {
    expect(parseRedisUrl('redis://h:6379/2')).toEqual({ kind: 'single', url: 'redis://h:6379/2' });
    expect(parseRedisUrl('rediss://u:p@h:6380')).toEqual({ kind: 'single', url: 'rediss://u:p@h:6380' });
    expect(configProblems('redis://127.0.0.1:6379')).toEqual([]);
  });

  it('reads a Cluster seed list and password into ioredis Cluster options', () => {
    const conn = parseRedisUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001,[::1]:7002?password=s3cret');
    expect(conn).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      password: 's3cret',
    });
    if (typeof conn === 'string' || conn.kind !== 'cluster') throw new Error('expected a cluster');
    const retryStrategy = () => 100;
    const opts = clusterOptions(conn, { commandTimeout: 500, retryStrategy });
    expect(opts.enableOfflineQueue).toBe(false);
    expect(opts.clusterRetryStrategy).toBe(retryStrategy);
    expect(opts.redisOptions).toEqual({ commandTimeout: 500, retryStrategy, password: 's3cret' });
    expect(describeRedis(conn)).toBe('cluster 10.0.0.1:7000,10.0.0.2:7001,::1:7002');
    expect(configProblems('redis+cluster://a:1,b:2')).toEqual([]);
  });

  it('reads Sentinel hosts, master name, passwords and db into ioredis options', () => {
    const conn = parseRedisUrl(
      'redis+sentinel://s1:26379,s2:26379?name=mymaster&password=pw&sentinelPassword=spw&db=3',
    );
    expect(conn).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'mymaster',
      password: 'pw',
      sentinelPassword: 'spw',
      db: 3,
    });
    if (typeof conn === 'string' || conn.kind !== 'sentinel') throw new Error('expected sentinel');
    const opts = sentinelOptions(conn, { commandTimeout: 500, enableOfflineQueue: false });
    expect(opts).toEqual({
      commandTimeout: 500,
      enableOfflineQueue: false,
      sentinels: conn.sentinels,
      name: 'mymaster',
      password: 'pw',
      sentinelPassword: 'spw',
      db: 3,
    });
    expect(describeRedis(conn)).toBe('sentinel mymaster via s1:26379,s2:26379');
  });

  it('names the problem in a config error, never repeating the password', () => {
    const cases: Array<[string, string]> = [
      ['http://h:6379', 'REDIS_URL is not valid: expected redis://host:port[/db]'],
      [
        'redis+cluster://h1:7000,h2?password=hunter2',
        'REDIS_URL (Cluster) is not valid: every node must be host:port',
      ],
      ['redis+cluster://?password=hunter2', 'REDIS_URL (Cluster) is not valid'],
      ['redis+cluster://h:99999?password=hunter2', 'REDIS_URL (Cluster) is not valid'],
      ['redis+cluster://h:7000?pasword=hunter2', 'REDIS_URL (Cluster) has unknown parameter(s) pasword'],
      ['redis+sentinel://s:26379?password=hunter2', 'name the monitored master with ?name=mymaster'],
      ['redis+sentinel://s:26379?name=m&db=x&password=hunter2', 'db must be a whole number'],
    ];
    for (const [url, problem] of cases) {
      const problems = configProblems(url);
      expect(problems, url).toHaveLength(1);
      expect(problems[0], url).toContain(problem);
      expect(problems[0], url).not.toContain('hunter2');
    }
  });
});
