import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TRACK_EVENTS, event, useStacks, type ItemResult, type Stack } from './helpers.js';

/**
 * The gateway's /metrics over real HTTP (gateway ↔ simulator): standard process metrics,
 * counters typed as counters, breaker and lane readings, a bounded operation label, and the
 * deployable alert rules and dashboard naming only metrics the gateway exports.
 */

const startStack = useStacks();

async function scrape(s: Stack): Promise<string> {
  const res = await fetch(s.gw.url.replace('/graphql', '/metrics'));
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one sample line (`name{labels} value`), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Metric names and their types, from the `# TYPE` lines. */
function types(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/** Every series name a histogram or summary exposes besides its own name. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [name, type] of types(text)) {
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
  }
  return names;
}

async function track(s: Stack, prefix: string, n: number): Promise<ItemResult[]> {
  const events = Array.from({ length: n }, (_, i) => event(`${prefix}-${i}`, 'metrics_test'));
  const res = await s.gql<{ trackEvents: ItemResult[] }>(TRACK_EVENTS, { events });
  return res.body.data!.trackEvents;
}

/** Scrape until `done` holds for the text (bounded to 10 s; each round awaits a real scrape). */
async function scrapeUntil(s: Stack, done: (text: string) => boolean): Promise<string> {
  const untilMs = Date.now() + 10_000;
  while (Date.now() < untilMs) {
    const text = await scrape(s);
    if (done(text)) return text;
    await new Promise((r) => setTimeout(r, 10)); // a poll interval, not a wait for the outcome
  }
  throw new Error('the metric never showed the expected value');
}

/** Metric names a PromQL expression refers to (identifiers followed by `{`, `[` or `)` ...). */
function metricNamesIn(expr: string): string[] {
  const words = expr.match(/\b(?:bgw|process|nodejs)_[a-z0-9_]+/g) ?? [];
  return [...new Set(words)];
}

describe('/metrics', () => {
  it('exports Node process metrics under their standard names, not under bgw_', async () => {
    const stack = await startStack();
    const text = await scrape(stack);
    const names = types(text);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ])
      expect(names.has(name), name).toBe(true);
    expect(text).not.toMatch(/^# TYPE bgw_(process|nodejs)_/m);
    // Our own metrics keep their prefix.
    expect(names.get('bgw_upstream_requests_total')).toBe('counter');
  });

  it('types every *_total as a counter, and counts budget and lane refusals as counters', async () => {
    const stack = await startStack({
      env: {
        BATCH_WINDOW_MS: '1',
        LANE_MAX_ITEMS: '100',
        RATE_LIMIT_USERS_TRACK: '1/60s',
        REQUEST_DEADLINE_MS: '300',
      },
    });
    // Lane full: the 101st item is RATE_LIMITED at once. The first request (75 items, the most
    // per /users/track request) takes the only unit; the rest find no budget before their deadline.
    const first = await track(stack, 'full', 101);
    expect(first.filter((r) => r.ok)).toHaveLength(75);
    expect(first.slice(75).every((r) => r.error?.code === 'RATE_LIMITED')).toBe(true);
    expect(first[100]!.error?.message).toContain('already holds 100 items');
    // No unit left before the deadline: refused by the budget.
    const second = await track(stack, 'late', 1);
    expect(second[0]!.error?.code).toBe('RATE_LIMITED');
    const text = await scrape(stack);
    // Ours (Node's standard ones are as prom-client names them, e.g. the nodejs_active_*_total gauges).
    for (const [name, type] of types(text))
      if (name.startsWith('bgw_') && name.endsWith('_total')) expect(type, name).toBe('counter');
    expect(types(text).get('bgw_budget_refused_total')).toBe('counter');
    expect(sample(text, 'bgw_budget_refused_total')).toBeGreaterThanOrEqual(1);
    expect(types(text).get('bgw_lane_refused_items_total')).toBe('counter');
    const laneRefused = sample(text, 'bgw_lane_refused_items_total{endpoint="users.track"}')!;
    expect(laneRefused).toBeGreaterThanOrEqual(1);
    // A counter keeps its count across scrapes (it is not re-set from zero).
    const again = await scrape(stack);
    expect(sample(again, 'bgw_lane_refused_items_total{endpoint="users.track"}')).toBe(laneRefused);
    expect(sample(again, 'bgw_budget_refused_total')).toBe(sample(text, 'bgw_budget_refused_total'));
  });

  it('shows the circuit breaker: 0 closed, 2 open after repeated failures, 1 half-open after the cooldown', async () => {
    const stack = await startStack({
      env: { UPSTREAM_BREAKER_THRESHOLD: '2', UPSTREAM_BREAKER_COOLDOWN_MS: '1500', BATCH_WINDOW_MS: '1' },
    });
    expect(sample(await scrape(stack), 'bgw_upstream_breaker_state')).toBe(0);
    stack.sim.injectFault({ path: '/users/track', status: 503, times: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await track(stack, `storm-${i}`, 1);
      expect(r[0]!.error?.code).toBe('UPSTREAM_ERROR');
    }
    const text = await scrape(stack);
    expect(sample(text, 'bgw_upstream_breaker_state')).toBe(2);
    expect(sample(text, 'bgw_upstream_requests_total{endpoint="/users/track",status="503"}')).toBe(2);
    // After the cooldown a trial call may go: half-open; its success closes the circuit.
    await scrapeUntil(stack, (t) => sample(t, 'bgw_upstream_breaker_state') === 1);
    expect((await track(stack, 'trial', 1))[0]!.ok).toBe(true);
    expect(sample(await scrape(stack), 'bgw_upstream_breaker_state')).toBe(0);
  });

  it('shows items queued per lane while they wait, and the fill ratio of each request', async () => {
    // Items linger up to a second for company: long enough to be seen waiting.
    const stack = await startStack({ env: { BATCH_WINDOW_MS: '1000', BATCH_IDLE_MS: '1000' } });
    const sending = track(stack, 'queued', 3);
    await scrapeUntil(stack, (t) => sample(t, 'bgw_lane_queued_items{endpoint="users.track"}') === 3);
    expect((await sending).every((r) => r.ok)).toBe(true);
    const text = await scrape(stack);
    expect(sample(text, 'bgw_lane_queued_items{endpoint="users.track"}')).toBe(0);
    const max = stack.gw.core.lanes().find((l) => l.endpoint === 'users.track')!.maxItemsPerRequest;
    expect(sample(text, 'bgw_lane_request_fill_ratio_count{endpoint="users.track"}')).toBe(1);
    expect(sample(text, 'bgw_lane_request_fill_ratio_sum{endpoint="users.track"}')).toBeCloseTo(3 / max, 6);
    expect(sample(text, 'bgw_lane_request_fill_ratio_bucket{le="1",endpoint="users.track"}')).toBe(1);
  });

  it('labels GraphQL operations from a bounded vocabulary: the root field, multi, unparsed', async () => {
    const stack = await startStack({ env: { BATCH_WINDOW_MS: '1' } });
    await track(stack, 'one', 1);
    // Two root fields (one aliased twice) in one operation.
    await stack.gql('{ a: rateBudget { group } b: rateBudget { group } __typename }');
    // The same root field under two aliases is still that field.
    await stack.gql('{ a: rateBudget { group } b: rateBudget { remaining } }');
    await stack.gql('{ rateBudget { group '); // does not parse
    await stack.gql('{ noSuchField }'); // does not validate
    const text = await scrape(stack);
    expect(sample(text, 'bgw_graphql_requests_total{operation="trackEvents",outcome="ok"}')).toBe(1);
    expect(sample(text, 'bgw_graphql_requests_total{operation="multi",outcome="ok"}')).toBe(1);
    expect(sample(text, 'bgw_graphql_requests_total{operation="rateBudget",outcome="ok"}')).toBe(1);
    expect(sample(text, 'bgw_graphql_requests_total{operation="unparsed",outcome="error"}')).toBe(2);
    const labels = [...text.matchAll(/^bgw_graphql_requests_total\{operation="([^"]*)"/gm)].map((m) => m[1]);
    expect(new Set(labels)).toEqual(new Set(['trackEvents', 'multi', 'rateBudget', 'unparsed']));
  });

  it('exports every metric that the alert rules and the Grafana dashboard use', async () => {
    const stack = await startStack();
    const exported = exportedNames(await scrape(stack));
    const alerts = readFileSync('deploy/prometheus/alerts.yml', 'utf8');
    const exprs = [...alerts.matchAll(/^\s+expr: (>-\n(?:\s{10}.*\n)+|.*)$/gm)].map((m) => m[1]!);
    expect(exprs.length).toBe(4);
    const dashboard = JSON.parse(readFileSync('deploy/grafana/braze-gateway.json', 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    expect(dashboard.panels.length).toBeGreaterThan(10);
    const used = new Set([
      ...exprs.flatMap(metricNamesIn),
      ...dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricNamesIn(t.expr))),
    ]);
    for (const name of [
      'bgw_budget_fallback',
      'bgw_budget_refused_total',
      'bgw_upstream_breaker_state',
      'bgw_lane_queued_items',
      'bgw_lane_request_fill_ratio_sum',
    ])
      expect(used.has(name), name).toBe(true);
    for (const name of used) expect(exported.has(name), `${name} is not exported`).toBe(true);
  });
});
