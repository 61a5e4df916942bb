import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { TEST_API_KEY, TRACK_EVENTS, event, type ItemResult } from './helpers.js';

/** SIGTERM on a gateway process with items waiting in a batch window: nothing acknowledged is lost. */

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: TEST_API_KEY });
});
afterAll(async () => {
  await sim.close();
});

describe('graceful shutdown', () => {
  it('flushes pending batches at once, answers every request, delivers every acknowledged item, exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/replica.ts'], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        HOST: '127.0.0.1',
        BRAZE_API_KEY: TEST_API_KEY,
        BRAZE_REST_ENDPOINT: sim.url,
        // Long enough that only the shutdown flush can explain a quick answer.
        BATCH_WINDOW_MS: '8000',
        BATCH_IDLE_MS: '8000',
        LOG_LEVEL: 'warn',
      },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 400 && !/"url"/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    const url = /\{"url":"([^"]+)"\}/.exec(out)![1]!;

    const started = Date.now();
    const pending = Array.from({ length: 60 }, (_, i) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: TRACK_EVENTS, variables: { events: [event(`sd-${i}`, 'shutdown')] } }),
      }).then(
        async (r) => ((await r.json()) as { data: { trackEvents: ItemResult[] } }).data.trackEvents[0]!,
      ),
    );
    // Let the requests reach the gateway and sit in the open batch (60 < 75: not full), then stop it.
    await new Promise((r) => setTimeout(r, 500));
    expect(sim.count('/users/track')).toBe(0);
    child.kill('SIGTERM');
    const results = await Promise.all(pending);
    const answeredMs = Date.now() - started;
    const [code] = (await once(child, 'exit')) as [number];
    const delivered = sim.requests
      .filter((r) => r.path === '/users/track' && r.status === 201)
      .reduce((n, r) => n + ((r.body as { events: unknown[] }).events?.length ?? 0), 0);
    console.log(
      `SIGTERM with 60 items in an 8 s batch window: ${results.filter((r) => r.ok).length} ok, ${delivered} delivered, answered in ${answeredMs} ms, exit ${code}`,
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(delivered).toBe(60);
    expect(answeredMs).toBeLessThan(8_000);
    expect(code).toBe(0);
  });
});
