import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../src/simulator/index.js';
import { TRACK_EVENTS, event, exported, type ItemResult } from './helpers.js';
import { useReplicaFleet, type ReplicaProcess } from './fixtures/replicaProcess.js';

/**
 * The delivery engine's promise under a binding budget, across replicas (DESIGN "Lanes, packed
 * at the grant" and "Rate budget"): three gateway processes share one Redis budget in front of a
 * simulated Braze whose limit equals the gateways' (LIMIT requests per WINDOW_MS, clock-aligned),
 * while closed-loop clients keep far more single-item operations in flight than the limit
 * carries. Then:
 *  - ≥ 90 % of the budget's units are used, and never one too many (no 429);
 *  - requests leave (nearly) full, because each is packed at its grant from a pile-up;
 *  - every item gets exactly one answer: ok (and then Braze has it exactly once) or
 *    RATE_LIMITED with a retryAfter (and then Braze does not have it); nothing else;
 *  - once the overload is over, a new item on each replica goes through within a window.
 *
 * Which windows count: the load starts START_OFFSET_MS after a window starts and stops sending
 * just after the end of the COUNTED_WINDOWS-th whole window after it; the windows wholly inside
 * [load start, load end] are counted, the first (partial) window and everything after are not.
 * Per window, requests are counted by their arrival at the simulator (its clock-aligned windows).
 *
 * Concurrency: a request can only carry items that wait in that replica's lane at its grant, so
 * a replica needs more than a full request's worth of operations in flight (and about two, since
 * the fourth unit of a window goes to whichever replica asks first). PER_REPLICA = 200 gives each
 * replica ~2.7 requests' worth of /users/track events (4 of /users/delete ids); with ~40 the lane
 * could never hold more than 40 items, and a 75-event request would be impossible.
 *
 * The clients run in a worker thread, so that the simulator (on this thread) stamps arrivals and
 * counts windows without lagging behind them; the replicas are warmed up first (as replicas that
 * have been running a while would be), and the clients join over the ramp rather than at once.
 */

const LIMIT = 4;
const WINDOW_MS = 2_000;
const WINDOW_S = WINDOW_MS / 1000;
/** 2.5 windows: an item that waits through two windows without a unit is refused. */
const DEADLINE_MS = 5_000;
const GUARD_MS = 200;
const REPLICAS = 3;
/** Closed-loop clients per replica, each with one single-item operation in flight at a time. */
const PER_REPLICA = 200;
/**
 * The load starts this long after a window starts: the rest of that first, partial window is the
 * ramp (clients join over RAMP_SPREAD_MS and the lanes fill up) and is never counted.
 */
const START_OFFSET_MS = 100;
const RAMP_SPREAD_MS = 1_500;
/** Whole windows under load after the ramp: these, and only these, are counted. */
const COUNTED_WINDOWS = 4;
/** Bounds on the load loop, whatever the gateway does (a gateway that refuses at once spins). */
const MAX_LOOPS_PER_CLIENT = 40;
const MAX_OPERATIONS = 20_000;
/** Slack on timings measured on a loaded 2-core machine. */
const MARGIN_MS = 500;
/** An operation not answered this long after its deadline is given up on (and fails the test). */
const GIVE_UP_MS = 3_000;

const fleet = useReplicaFleet({
  rateLimits: {
    'users.track': { limit: LIMIT, windowSec: WINDOW_S },
    'users.identity': { limit: LIMIT, windowSec: WINDOW_S },
  },
  env: {
    RATE_LIMIT_USERS_TRACK: `${LIMIT}/${WINDOW_S}s`,
    RATE_LIMIT_USERS_IDENTITY: `${LIMIT}/${WINDOW_S}s`,
    REQUEST_DEADLINE_MS: String(DEADLINE_MS),
    RATE_BUDGET_GUARD_MS: String(GUARD_MS),
    // Should Redis fail, each replica falls back to its share (limit ÷ 3), never the whole limit.
    RATE_BUDGET_REPLICAS: String(REPLICAS),
  },
});

