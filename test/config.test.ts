import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseRateLimit } from '../src/config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('runs on the simulator with the seed defaults when nothing is set', () => {
    const c = loadConfig({});
    expect(c.mode).toBe('simulator');
    expect(c.port).toBe(4000);
    expect(c.contract).toBe('legacy');
    expect(c.rateLimits['users.track']).toEqual({ limit: 50_000, windowSec: 60 });
    expect(c.rateLimits['sends.id.create']).toEqual({ limit: 100, windowSec: 86_400 });
    expect(c.redisUrl).toBeUndefined();
  });

  it('maps an instance to its REST endpoint, whatever its spelling', () => {
    for (const name of ['US-03', 'us-03', 'us03', 'US-3']) {
      const c = loadConfig({ BRAZE_API_KEY: 'k', BRAZE_INSTANCE: name });
      expect(c.upstream.restEndpoint).toBe('https://rest.iad-03.braze.com');
      expect(c.mode).toBe('braze');
    }
    expect(loadConfig({ BRAZE_API_KEY: 'k', BRAZE_INSTANCE: 'EU-02' }).upstream.restEndpoint).toBe(
      'https://rest.fra-02.braze.eu',
    );
    expect(loadConfig({ BRAZE_API_KEY: 'k', BRAZE_INSTANCE: 'KR-01' }).upstream.restEndpoint).toBe(
      'https://rest.kr-01.braze.com',
    );
  });

  it('lists the valid instances for an unknown one', () => {
    const [p] = problemsOf({ BRAZE_API_KEY: 'k', BRAZE_INSTANCE: 'US-09' });
    expect(p).toContain('BRAZE_INSTANCE="US-09" is not a known Braze instance');
    expect(p).toContain('US-01, US-02');
    expect(p).toContain('EU-01');
    expect(p).toContain('BRAZE_REST_ENDPOINT');
  });

  it('shows the expected form of a malformed RATE_LIMIT_*', () => {
    const [p] = problemsOf({ RATE_LIMIT_USERS_TRACK: '50000 per minute' });
    expect(p).toBe(
      'RATE_LIMIT_USERS_TRACK="50000 per minute" is not valid: expected <count>/<window> with the window in s, m, h or d, e.g. RATE_LIMIT_USERS_TRACK=50000/1m or RATE_LIMIT_USERS_TRACK=3000/3s.',
    );
  });

  it('names the valid groups for an unknown RATE_LIMIT_*', () => {
    const [p] = problemsOf({ RATE_LIMIT_USERS_TRAK: '1/1s' });
    expect(p).toContain('RATE_LIMIT_USERS_TRAK names no rate group');
    expect(p).toContain('RATE_LIMIT_USERS_TRACK');
    expect(p).toContain('RATE_LIMIT_CATALOG_LISTS');
  });

  it('applies contract profiles, then RATE_LIMIT_* overrides', () => {
    expect(loadConfig({ BRAZE_CONTRACT: 'current' }).rateLimits['users.track']).toEqual({
      limit: 3000,
      windowSec: 3,
    });
    const c = loadConfig({
      BRAZE_CONTRACT: 'current',
      RATE_LIMIT_USERS_TRACK: '50000/1m',
      RATE_LIMIT_CATALOG_LISTS: '500/h',
    });
    expect(c.rateLimits['users.track']).toEqual({ limit: 50_000, windowSec: 60 });
    expect(c.rateLimits['catalog.lists']).toEqual({ limit: 500, windowSec: 3600 });
  });

  it('parses every window unit', () => {
    expect(parseRateLimit('3000/3s')).toEqual({ limit: 3000, windowSec: 3 });
    expect(parseRateLimit('250/1m')).toEqual({ limit: 250, windowSec: 60 });
    expect(parseRateLimit('1000/h')).toEqual({ limit: 1000, windowSec: 3600 });
    expect(parseRateLimit('100/1d')).toEqual({ limit: 100, windowSec: 86_400 });
    expect(parseRateLimit('0/1m')).toBeUndefined();
    expect(parseRateLimit('10/0s')).toBeUndefined();
    expect(parseRateLimit('10/1w')).toBeUndefined();
  });

  it('reports every bad value at once', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      BRAZE_CONTRACT: 'gold',
      BATCH_WINDOW_MS: '-5',
      LOG_LEVEL: 'loud',
    });
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toContain(
      'PORT="eighty" is not valid: expected a whole number from 0 to 65535.',
    );
    expect(problems.join('\n')).toContain(
      'BRAZE_CONTRACT="gold" is not a known contract: expected one of legacy, current, mau.',
    );
  });

  it('reads GATEWAY_PUBLIC_URL as an http(s) base without a trailing slash, and refuses anything else', () => {
    expect(loadConfig({}).publicUrl).toBeUndefined();
    expect(loadConfig({ GATEWAY_PUBLIC_URL: 'https://gw.example.com/braze/' }).publicUrl).toBe(
      'https://gw.example.com/braze',
    );
    for (const bad of ['gw.example.com', 'ftp://gw.example.com', 'https://gw.example.com/?a=1']) {
      expect(problemsOf({ GATEWAY_PUBLIC_URL: bad })).toEqual([
        `GATEWAY_PUBLIC_URL=${JSON.stringify(bad)} is not valid: expected the gateway's URL as Braze reaches it, e.g. https://braze-gateway.example.com (a path prefix is allowed, a query is not).`,
      ]);
    }
  });

  it('refuses half-configured upstreams', () => {
    expect(problemsOf({ BRAZE_API_KEY: 'k' })[0]).toContain('neither BRAZE_INSTANCE');
    expect(problemsOf({ BRAZE_INSTANCE: 'US-01' })[0]).toContain('BRAZE_API_KEY is not');
    expect(
      problemsOf({ BRAZE_API_KEY: 'k', BRAZE_INSTANCE: 'US-01', BRAZE_REST_ENDPOINT: 'https://x' })[0],
    ).toContain('both set');
    expect(
      problemsOf({ BRAZE_API_KEY: 'k', BRAZE_REST_ENDPOINT: 'https://rest.iad-01.braze.com/users' })[0],
    ).toContain('bare origin');
    expect(problemsOf({ BRAZE_API_KEY: '"abc"', BRAZE_INSTANCE: 'US-01' })[0]).toContain('quotes');
  });

  it('never puts the API key in a problem message or the workspace id', () => {
    const key = 'super-secret-key-123';
    const problems = problemsOf({ BRAZE_API_KEY: key, BRAZE_INSTANCE: 'ZZ-99', PORT: 'x' });
    expect(problems.join('\n')).not.toContain(key);
    const c = loadConfig({ BRAZE_API_KEY: key, BRAZE_INSTANCE: 'US-01' });
    expect(c.workspaceId).not.toContain(key);
    expect(c.workspaceId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refuses to run open in production unless GATEWAY_ALLOW_ANONYMOUS=true', () => {
    const [p] = problemsOf({ NODE_ENV: 'production' });
    expect(p).toContain('GATEWAY_ALLOW_ANONYMOUS');
    const c = loadConfig({ NODE_ENV: 'production', GATEWAY_ALLOW_ANONYMOUS: 'true' });
    expect(c.auth.open).toBe(true);
    expect(c.introspection).toBe(false);
    expect(c.playground).toBe('off');
    expect(loadConfig({}).introspection).toBe(true);
  });
});
