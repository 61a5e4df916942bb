/**
 * The load generator: autocannon's programmatic API, closed loop (each connection sends its next
 * request when the previous answer arrives), one request in flight per connection.
 */
import autocannon from 'autocannon';
import { judge, type Operation } from './workloads.js';

export interface LoadOptions {
  /** The GraphQL URL. */
  url: string;
  connections: number;
  seconds: number;
  /** The requests each connection sends, in turn (repeated). */
  cycle: Operation[];
}

export interface LoadResult {
  seconds: number;
  /** Answers that were a success for every item. */
  okRequests: number;
  failedRequests: number;
  okItems: number;
  failedItems: number;
  okEvents: number;
  okIds: number;
  /** Items of the answered requests (ok or not), by kind. */
  answeredEvents: number;
  answeredIds: number;
  /** Connection errors and timeouts (autocannon's `errors`). */
  transportErrors: number;
  /** Requests written, answered or not (those in flight at the end still reach the server). */
  sentRequests: number;
  /** Latency of every answer, in ms. */
  latenciesMs: number[];
  /** One failed answer, to show what went wrong. */
  sampleFailure?: string;
}

function emptyResult(seconds: number): LoadResult {
  return {
    seconds,
    okRequests: 0,
    failedRequests: 0,
    okItems: 0,
    failedItems: 0,
    okEvents: 0,
    okIds: 0,
    answeredEvents: 0,
    answeredIds: 0,
    transportErrors: 0,
    sentRequests: 0,
    latenciesMs: [],
  };
}

/** Runs one load; resolves once autocannon has stopped. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const result = emptyResult(0);
  const counters = opts.cycle.map(() => 0);
  const requests: autocannon.Request[] = opts.cycle.map((op, i) => ({
    method: 'POST',
    setupRequest: (req: autocannon.Request) => ({
      ...req,
      body: op.bodies[counters[i]!++ % op.bodies.length]!,
    }),
    onResponse: (status: number, body: string) => {
      const { ok, failed } = judge(op, status, body);
      result.okItems += ok;
      result.failedItems += failed;
      if (op.kind === 'events') {
        result.okEvents += ok;
        result.answeredEvents += op.items;
      } else {
        result.okIds += ok;
        result.answeredIds += op.items;
      }
      if (failed === 0) result.okRequests += 1;
      else {
        result.failedRequests += 1;
        result.sampleFailure ??= `${status} ${body.slice(0, 400)}`;
      }
    },
  }));
  const started = process.hrtime.bigint();
  const done = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: opts.url,
        connections: opts.connections,
        duration: opts.seconds,
        timeout: 30,
        headers: { 'content-type': 'application/json' },
        requests,
      },
      (err, res) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      result.latenciesMs.push(responseTime);
    });
  });
  result.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  result.transportErrors = done.errors;
  result.sentRequests =
    (done.requests as { sent?: number }).sent ?? result.okRequests + result.failedRequests;
  return result;
}

/** Several loads at once (one per URL), merged into one result. */
export async function runLoads(loads: LoadOptions[]): Promise<LoadResult> {
  const parts = await Promise.all(loads.map(runLoad));
  const merged = emptyResult(Math.max(...parts.map((p) => p.seconds)));
  for (const p of parts) {
    merged.okRequests += p.okRequests;
    merged.failedRequests += p.failedRequests;
    merged.okItems += p.okItems;
    merged.failedItems += p.failedItems;
    merged.okEvents += p.okEvents;
    merged.okIds += p.okIds;
    merged.answeredEvents += p.answeredEvents;
    merged.answeredIds += p.answeredIds;
    merged.transportErrors += p.transportErrors;
    merged.sentRequests += p.sentRequests;
    for (const l of p.latenciesMs) merged.latenciesMs.push(l);
    merged.sampleFailure ??= p.sampleFailure;
  }
  return merged;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** One request, to check a server answers the operation correctly before loading it. */
export async function smokeTest(url: string, op: Operation): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: op.bodies[0]!,
  });
  const text = await res.text();
  const verdict = judge(op, res.status, text);
  if (verdict.failed > 0)
    throw new Error(`${url} answered ${op.label} with ${res.status} ${text.slice(0, 500)}`);
  // Reads must find every pre-created user (the constant server answers the same text to all).
  if (op.kind === 'ids' && !text.includes('"trackEvents"')) {
    const found = text.split('"externalId":"').length - 1;
    if (found !== op.items)
      throw new Error(`${url} found ${found} of ${op.items} users: ${text.slice(0, 300)}`);
  }
}
