/**
 * `npm run trace:demo`: what tracing records, without a collector. Starts the embedded simulator
 * and a gateway in this process with tracing on (spans kept in memory), sends one `trackEvents`
 * with a caller's `traceparent`, then three at once whose items share one Braze request, and
 * prints each trace as a tree: span names, durations and the attributes the gateway sets.
 * The environment configures the gateway as usual: `REDIS_URL=redis://127.0.0.1:6379 npm run
 * trace:demo` shows the shared budget's Redis script under the budget wait.
 */
import { randomBytes } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { startGateway } from '../src/app/startGateway.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/observability/log.js';
import { startTracing } from '../src/observability/tracing.js';
import { startSimulator } from '../src/simulator/index.js';

const SHOWN_ATTRIBUTES = [
  'gateway.operation',
  'graphql.operation.type',
  'gateway.caller',
  'gateway.lane',
  'gateway.lane.items',
  'gateway.lane.operations',
  'braze.endpoint',
  'braze.rate_group',
  'braze.request.items',
  'braze.outcome',
  'gateway.budget.outcome',
  'gateway.budget.mode',
  'gateway.retry_after_ms',
  'error.type',
  'http.response.status_code',
  'url.path',
  'db.system.name',
  'db.query.text',
];

const exporter = new InMemorySpanExporter();
const tracing = startTracing({ serviceName: 'trace-demo', exporter, exportEachSpan: true });
const config = loadConfig({
  ...process.env,
  PORT: '0',
  HOST: '127.0.0.1',
  BRAZE_WORKSPACE: process.env.BRAZE_WORKSPACE ?? `trace-demo-${randomBytes(4).toString('hex')}`,
  // A lane lingers a little, so the three concurrent operations below share one request.
  BATCH_WINDOW_MS: process.env.BATCH_WINDOW_MS ?? '50',
  BATCH_IDLE_MS: process.env.BATCH_IDLE_MS ?? '50',
});
const apiKey = randomBytes(16).toString('hex');
const sim = await startSimulator({ apiKey, contract: config.contract, rateLimits: config.rateLimits });
const gateway = await startGateway({
  config: { ...config, upstream: { ...config.upstream, restEndpoint: sim.url, apiKey } },
  log: createLogger('silent'),
});

const TRACK = 'mutation Track($events: [TrackEventInput!]!) { trackEvents(events: $events) { ok } }';

async function track(users: string[]): Promise<{ caller: string; answer: string | null }> {
  const caller = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
  const res = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: caller },
    body: JSON.stringify({
      query: TRACK,
      variables: {
        events: users.map((id) => ({ user: { externalId: id }, name: 'app_opened', time: new Date() })),
      },
    }),
  });
  await res.json();
  return { caller, answer: res.headers.get('traceparent') };
}

/** Waits until every server span has ended and the Braze calls they started too. */
async function settled(servers: number): Promise<ReadableSpan[]> {
  for (;;) {
    const spans = exporter.getFinishedSpans();
    const done = spans.filter((s) => s.kind === SpanKind.SERVER).length >= servers;
    if (done && spans.some((s) => s.name.startsWith('braze '))) return spans;
    await new Promise((r) => setTimeout(r, 10));
  }
}

const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;

function line(s: ReadableSpan, names: Map<string, string>): string {
  const kind = s.kind === SpanKind.SERVER ? ' [server]' : s.kind === SpanKind.CLIENT ? ' [client]' : '';
  const attrs = SHOWN_ATTRIBUTES.filter((k) => s.attributes[k] !== undefined)
    .map((k) => `${k}=${String(s.attributes[k])}`)
    .join(' ');
  const links = s.links.map((l) => `linked: ${names.get(l.context.spanId) ?? l.context.spanId}`);
  const status = s.status.code === 2 ? ` ERROR(${s.status.message ?? ''})` : '';
  return [`${s.name}${kind} ${(ms(s.endTime) - ms(s.startTime)).toFixed(1)} ms${status}`, attrs, ...links]
    .filter((p) => p !== '')
    .join('  ');
}

function printTrees(spans: ReadableSpan[]): void {
  const names = new Map(
    spans.map((s) => [s.spanContext().spanId, `${s.name} (trace …${s.spanContext().traceId.slice(-6)})`]),
  );
  const children = new Map<string | undefined, ReadableSpan[]>();
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  for (const s of spans) {
    // A span whose parent is not here (the caller's) is a root of this printout.
    const parent = s.parentSpanContext?.spanId;
    const key = parent !== undefined && ids.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), s]);
  }
  const walk = (s: ReadableSpan, prefix: string, last: boolean, root: boolean) => {
    console.log(`${root ? '' : `${prefix}${last ? '└─ ' : '├─ '}`}${line(s, names)}`);
    const kids = (children.get(s.spanContext().spanId) ?? []).sort(
      (a, b) => ms(a.startTime) - ms(b.startTime),
    );
    kids.forEach((k, i) =>
      walk(k, root ? '' : `${prefix}${last ? '   ' : '│  '}`, i === kids.length - 1, false),
    );
  };
  for (const root of (children.get(undefined) ?? []).sort((a, b) => ms(a.startTime) - ms(b.startTime))) {
    console.log(
      `\ntrace ${root.spanContext().traceId} (caller's span ${root.parentSpanContext?.spanId ?? 'none'})`,
    );
    walk(root, '', true, true);
  }
}

try {
  console.log('== one trackEvents with two events');
  const one = await track(['demo-user-1', 'demo-user-2']);
  printTrees(await settled(1));
  console.log(`\ncaller sent   traceparent: ${one.caller}`);
  console.log(`gateway said  traceparent: ${one.answer}`);
  console.log(`Braze got     traceparent: ${sim.requests.at(-1)?.traceparent}`);

  exporter.reset();
  console.log('\n== three trackEvents at once: their items share one Braze request');
  await Promise.all([track(['demo-user-3']), track(['demo-user-4']), track(['demo-user-5'])]);
  printTrees(await settled(3));
} finally {
  await gateway.close();
  await sim.close();
  await tracing.shutdown();
}