type Replica = ReplicaProcess;
const startReplica = (env: Record<string, string>): Promise<Replica> => fleet.start(env);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** One endpoint's operation, as the load sends it and as Braze's request bodies carry it. */
interface Scenario {
  name: string;
  group: 'users.track' | 'users.identity';
  path: '/users/track' | '/users/delete';
  /** Most items Braze takes per request (the legacy contract's 75 events; 50 ids). */
  maxPerRequest: number;
  /** The average fill per accepted request the counted windows must reach. */
  minFill: number;
  query: string;
  field: 'trackEvents' | 'deleteUsers';
  variables(id: string): Record<string, unknown>;
  /** The item ids one upstream request body carries. */
  idsIn(body: unknown): string[];
}

const DELETE_USERS = /* GraphQL */ `
  mutation ($u: [UserRef!]!) {
    deleteUsers(users: $u) {
      ok
      error {
        code
        message
        retryAfter
      }
    }
  }
`;

const TRACK: Scenario = {
  name: 'users.track',
  group: 'users.track',
  path: '/users/track',
  maxPerRequest: 75,
  minFill: 70,
  query: TRACK_EVENTS,
  field: 'trackEvents',
  variables: (id) => ({ events: [event(id, 'load')] }),
  idsIn: (body) => {
    const b = body as {
      events?: Array<{ external_id?: unknown }>;
      attributes?: unknown;
      purchases?: unknown;
    };
    // Only events are sent: anything else in the body is a defect, and shows as a foreign id.
    const extra = (b.attributes === undefined ? 0 : 1) + (b.purchases === undefined ? 0 : 1);
    return [...(b.events ?? []).map((e) => String(e.external_id)), ...Array<string>(extra).fill('<other>')];
  },
};

const DELETE: Scenario = {
  name: 'users.identity (/users/delete)',
  group: 'users.identity',
  path: '/users/delete',
  maxPerRequest: 50,
  minFill: 45,
  query: DELETE_USERS,
  field: 'deleteUsers',
  variables: (id) => ({ u: [{ externalId: id }] }),
  idsIn: (body) => {
    const b = body as Record<string, unknown>;
    const ids = Array.isArray(b.external_ids) ? b.external_ids.map(String) : [];
    // One identifier type per request, and only external ids are sent.
    const others = Object.keys(b).filter((k) => k !== 'external_ids').length;
    return [...ids, ...Array<string>(others).fill('<other>')];
  },
};

type Kind = 'ok' | 'rate_limited' | 'other';

interface Outcome {
  id: string;
  replica: number;
  kind: Kind;
  retryAfter: number | null;
  detail: string;
  sentAt: number;
  latencyMs: number;
}

/** One operation as the client saw it: its HTTP answer (or the failure to get one). */
interface Exchange {
  id: string;
  replica: number;
  sentAt: number;
  latencyMs: number;
  status: number;
  text: string;
  error: string;
}

/** The one answer of a single-item operation: ok, RATE_LIMITED, or anything else. */
function classify(s: Scenario, x: Exchange): Outcome {
  const outcome = (kind: Kind, detail: string, retryAfter: number | null = null): Outcome => ({
    id: x.id,
    replica: x.replica,
    kind,
    retryAfter,
    detail,
    sentAt: x.sentAt,
    latencyMs: x.latencyMs,
  });
  if (x.error !== '') return outcome('other', x.error);
  let body: { data?: Record<string, ItemResult[]>; errors?: unknown };
  try {
    body = JSON.parse(x.text) as typeof body;
  } catch {
    return outcome('other', `HTTP ${x.status}: ${x.text.slice(0, 200)}`);
  }
  const items = body.data?.[s.field];
  const item = items?.[0];
  if (x.status !== 200 || body.errors !== undefined || items?.length !== 1 || item === undefined)
    return outcome('other', `HTTP ${x.status}: ${x.text.slice(0, 300)}`);
  if (item.ok && item.error === null) return outcome('ok', '');
  if (!item.ok && item.error?.code === 'RATE_LIMITED')
    return outcome('rate_limited', item.error.message, item.error.retryAfter);
  return outcome('other', JSON.stringify(item).slice(0, 300));
}

