import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { TEST_API_KEY, TRACK_EVENTS, event, type ItemResult } from './helpers.js';
import { startReplicaProcess, waitForQueued } from './fixtures/replicaProcess.js';

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
    const { url, child } = await startReplicaProcess({
      BRAZE_API_KEY: TEST_API_KEY,
      BRAZE_REST_ENDPOINT: sim.url,
      // Long enough that only the shutdown flush can explain a quick answer.
      BATCH_WINDOW_MS: '8000',
      BATCH_IDLE_MS: '8000',
    });

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
    // Wait until all 60 sit in the lane (60 < 75: not full, lingering), then stop it.
    await waitForQueued(url, 'users.track', 60);
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

  it('regression: SIGTERM while a caller waits for budget answers it (RATE_LIMITED) and exits 0 well within 25 s', async () => {
    // One unit an hour: the first item takes it, the second waits for the next hour's window.
    const limited = await startSimulator({
      apiKey: TEST_API_KEY,
      rateLimits: { 'users.track': { limit: 1, windowSec: 3_600 } },
    });
    const { url, child } = await startReplicaProcess({
      BRAZE_API_KEY: TEST_API_KEY,
      BRAZE_REST_ENDPOINT: limited.url,
      RATE_LIMIT_USERS_TRACK: '1/1h',
      REQUEST_DEADLINE_MAX_MS: '3600000',
    });
    const track = (id: string, deadlineMs: number) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-deadline-ms': String(deadlineMs) },
        body: JSON.stringify({ query: TRACK_EVENTS, variables: { events: [event(id, 'budget')] } }),
      }).then(
        async (r) => ((await r.json()) as { data: { trackEvents: ItemResult[] } }).data.trackEvents[0]!,
      );
    const first = await track('w-1', 10_000);
    expect(first.ok).toBe(true);
    const waiting = track('w-2', 3_600_000);
    await waitForQueued(url, 'users.track', 1); // waiting for the next hour's unit
    expect(limited.count('/users/track')).toBe(1);
    const stoppedAt = Date.now();
    child.kill('SIGTERM');
    const answer = await waiting;
    const [code] = (await once(child, 'exit')) as [number];
    const tookMs = Date.now() - stoppedAt;
    await limited.close();
    console.log(
      `SIGTERM with a caller waiting for budget: ${JSON.stringify(answer)}, exit ${code} after ${tookMs} ms`,
    );
    expect(answer.ok).toBe(false);
    expect(answer.error!.code).toBe('RATE_LIMITED');
    expect(answer.error!.retryAfter).toBeGreaterThanOrEqual(1);
    expect(limited.requests.filter((r) => r.path === '/users/track')).toHaveLength(1); // never sent
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(5_000);
  });
  it('SHUTDOWN_DELAY_MS: after SIGTERM /readyz says 503 at once while requests are still served, then it drains and exits 0', async () => {
    const { url, child, stderr } = await startReplicaProcess({
      BRAZE_API_KEY: TEST_API_KEY,
      BRAZE_REST_ENDPOINT: sim.url,
      SHUTDOWN_DELAY_MS: '3000',
      LOG_LEVEL: 'info',
    });
    const readyz = url.replace(/\/graphql$/, '/readyz');
    expect((await fetch(readyz)).status).toBe(200);
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    // Not ready from the signal on (what a load balancer or Kubernetes watches)…
    let status = 200;
    while (status === 200) status = (await fetch(readyz)).status;
    expect(status).toBe(503);
    // …while a request that still arrives is served as usual.
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: TRACK_EVENTS, variables: { events: [event('late-1', 'late')] } }),
    });
    const item = ((await res.json()) as { data: { trackEvents: ItemResult[] } }).data.trackEvents[0]!;
    expect(item.ok).toBe(true);
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(3_000);
    expect(stderr.join('\n')).toContain('not ready; serving on until the delay ends');
  });
});
