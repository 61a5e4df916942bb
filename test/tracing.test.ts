import { randomBytes, randomUUID } from 'node:crypto';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTracing, type Tracing } from '../src/observability/tracing.js';
import { TEST_API_KEY, TRACK_EVENTS, event, useStacks, type ItemResult, type Stack } from './helpers.js';

/**
 * Tracing on, over real wires: a caller's `traceparent` continues through the gateway's spans
 * (operation, lane wait, budget wait, Braze call), undici's client span, and the `traceparent`
 * the simulator receives; Redis spans under the shared budget's wait. The SDK is the one the
 * gateway runs (tracing.ts), exporting to memory, span by span.
 */

/** Spans as they end, with a way to await the ones a test expects. */
class Recorder extends InMemorySpanExporter {
  #waiters: Array<() => void> = [];
  override export(spans: ReadableSpan[], done: Parameters<InMemorySpanExporter['export']>[1]): void {
    super.export(spans, done);
    for (const wake of this.#waiters.splice(0)) wake();
  }
  /** Resolves with the finished spans once `ready` holds for them. */
  async until(ready: (spans: ReadableSpan[]) => boolean): Promise<ReadableSpan[]> {
    for (;;) {
      const spans = this.getFinishedSpans();
      if (ready(spans)) return spans;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}

const recorder = new Recorder();
let tracing: Tracing;
beforeAll(() => {
  tracing = startTracing({ serviceName: 'bgw-test', exporter: recorder, exportEachSpan: true });
});
afterAll(async () => {
  await tracing.shutdown();
});
beforeEach(() => recorder.reset());

const useStack = useStacks();

/** A caller's W3C trace context: a fresh trace id and span id, sampled. */
function callerTrace(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

async function trackEvents(
  stack: Stack,
  events: Array<Record<string, unknown>>,
  headers: Record<string, string>,
): Promise<{ results: ItemResult[]; traceparent: string | null }> {
  const res = await fetch(stack.gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: TRACK_EVENTS, variables: { events } }),
  });
  const body = (await res.json()) as { data: { trackEvents: ItemResult[] } };
  return { results: body.data.trackEvents, traceparent: res.headers.get('traceparent') };
}

const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const idOf = (s: ReadableSpan) => s.spanContext().spanId;

function one(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0]!;
}