function body(s: Scenario, id: string): string {
  return JSON.stringify({ query: s.query, variables: s.variables(id) });
}

/** Sends one single-item operation from this thread (warm-up and the after-load check). */
async function operate(s: Scenario, url: string, replica: number, id: string): Promise<Outcome> {
  const sentAt = Date.now();
  const x: Exchange = { id, replica, sentAt, latencyMs: 0, status: 0, text: '', error: '' };
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body(s, id),
      signal: AbortSignal.timeout(DEADLINE_MS + GIVE_UP_MS),
    });
    x.status = res.status;
    x.text = await res.text();
  } catch (err) {
    x.error = String(err);
  }
  x.latencyMs = Date.now() - sentAt;
  return classify(s, x);
}

function itemId(tag: string, replica: number, client: number, n: number): string {
  return `${tag}-r${replica}-c${client}-n${n}`;
}

interface LoadRun {
  outcomes: Outcome[];
  loadStart: number;
  /** No operation was sent after this. */
  loadEnd: number;
  maxLoops: number;
}

/**
 * The load's clients, in a worker thread: the simulator runs on this thread, and its clock (the
 * arrival times and rate windows) must not lag behind because hundreds of clients share its
 * event loop. Item ids are made as `itemId` makes them.
 */
const LOAD_WORKER = /* JavaScript */ `
const { parentPort, workerData: w } = require('node:worker_threads');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const exchanges = [];
let sent = 0;
let maxLoops = 0;
async function client(replica, c) {
  // Clients join over the first part of the ramp rather than all in the same millisecond.
  await sleep(w.loadStart + Math.floor((c * w.spreadMs) / w.perReplica) - Date.now());
  for (let n = 0; n < w.maxLoops && sent < w.maxOps && Date.now() < w.loadEnd; n++) {
    sent += 1;
    maxLoops = Math.max(maxLoops, n + 1);
    const id = w.tag + '-r' + replica + '-c' + c + '-n' + n;
    const x = { id, replica, sentAt: Date.now(), latencyMs: 0, status: 0, text: '', error: '' };
    try {
      const res = await fetch(w.urls[replica], {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: w.body.replace('__ID__', id),
        signal: AbortSignal.timeout(w.giveUpMs),
      });
      x.status = res.status;
      x.text = await res.text();
    } catch (err) {
      x.error = String(err);
    }
    x.latencyMs = Date.now() - x.sentAt;
    exchanges.push(x);
  }
}
const clients = [];
for (let r = 0; r < w.urls.length; r++) for (let c = 0; c < w.perReplica; c++) clients.push(client(r, c));
Promise.all(clients).then(() => parentPort.postMessage({ exchanges, maxLoops }));
`;

/**
 * PER_REPLICA closed-loop clients per replica, each sending one single-item operation, waiting
 * for its answer, and sending the next, until `loadEnd`; every answer is awaited (each operation
 * gives up GIVE_UP_MS after its deadline, and then counts as an "other" outcome).
 */
async function load(s: Scenario, tag: string, urls: string[], loadStart: number, loadEnd: number) {
  const worker = new Worker(LOAD_WORKER, {
    eval: true,
    workerData: {
      urls,
      perReplica: PER_REPLICA,
      loadStart,
      spreadMs: RAMP_SPREAD_MS,
      loadEnd,
      maxLoops: MAX_LOOPS_PER_CLIENT,
      maxOps: MAX_OPERATIONS,
      tag,
      body: body(s, '__ID__'),
      giveUpMs: DEADLINE_MS + GIVE_UP_MS,
    },
  });
  try {
    const [result] = (await once(worker, 'message')) as [{ exchanges: Exchange[]; maxLoops: number }];
    return {
      outcomes: result.exchanges.map((x) => classify(s, x)),
      loadStart,
      loadEnd,
      maxLoops: result.maxLoops,
    } satisfies LoadRun;
  } finally {
    await worker.terminate();
  }
}

/** The budget mode a replica reports for `group` (SHARED, FALLBACK…). */
async function budgetMode(url: string, group: string): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ rateBudget { group mode } }' }),
  });
  const body = (await res.json()) as { data?: { rateBudget: Array<{ group: string; mode: string }> } };
  return body.data?.rateBudget.find((g) => g.group === group)?.mode ?? `none: ${JSON.stringify(body)}`;
}

