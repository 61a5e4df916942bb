import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './fixtures/output.js';

/** The entry point as a user runs it: a real process, real env, real signals. */

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function run(env: Record<string, string>): { child: ChildProcessWithoutNullStreams; out: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out };
}

describe('main', () => {
  it('refuses bad configuration with one clear message per value, and exit status 1', async () => {
    const { child, out } = run({
      BRAZE_API_KEY: 'secret-abc-123',
      BRAZE_INSTANCE: 'US-09',
      RATE_LIMIT_USERS_TRACK: 'lots',
    });
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(out()).toContain('Invalid configuration:');
    expect(out()).toContain(
      'BRAZE_INSTANCE="US-09" is not a known Braze instance: expected one of US-01, US-02, US-03',
    );
    expect(out()).toContain('RATE_LIMIT_USERS_TRACK="lots" is not valid: expected <count>/<window>');
    expect(out()).not.toContain('secret-abc-123');
  });

  it('runs on the simulator with no key, says so, serves a mutation and a query, and stops cleanly on SIGTERM', async () => {
    const { child, out } = run({ PORT: '0', HOST: '127.0.0.1' });
    await waitFor(out, /SIMULATOR MODE/);
    const [, url] = await waitFor(out, /"url":"(http:\/\/127\.0\.0\.1:\d+\/graphql)"/);
    const post = async (query: string) =>
      (await (
        await fetch(url!, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
        })
      ).json()) as { data: Record<string, unknown> };
    const m = await post(
      'mutation { trackEvents(events: [{ user: { externalId: "user-1" }, name: "checkout_started", time: "2026-03-01T10:15:00Z" }]) { ok error { code message } } }',
    );
    expect(m.data).toEqual({ trackEvents: [{ ok: true, error: null }] });
    const q = await post(
      'query { user(ref: { externalId: "user-1" }) { externalId customEvents { name count } } }',
    );
    expect(q.data).toEqual({
      user: { externalId: 'user-1', customEvents: [{ name: 'checkout_started', count: 1 }] },
    });
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(out()).toContain('shutdown complete');
  });
});