describe('tracing', () => {
  it("continues the caller's trace: operation → lane wait, budget wait, Braze call → undici, and traceparent out both ways", async () => {
    const stack = await useStack();
    const caller = callerTrace();
    const events = [event('trace-user-1', 'app_opened'), event('trace-user-2', 'checkout_started')];
    const answer = await trackEvents(stack, events, {
      traceparent: caller.traceparent,
      tracestate: 'vendor=opaque',
    });
    expect(answer.results).toEqual([
      { ok: true, error: null },
      { ok: true, error: null },
    ]);

    const spans = await recorder.until((all) => all.some((s) => s.kind === SpanKind.SERVER));
    // Every span of the request is in the caller's trace.
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([caller.traceId]));

    const operation = one(spans, 'mutation trackEvents');
    expect(operation.kind).toBe(SpanKind.SERVER);
    expect(parentOf(operation)).toBe(caller.spanId);
    expect(operation.attributes).toMatchObject({
      'gateway.operation': 'trackEvents',
      'graphql.operation.type': 'mutation',
      'http.request.method': 'POST',
      'http.route': '/graphql',
      'http.response.status_code': 200,
      'gateway.caller': 'anonymous',
    });
    expect(operation.status.code).toBe(SpanStatusCode.UNSET);
    // The caller's tracestate is kept with the trace.
    expect(operation.spanContext().traceState?.get('vendor')).toBe('opaque');

    const laneWait = one(spans, 'lane wait users.track');
    const budgetWait = one(spans, 'budget wait users.track');
    const call = one(spans, 'braze POST /users/track');
    for (const child of [laneWait, budgetWait, call]) expect(parentOf(child)).toBe(idOf(operation));
    expect(laneWait.attributes).toMatchObject({
      'gateway.lane': 'users.track',
      'gateway.lane.items': 2,
      'braze.request.items': 2,
    });
    expect(laneWait.links).toEqual([]); // the call belongs to this operation: no link needed
    expect(budgetWait.attributes).toMatchObject({
      'braze.rate_group': 'users.track',
      'gateway.budget.outcome': 'granted',
      'gateway.budget.mode': 'memory',
    });
    expect(call.attributes).toMatchObject({
      'braze.endpoint': '/users/track',
      'braze.rate_group': 'users.track',
      'braze.request.items': 2,
      'gateway.lane.operations': 1,
      'braze.outcome': 'ok',
      'http.request.method': 'POST',
      'http.response.status_code': 201,
    });
    // In time: the items waited before the grant, the call came after it.
    const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
    expect(ms(laneWait.startTime)).toBeLessThanOrEqual(ms(call.startTime));
    expect(ms(budgetWait.endTime)).toBeLessThanOrEqual(ms(call.startTime) + 1);

    const http = spans.filter((s) => s.kind === SpanKind.CLIENT);
    expect(http.map((s) => [s.name, parentOf(s)])).toEqual([['POST', idOf(call)]]);
    expect(http[0]!.attributes).toMatchObject({
      'url.path': '/users/track',
      'http.response.status_code': 201,
    });

    // Out to the caller: the gateway's span, in the caller's trace.
    expect(answer.traceparent).toBe(`00-${caller.traceId}-${idOf(operation)}-01`);
    // Out to Braze: undici's span, in the caller's trace.
    const sent = stack.sim.requests.filter((r) => r.path === '/users/track');
    expect(sent.map((r) => r.traceparent)).toEqual([`00-${caller.traceId}-${idOf(http[0]!)}-01`]);

    // Nothing personal and no key in any attribute: ids, event names and the key stay out.
    const recorded = JSON.stringify(spans.map((s) => [s.name, s.attributes, s.status]));
    for (const secret of [TEST_API_KEY, 'trace-user-1', 'trace-user-2', 'app_opened', 'checkout_started'])
      expect(recorded).not.toContain(secret);
  });

  it('starts a trace of its own without a traceparent, and names it in the answer', async () => {
    const stack = await useStack();
    const answer = await trackEvents(stack, [event('trace-user-3')], {});
    const spans = await recorder.until((all) => all.some((s) => s.kind === SpanKind.SERVER));
    const operation = one(spans, 'mutation trackEvents');
    expect(operation.parentSpanContext).toBeUndefined();
    const { traceId } = operation.spanContext();
    expect(answer.traceparent).toBe(`00-${traceId}-${idOf(operation)}-01`);
    expect(stack.sim.requests.map((r) => r.traceparent?.split('-')[1])).toEqual([traceId]);
  });

  it("items of several operations in one request: each gets its lane wait, linked to the call in the first one's trace", async () => {
    // A long batch window, so the three operations' items surely share one request.
    const stack = await useStack({ env: { BATCH_WINDOW_MS: '300', BATCH_IDLE_MS: '300' } });
    const callers = [callerTrace(), callerTrace(), callerTrace()];
    const answers = await Promise.all(
      callers.map((c, i) => trackEvents(stack, [event(`trace-multi-${i}`)], { traceparent: c.traceparent })),
    );
    expect(answers.flatMap((a) => a.results.map((r) => r.ok))).toEqual([true, true, true]);
    expect(stack.sim.count('/users/track')).toBe(1);

    const spans = await recorder.until(
      (all) => all.filter((s) => s.kind === SpanKind.SERVER).length === callers.length,
    );
    const call = one(spans, 'braze POST /users/track');
    expect(call.attributes).toMatchObject({ 'braze.request.items': 3, 'gateway.lane.operations': 3 });
    const waits = spans.filter((s) => s.name === 'lane wait users.track');
    expect(waits).toHaveLength(3);
    // Each operation's wait is in its own trace, under its own operation span.
    const operations = spans.filter((s) => s.kind === SpanKind.SERVER);
    for (const wait of waits) {
      const op = operations.find((o) => idOf(o) === parentOf(wait))!;
      expect(op.spanContext().traceId).toBe(wait.spanContext().traceId);
      expect(wait.attributes['gateway.lane.items']).toBe(1);
    }
    // The call is in one caller's trace; the other two operations' waits link to it, and back.
    const owner = operations.find((o) => idOf(o) === parentOf(call))!;
    const others = waits.filter((w) => w.spanContext().traceId !== owner.spanContext().traceId);
    expect(others).toHaveLength(2);
    for (const w of others) expect(w.links.map((l) => l.context.spanId)).toEqual([idOf(call)]);
    expect(call.links.map((l) => l.context.spanId).sort()).toEqual(others.map(idOf).sort());
    // Each caller got its own trace back.
    expect(answers.map((a) => a.traceparent?.split('-')[1])).toEqual(callers.map((c) => c.traceId));
  });

  it("a saturated connection pool keeps each request's HTTP span and traceparent in its own call's trace", async () => {
    // One connection and a slow Braze: three full requests at once, two of them wait for it.
    const stack = await useStack({ env: { UPSTREAM_CONNECTIONS: '1' }, sim: { latencyMs: 50 } });
    const callers = [callerTrace(), callerTrace(), callerTrace()];
    await Promise.all(
      callers.map((c, k) =>
        trackEvents(
          stack,
          Array.from({ length: 75 }, (_, i) => event(`trace-pool-${k}-${i}`)),
          { traceparent: c.traceparent },
        ),
      ),
    );
    const spans = await recorder.until(
      (all) => all.filter((s) => s.kind === SpanKind.SERVER).length === callers.length,
    );
    const calls = spans.filter((s) => s.name === 'braze POST /users/track');
    const http = spans.filter((s) => s.kind === SpanKind.CLIENT);
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((c) => c.spanContext().traceId))).toEqual(
      new Set(callers.map((c) => c.traceId)),
    );
    // Each call has exactly one HTTP span, in its trace, and Braze got that span's traceparent.
    for (const call of calls) {
      const mine = http.filter((h) => parentOf(h) === idOf(call));
      expect(mine).toHaveLength(1);
      expect(mine[0]!.spanContext().traceId).toBe(call.spanContext().traceId);
    }
    expect(stack.sim.requests.map((r) => r.traceparent).sort()).toEqual(
      http.map((h) => `00-${h.spanContext().traceId}-${idOf(h)}-01`).sort(),
    );
  });

  it('a refused budget marks its spans RATE_LIMITED, and the operation names no error (per-item results)', async () => {
    const stack = await useStack({ env: { RATE_LIMIT_USERS_TRACK: '1/1h' } });
    const caller = callerTrace();
    await trackEvents(stack, [event('trace-user-4')], {});
    recorder.reset();
    const answer = await trackEvents(stack, [event('trace-user-5')], { traceparent: caller.traceparent });
    expect(answer.results[0]!.error?.code).toBe('RATE_LIMITED');
    const spans = await recorder.until((all) => all.some((s) => s.kind === SpanKind.SERVER));
    const budgetWait = one(spans, 'budget wait users.track');
    expect(budgetWait.attributes).toMatchObject({
      'gateway.budget.outcome': 'refused',
      'error.type': 'rate_limited',
    });
    expect(budgetWait.status).toEqual({ code: SpanStatusCode.ERROR, message: 'RATE_LIMITED' });
    expect(spans.filter((s) => s.name.startsWith('braze '))).toEqual([]);
  });

  it('a Braze failure marks the call with its status and code, never its message', async () => {
    const stack = await useStack();
    stack.sim.injectFault({ path: '/users/track', status: 500, times: 1 });
    const answer = await trackEvents(stack, [event('trace-user-6')], {
      traceparent: callerTrace().traceparent,
    });
    expect(answer.results[0]!.error?.code).toBe('UPSTREAM_ERROR');
    const spans = await recorder.until((all) => all.some((s) => s.kind === SpanKind.SERVER));
    const call = one(spans, 'braze POST /users/track');
    expect(call.attributes).toMatchObject({
      'braze.outcome': 'upstream_error',
      'error.type': 'server',
      'http.response.status_code': 500,
    });
    expect(call.status).toEqual({ code: SpanStatusCode.ERROR, message: 'UPSTREAM_ERROR' });
  });

  it('with a shared budget, the Redis script runs as an ioredis span under the budget wait', async () => {
    const stack = await useStack({
      env: { REDIS_URL: 'redis://127.0.0.1:6379', BRAZE_WORKSPACE: `trace-${randomUUID()}` },
    });
    const caller = callerTrace();
    await trackEvents(stack, [event('trace-user-7')], { traceparent: caller.traceparent });
    const spans = await recorder.until((all) => all.some((s) => s.kind === SpanKind.SERVER));
    const budgetWait = one(spans, 'budget wait users.track');
    expect(budgetWait.attributes['gateway.budget.mode']).toBe('shared');
    const redis = spans.filter((s) => parentOf(s) === idOf(budgetWait));
    // The script by its hash (EVALSHA), or by its text the first time Redis has not cached it.
    expect(redis.length).toBeGreaterThanOrEqual(1);
    for (const s of redis) {
      expect(['evalsha', 'eval']).toContain(s.name);
      expect(s.kind).toBe(SpanKind.CLIENT);
      expect(s.spanContext().traceId).toBe(caller.traceId);
      // The statement is the command's name alone: bucket and cache keys stay out.
      expect(s.attributes['db.statement'] ?? s.attributes['db.query.text']).toBe(s.name);
    }
  });
});