const is2xx = (r: RecordedRequest) => r.status >= 200 && r.status < 300;

/** Clock-aligned window index of an epoch time. */
const windowOf = (ms: number) => Math.floor(ms / WINDOW_MS);

async function runScenario(s: Scenario, tag: string, prepare?: (ids: string[]) => void) {
  const ws = randomUUID();
  const replicas = await Promise.all(
    Array.from({ length: REPLICAS }, () => startReplica({ REDIS_URL: fleet.redis.url, BRAZE_WORKSPACE: ws })),
  );
  const urls = replicas.map((r) => r.url);
  const stallIds = urls.map((_, r) => `${tag}-after-r${r}`);
  const allIds = [
    ...urls.flatMap((_, r) =>
      Array.from({ length: PER_REPLICA }, (_, c) =>
        Array.from({ length: MAX_LOOPS_PER_CLIENT }, (_, n) => itemId(tag, r, c, n)),
      ).flat(),
    ),
    ...stallIds,
  ];
  // Warm-up, as a replica that has been running a while would be: its GraphQL path compiled, and
  // one real operation each (its lane, its Braze client and connection). Then forgotten.
  await Promise.all(
    urls.map(async (url, r) => {
      await Promise.all(
        Array.from({ length: 50 }, () =>
          fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: '{ __typename }' }),
          }).then((res) => res.text()),
        ),
      );
      expect((await operate(s, url, r, `${tag}-warm-r${r}`)).kind).toBe('ok');
    }),
  );
  fleet.sim.reset();
  prepare?.(allIds);
  const startupLines = replicas.map((r) => r.stderr.length);
  // Start just after a window starts, so that the ramp is the first (partial) window, and end just
  // after the last counted window's end, so that every counted window lies wholly under load.
  await sleep((WINDOW_MS - (Date.now() % WINDOW_MS) + START_OFFSET_MS) % WINDOW_MS);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const loadStart = Date.now();
  const loadEnd = (windowOf(loadStart) + 1 + COUNTED_WINDOWS) * WINDOW_MS + 100;
  const run = await load(s, tag, urls, loadStart, loadEnd);
  const overload = fleet.sim.requests.filter((r) => r.path === s.path);
  lag.disable();

  // No stall: once every overload operation is answered, one new item per replica goes through.
  const after = await Promise.all(urls.map((url, r) => operate(s, url, r, stallIds[r]!)));
  const modes = await Promise.all(urls.map((url) => budgetMode(url, s.group)));

  // --- figures ---
  const requests = fleet.sim.requests.filter((r) => r.path === s.path);
  const accepted = overload.filter(is2xx);
  const perWindow = new Map<number, number>();
  for (const r of accepted) perWindow.set(windowOf(r.at), (perWindow.get(windowOf(r.at)) ?? 0) + 1);
  // Counted: the windows wholly inside [loadStart, loadEnd] — by the clock alone, never by how
  // full they are. The first (partial, the ramp) window and everything after loadEnd are not.
  const counted: number[] = [];
  for (let w = Math.ceil(loadStart / WINDOW_MS); (w + 1) * WINDOW_MS <= run.loadEnd; w++) counted.push(w);
  const used = counted.reduce((n, w) => n + (perWindow.get(w) ?? 0), 0);
  const utilisation = used / (LIMIT * counted.length);
  const inCounted = accepted.filter((r) => counted.includes(windowOf(r.at)));
  const fillCounted = inCounted.reduce((n, r) => n + s.idsIn(r.body).length, 0) / inCounted.length;
  const fillAll = accepted.reduce((n, r) => n + s.idsIn(r.body).length, 0) / accepted.length;
  const status429 = requests.filter((r) => r.status === 429).length;
  const otherStatus = requests.filter((r) => !is2xx(r) && r.status !== 429).map((r) => r.status);
  const first = windowOf(Math.min(...overload.map((r) => r.at)));
  const last = windowOf(Math.max(...requests.map((r) => r.at)));
  // Each accepted request as items@ms into its window, and the replica its items came from.
  const shown = (r: RecordedRequest) => {
    const ids = s.idsIn(r.body);
    const from = [...new Set(ids.map((id) => /-r(\d+)-/.exec(id)?.[1] ?? '?'))].join('+');
    return `${ids.length}r${from}@${r.at % WINDOW_MS}`;
  };
  const timeline = Array.from({ length: last - first + 1 }, (_, i) => {
    const w = first + i;
    const reqs = accepted.filter((r) => windowOf(r.at) === w).map(shown);
    const afterReqs = requests.filter((r) => is2xx(r) && !overload.includes(r) && windowOf(r.at) === w);
    const mark = counted.includes(w) ? '*' : '';
    return `${mark}[${reqs.join(' ')}${afterReqs.length > 0 ? ` | after: ${afterReqs.map(shown).join(' ')}` : ''}]`;
  }).join(' ');

  // Exactly once: how many times each id travelled in an accepted (2xx) request, and in any.
  const in2xx = new Map<string, number>();
  const inAny = new Map<string, number>();
  for (const r of requests) {
    for (const id of s.idsIn(r.body)) {
      inAny.set(id, (inAny.get(id) ?? 0) + 1);
      if (is2xx(r)) in2xx.set(id, (in2xx.get(id) ?? 0) + 1);
    }
  }
  const all = [...run.outcomes, ...after];
  const issued = new Set(all.map((o) => o.id));
  const ok = run.outcomes.filter((o) => o.kind === 'ok');
  const refused = run.outcomes.filter((o) => o.kind === 'rate_limited');
  const other = run.outcomes.filter((o) => o.kind === 'other');
  const lostOk = all.filter((o) => o.kind === 'ok' && (in2xx.get(o.id) ?? 0) !== 1);
  // Refused, yet Braze has it: the caller's retry would store it twice.
  const refusedButSent = all.filter((o) => o.kind === 'rate_limited' && (in2xx.get(o.id) ?? 0) !== 0);
  const duplicates = [...in2xx].filter(([, n]) => n > 1).map(([id]) => id);
  const foreign = [...inAny.keys()].filter((id) => !issued.has(id));
  const badRetry = all.filter(
    (o) =>
      o.kind === 'rate_limited' &&
      !(Number.isInteger(o.retryAfter) && o.retryAfter! >= 1 && o.retryAfter! <= WINDOW_S),
  );
  // Answer times as the clients saw them (for information: they include the time an operation
  // waits at a busy replica's HTTP ingress before its deadline starts, which a shared 2-core
  // machine makes long; an operation not answered GIVE_UP_MS after its deadline is "other").
  const maxLatency = Math.max(...run.outcomes.map((o) => o.latencyMs));
  const retryAfters = [...new Set(refused.map((o) => o.retryAfter))].sort();
  const at = (ms: number) => `w${windowOf(ms) - windowOf(loadStart)}+${ms % WINDOW_MS}ms`;
  // What the replicas logged from the load's start on (start-up notices are left out).
  const logged = replicas.flatMap((r, i) =>
    r.stderr.slice(startupLines[i]).map((line) => {
      let l: { time?: number; msg?: string; err?: string } = {};
      try {
        l = JSON.parse(line) as typeof l;
      } catch {
        // not a log line of the gateway's (a warning of Node's): kept as it is
      }
      return {
        replica: i,
        time: l.time ?? 0,
        what: `${l.msg ?? line}${l.err === undefined ? '' : ` (${l.err})`}`,
      };
    }),
  );
  const logSummary = [...new Set(logged.map((l) => l.what))].map((what) => {
    const these = logged.filter((l) => l.what === what);
    return `${these.length}× "${what}" (first r${these[0]!.replica} at ${at(these[0]!.time)})`;
  });
  const late = run.outcomes.filter((o) => o.latencyMs > DEADLINE_MS + MARGIN_MS);
  const lateOf = (k: Kind) => late.filter((o) => o.kind === k).length;
  const too429 = requests
    .filter((r) => r.status === 429)
    .map((r) => {
      const before = requests.filter((q) => is2xx(q) && windowOf(q.at) === windowOf(r.at) && q.at <= r.at);
      return `${at(r.at)} (${s.idsIn(r.body).length} items, ${before.length} accepted before it in its window)`;
    });

  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const ms = (ns: number) => `${(ns / 1e6).toFixed(0)} ms`;
  const lateSample = late.slice(0, 5).map((o) => `${at(o.sentAt)} r${o.replica} took ${o.latencyMs}`);
  const figures = [
    `${s.name}: ${REPLICAS} replicas × ${PER_REPLICA} clients, ${LIMIT}/${WINDOW_S}s, deadline ${DEADLINE_MS} ms`,
    `${run.outcomes.length} ops (≤${run.maxLoops}/client) → ${ok.length} ok, ${refused.length} RATE_LIMITED (retryAfter ${retryAfters.join('/')}), ${other.length} other`,
    `ok/RATE_LIMITED per replica ${urls.map((_, i) => `r${i} ${ok.filter((o) => o.replica === i).length}/${refused.filter((o) => o.replica === i).length}`).join(', ')}`,
    `utilisation ${pct(utilisation)} (${used}/${LIMIT * counted.length} over the ${counted.length} windows wholly inside the load, w${counted[0]! - windowOf(loadStart)}–w${counted.at(-1)! - windowOf(loadStart)}, marked *)`,
    `items/accepted request ${fillCounted.toFixed(1)} in those windows, ${fillAll.toFixed(1)} over all ${accepted.length} overload requests (max ${s.maxPerRequest})`,
    `429s ${status429}${too429.length > 0 ? ` at ${too429.join(', ')}` : ''}; other upstream statuses [${otherStatus.join(',')}]`,
    `ok not exactly once ${lostOk.length}, refused yet delivered ${refusedButSent.length}, duplicates ${duplicates.length}, foreign ${foreign.length}`,
    `slowest answer ${maxLatency} ms, ${late.length} answered > ${DEADLINE_MS + MARGIN_MS} ms after sending (ok ${lateOf('ok')}, RATE_LIMITED ${lateOf('rate_limited')}, other ${lateOf('other')}${lateSample.length > 0 ? `; sent at ${lateSample.join(', ')}` : ''})`,
    `after the load: ${after.map((o) => `r${o.replica} ${o.kind} in ${o.latencyMs} ms`).join(', ')}`,
    `budget modes after ${modes.join('/')}`,
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join('/')}; test process event-loop delay max ${ms(lag.max)}, p99 ${ms(lag.percentile(99))}`,
    `replica logs during the run: ${logSummary.length === 0 ? 'none' : logSummary.join('; ')}`,
    `accepted requests per window from w0, the ramp, as items r<replica>@<ms into the window> (after: the after-load items): ${timeline}`,
  ];
  console.log(figures.join('; '));
  if (other.length > 0) {
    console.log(
      `other outcomes: ${[...new Set(other.map((o) => o.detail))].join(' | ')}; sent/answered: ${other
        .slice(0, 20)
        .map((o) => `r${o.replica} ${at(o.sentAt)}→${at(o.sentAt + o.latencyMs)}`)
        .join(', ')}`,
    );
  }

  // --- assertions ---
  expect.soft(counted.length, 'windows wholly inside the load').toBe(COUNTED_WINDOWS);
  // Every operation answered once, either ok or RATE_LIMITED with a usable retryAfter.
  expect
    .soft(
      other.map((o) => o.detail),
      'answers neither ok nor RATE_LIMITED',
    )
    .toEqual([]);
  expect.soft(ok.length + refused.length, 'ok + RATE_LIMITED = operations sent').toBe(run.outcomes.length);
  expect
    .soft(
      badRetry.map((o) => o.retryAfter),
      `RATE_LIMITED without a retryAfter in 1..${WINDOW_S} s`,
    )
    .toEqual([]);
  // Never one request too many.
  expect.soft(status429, 'Braze 429s').toBe(0);
  expect.soft(otherStatus, 'other non-2xx answers of Braze').toEqual([]);
  expect
    .soft(Math.max(...perWindow.values()), 'most accepted requests in one window')
    .toBeLessThanOrEqual(LIMIT);
  expect
    .soft(fleet.sim.windowStats(s.group).maxInAnyWindow, "most requests in one of the simulator's windows")
    .toBeLessThanOrEqual(LIMIT);
  // Nothing acknowledged lost, nothing refused yet delivered, nothing twice, nothing unknown.
  expect
    .soft(
      lostOk.map((o) => `${o.id}×${in2xx.get(o.id) ?? 0}`),
      'ok items not in exactly one accepted request',
    )
    .toEqual([]);
  expect
    .soft(
      refusedButSent.map((o) => o.id),
      'RATE_LIMITED items that Braze accepted',
    )
    .toEqual([]);
  expect.soft(duplicates, 'items in more than one accepted request').toEqual([]);
  expect.soft(foreign, 'items in requests that no client sent').toEqual([]);
  // The test's premise: the load binds (items waited long enough to be refused).
  expect.soft(refused.length, 'RATE_LIMITED answers (the load must exceed the limit)').toBeGreaterThan(0);
  // Units used, and requests full.
  expect.soft(utilisation, "share of the counted windows' units used").toBeGreaterThanOrEqual(0.9);
  expect
    .soft(Math.max(...accepted.map((r) => s.idsIn(r.body).length)), 'most items in one request')
    .toBeLessThanOrEqual(s.maxPerRequest);
  expect
    .soft(fillCounted, 'items per accepted request in the counted windows')
    .toBeGreaterThanOrEqual(s.minFill);
  // No stall: each replica took a new item within one window (and a margin).
  expect
    .soft(
      after.map((o) => o.kind),
      'one new item per replica after the load',
    )
    .toEqual(urls.map(() => 'ok'));
  for (const o of after)
    expect
      .soft(o.latencyMs, `r${o.replica}: ms to accept a new item after the load`)
      .toBeLessThanOrEqual(WINDOW_MS + MARGIN_MS);
  for (const r of replicas) expect.soft(r.child.exitCode, 'replica exit code').toBeNull();
  // Redis never went away: no replica may have left the shared budget.
  expect.soft(modes, 'budget mode of each replica after the load').toEqual(urls.map(() => 'SHARED'));
  return { ok: all.filter((o) => o.kind === 'ok'), refused: all.filter((o) => o.kind === 'rate_limited') };
}

describe('delivery across three replicas under a binding budget', () => {
  it('users.track: uses ≥ 90 % of the units with ≥ 70 events a request, loses nothing, never stalls', async () => {
    const { ok, refused } = await runScenario(TRACK, `t${Date.now()}`);
    // What Braze stored: each delivered event exactly once, and nothing for a refused one.
    const wrongStored = ok.filter((o) => {
      const events = exported(fleet.sim, o.id)?.custom_events as
        Array<{ name: string; count: number }> | undefined;
      return !(events?.length === 1 && events[0]!.name === 'load' && events[0]!.count === 1);
    });
    expect(
      wrongStored.map((o) => o.id),
      'ok events not stored exactly once',
    ).toEqual([]);
    expect(
      refused.filter((o) => fleet.sim.store.byExternalId(o.id) !== undefined).map((o) => o.id),
      'RATE_LIMITED events stored',
    ).toEqual([]);
  });

  it('users.identity: /users/delete uses ≥ 90 % of the units with ≥ 45 ids a request, loses nothing, never stalls', async () => {
    const { ok, refused } = await runScenario(DELETE, `d${Date.now()}`, (ids) => {
      // Every id the load may use names an existing user, so a delete's effect can be checked.
      for (const id of ids) fleet.sim.store.resolve({ kind: 'external_id', value: id }, true);
    });
    expect(
      ok.filter((o) => fleet.sim.store.byExternalId(o.id) !== undefined).map((o) => o.id),
      'ok deletes whose user still exists',
    ).toEqual([]);
    expect(
      refused.filter((o) => fleet.sim.store.byExternalId(o.id) === undefined).map((o) => o.id),
      'RATE_LIMITED deletes whose user is gone',
    ).toEqual([]);
  });
});
