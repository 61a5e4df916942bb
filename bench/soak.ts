/**
 * `npm run soak`: a chaos soak over loopback. Three gateway replicas (test/fixtures/replica.ts) share
 * one private Redis and the Braze simulator (bench/simulator.ts), each a process of its own. Mixed
 * traffic above the budget (single events, lists of 20, reads, identity, campaign triggers and
 * malformed input) runs the whole time while a schedule injects faults: a replica SIGTERMed and
 * restarted, Redis stopped and restarted, a Braze 503 storm and a hang (the breaker opens and
 * closes), a 429 storm, a malformed-input barrage. Longer runs go round the schedule again.
 *
 * It fails (exit status 1) when any of these is violated (bench/lib/soakVerdict.ts decides):
 * - exactly once, for every kind of write: every event, alias creation, identification and
 *   campaign trigger recipient answered `ok: true` is applied at the simulator (nothing
 *   acknowledged is lost), and none is applied twice, whatever it was answered. Each item carries
 *   a unique id the simulator counts: events and trigger recipients a `soak_id` property
 *   (`GET /_simulator/events?property=`, `GET /_simulator/writes?kind=triggers&property=`),
 *   aliases and identifications their alias name (`GET /_simulator/writes?kind=…&label=soak`);
 * - Braze answers no 429 of its own: the simulator's limits are the replicas' budget, so traffic
 *   over the budget would show as 429s (the injected storm's 429s are not the limiter's);
 * - after each fault clears, every replica serves a request of each budget group (users.track,
 *   users.export.ids, users.identity) within one budget window plus the breaker's cool-down and a
 *   margin;
 * - malformed input is refused (4xx or BAD_USER_INPUT) and takes nothing down; every SIGTERM
 *   drains (answers all it accepted) and exits 0;
 * - heap after a full GC at the end is within 10 % of after warm-up, per replica (the restarted
 *   one from its own warm-up); each sample is the least of three readings half a second apart.
 *
 * Environment: SOAK_SECONDS (180; at least 60), SOAK_OUT (the JSON report; default
 * <tmpdir>/soak-report.json). Every address is 127.0.0.1; every loop ends with the schedule.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { killAllNow, startNodeServer, stopAll, type Child } from './lib/processes.js';
import {
  judgeSoak,
  malformedProblem,
  type FaultRecord,
  type HeapSample,
  type ItemAnswer,
  type Probe,
  type WriteKind,
  type WriteRecord,
} from './lib/soakVerdict.js';
import { startTestRedis, type TestRedis } from '../test/redisServer.js';
import { envNumber } from './lib/env.js';

const SECONDS = envNumber('SOAK_SECONDS', 180, 60);
const OUT = process.env.SOAK_OUT ?? join(os.tmpdir(), 'soak-report.json');

/** Small limits, the same on the simulator and the replicas, so that the traffic is over budget. */
const LIMITS = {
  USERS_TRACK: '20/2s',
  USERS_EXPORT_IDS: '10/2s',
  USERS_IDENTITY: '10/2s',
} as const;
const WINDOW_MS = 2_000;
const REPLICAS = 3;
const WORKERS_PER_REPLICA = 8;
/** What the workers give each request (x-request-deadline-ms): past it, items are RATE_LIMITED. */
const WORKER_DEADLINE_MS = 4_000;
const BREAKER_THRESHOLD = 5;
const BREAKER_COOLDOWN_MS = 1_000;
/** So that the hang ends: the gateway gives up on a Braze answer after this. */
const HEADERS_TIMEOUT_MS = 2_000;
/** A request must be served within one window + the breaker's cool-down + this, after a fault. */
const PROBE_MARGIN_MS = 2_000;
const PROBE_LIMIT_MS = WINDOW_MS + BREAKER_COOLDOWN_MS + PROBE_MARGIN_MS;
/** How long each fault is held. */
const FAULT_MS = 3_000;
const WARMUP_MS = 12_000;
/** Traffic after the last fault, before the end samples. */
const TAIL_MS = 6_000;
const MAX_HEAP_GROWTH = 0.1;
/** A replica SIGTERMed this long after its heap baseline has its heap judged too. */
const MIN_JUDGED_LIFE_MS = 45_000;
const USERS = 2_000;
const MALFORMED_BARRAGE = 300;
const CAMPAIGN_ID = 'c0000000-0000-4000-8000-000000000001';

const API_KEY = randomBytes(16).toString('hex');
const started = Date.now();
const at = (): string => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`;
const say = (msg: string): void => console.log(`${at()}  ${msg}`);

// ---------------------------------------------------------------------------------------------
// Processes

interface Slot {
  name: string;
  child: Child;
  /** False while the slot's replica is being replaced: workers send nothing to it. */
  up: boolean;
  /** Requests that were sent to the current replica and are still unanswered. */
  inFlight: number;
  heap: HeapSample;
  /** Resolves the next `{"heapUsedBytes": …}` line this replica prints. */
  heapWaiters: Array<(bytes: number) => void>;
  /** When it was started (a restarted replica gets its own baseline after a warm-up). */
  startedAt: number;
  /** When its heap baseline was read. */
  baselineAt: number | undefined;
  stopping: boolean;
}

const crashes: string[] = [];

let sim: Child | undefined;
let redis: TestRedis | undefined;
const theSim = (): Child => {
  if (sim === undefined) throw new Error('the simulator is not started');
  return sim;
};
const theRedis = (): TestRedis => {
  if (redis === undefined) throw new Error('Redis is not started');
  return redis;
};

function replicaEnv(): Record<string, string> {
  return {
    BRAZE_API_KEY: API_KEY,
    BRAZE_REST_ENDPOINT: theSim().url,
    REDIS_URL: theRedis().url,
    BRAZE_WORKSPACE: 'soak',
    RATE_BUDGET_REPLICAS: String(REPLICAS),
    ...Object.fromEntries(Object.entries(LIMITS).map(([g, v]) => [`RATE_LIMIT_${g}`, v])),
    UPSTREAM_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    UPSTREAM_BREAKER_THRESHOLD: String(BREAKER_THRESHOLD),
    UPSTREAM_BREAKER_COOLDOWN_MS: String(BREAKER_COOLDOWN_MS),
    SHUTDOWN_DELAY_MS: '0',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    NODE_ENV: 'development',
  };
}

async function startReplica(name: string, previous?: Slot): Promise<Slot> {
  const child = await startNodeServer(name, 'test/fixtures/replica.ts', {
    nodeArgs: ['--expose-gc'],
    env: replicaEnv(),
  });
  const slot: Slot = previous ?? {
    name,
    child,
    up: true,
    inFlight: 0,
    heap: { replica: name, baselineBytes: undefined, endBytes: undefined, judged: true },
    heapWaiters: [],
    startedAt: Date.now(),
    baselineAt: undefined,
    stopping: false,
  };
  Object.assign(slot, {
    child,
    up: true,
    inFlight: 0,
    startedAt: Date.now(),
    baselineAt: undefined,
    stopping: false,
    heapWaiters: [],
  });
  createInterface({ input: child.process.stdout! }).on('line', (line) => {
    try {
      const parsed = JSON.parse(line) as { heapUsedBytes?: unknown };
      if (typeof parsed.heapUsedBytes === 'number') slot.heapWaiters.shift()?.(parsed.heapUsedBytes);
    } catch {
      // Not a heap line.
    }
  });
  child.process.once('exit', (code, signal) => {
    if (!(slot.stopping && code === 0))
      crashes.push(
        `${name} (pid ${child.pid}) exited with ${code ?? signal}${slot.stopping ? ' after SIGTERM' : ''}`,
      );
  });
  return slot;
}

/** The replica collects garbage and prints its heap (test/fixtures/replica.ts, SIGUSR2). */
async function oneHeapReading(slot: Slot): Promise<number | undefined> {
  const reading = new Promise<number>((resolve) => slot.heapWaiters.push(resolve));
  slot.child.process.kill('SIGUSR2');
  return Promise.race([reading, sleep(10_000).then(() => undefined)]);
}

/** Readings taken per heap sample, this far apart; the sample is their least. */
const HEAP_READINGS = 3;
const HEAP_READING_GAP_MS = 500;

/**
 * The replica's heap after GC, as the least of a few readings: traffic goes on meanwhile, and one
 * reading may catch a lane's in-flight requests and answers (a few MiB on a ~30 MiB heap); what a
 * leak holds stays in every reading.
 */
async function heapAfterGc(slot: Slot): Promise<number | undefined> {
  let least: number | undefined;
  for (let i = 0; i < HEAP_READINGS; i++) {
    if (i > 0) await sleep(HEAP_READING_GAP_MS);
    const bytes = await oneHeapReading(slot);
    if (bytes !== undefined && (least === undefined || bytes < least)) least = bytes;
  }
  return least;
}

async function simAdmin(method: string, route: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${theSim().url}/_simulator/${route}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`simulator ${method} ${route}: ${res.status} ${await res.text()}`);
  return res.json();
}

interface Readiness {
  budget?: string;
  braze?: string;
}

async function readiness(slot: Slot): Promise<Readiness | undefined> {
  try {
    const res = await fetch(slot.child.url.replace(/\/graphql$/, '/readyz'), {
      signal: AbortSignal.timeout(2_000),
    });
    return (await res.json()) as Readiness;
  } catch {
    return undefined;
  }
}

/** Polls until `test` holds for every live replica; the time it took, or undefined past `limitMs`. */
async function until(
  slots: Slot[],
  test: (r: Readiness) => boolean,
  limitMs: number,
): Promise<number | undefined> {
  const from = Date.now();
  while (Date.now() - from <= limitMs) {
    const states = await Promise.all(slots.filter((s) => s.up).map(readiness));
    if (states.every((r) => r !== undefined && test(r))) return Date.now() - from;
    await sleep(100);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Traffic

/** Every item sent, per kind of write, by its unique id: how the gateway answered it. */
const answers: Record<WriteKind, Map<string, ItemAnswer>> = {
  events: new Map(),
  aliases: new Map(),
  identifications: new Map(),
  triggers: new Map(),
};
let nextEvent = 0;
let nextAlias = 0;
let nextTrigger = 0;
const identifiable: string[] = [];

interface OpStats {
  requests: number;
  okRequests: number;
  failed: Record<string, number>;
}
const ops: Record<string, OpStats> = {};
const malformed = { sent: 0, refused: 0, wrong: [] as string[] };
/** Requests sent to a replica before its SIGTERM that got no answer (the drain must answer them). */
let drainDropped = 0;

const TRACK =
  'mutation Track($events: [TrackEventInput!]!) { trackEvents(events: $events) { ok error { code } } }';
const USERS_QUERY = 'query Users($ids: [ID!]!) { users(externalIds: $ids) { externalId } }';
const ALIASES =
  'mutation Aliases($a: [NewAliasInput!]!) { createUserAliases(aliases: $a) { ok error { code } } }';
const IDENTIFY =
  'mutation Identify($i: [IdentifyInput!]!) { identifyUsers(identifications: $i) { ok error { code } } }';
const TRIGGER =
  'mutation Trigger($i: TriggerCampaignInput!) { triggerCampaign(input: $i) { recipients { ok error { code } } } }';

interface Answer {
  status: number | undefined;
  text: string;
}

async function post(slot: Slot, body: string, deadlineMs: number): Promise<Answer> {
  const child = slot.child;
  slot.inFlight += 1;
  try {
    const res = await fetch(child.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-deadline-ms': String(deadlineMs) },
      body,
      signal: AbortSignal.timeout(deadlineMs + 15_000),
    });
    return { status: res.status, text: await res.text() };
  } catch {
    if (slot.stopping && slot.child === child) drainDropped += 1;
    return { status: undefined, text: '' };
  } finally {
    if (slot.child === child) slot.inFlight -= 1;
  }
}

/** Per-item codes of a list answer: `ok`, the item's code, the request's code, or NO_ANSWER. */
function itemCodes(a: Answer, field: string, n: number): ItemAnswer[] {
  if (a.status === undefined) return Array<ItemAnswer>(n).fill('NO_ANSWER');
  let parsed: { data?: Record<string, unknown> | null; errors?: Array<{ extensions?: { code?: string } }> };
  try {
    parsed = JSON.parse(a.text) as typeof parsed;
  } catch {
    return Array<ItemAnswer>(n).fill(`HTTP_${a.status}`);
  }
  let list = parsed.data?.[field] as Array<{ ok: boolean; error?: { code: string } | null }> | undefined;
  if (field === 'triggerCampaign')
    list = (parsed.data?.[field] as { recipients?: typeof list } | undefined)?.recipients;
  if (Array.isArray(list) && list.length === n)
    return list.map((r) => (r.ok ? 'ok' : (r.error?.code ?? 'UNKNOWN')));
  const code = parsed.errors?.[0]?.extensions?.code ?? `HTTP_${a.status}`;
  return Array<ItemAnswer>(n).fill(code);
}

function count(op: string, codes: ItemAnswer[]): boolean {
  const s = (ops[op] ??= { requests: 0, okRequests: 0, failed: {} });
  s.requests += 1;
  const ok = codes.every((c) => c === 'ok');
  if (ok) s.okRequests += 1;
  for (const c of codes) if (c !== 'ok') s.failed[c] = (s.failed[c] ?? 0) + 1;
  return ok;
}

const user = (i: number): string => `soak-user-${i % USERS}`;

async function trackEvents(slot: Slot, n: number, deadlineMs: number, op: string): Promise<boolean> {
  const time = new Date().toISOString();
  const ids: string[] = [];
  const events = Array.from({ length: n }, () => {
    const id = `e${nextEvent++}`;
    ids.push(id);
    answers.events.set(id, 'NO_ANSWER');
    return {
      user: { externalId: user(nextEvent * 7) },
      name: 'soak_event',
      time,
      properties: { soak_id: id },
    };
  });
  const a = await post(slot, JSON.stringify({ query: TRACK, variables: { events } }), deadlineMs);
  const codes = itemCodes(a, 'trackEvents', n);
  ids.forEach((id, i) => answers.events.set(id, codes[i]!));
  return count(op, codes);
}

async function readUsers(slot: Slot, n: number, deadlineMs: number, op: string): Promise<boolean> {
  const base = Math.floor(Math.random() * USERS);
  const ids = Array.from({ length: n }, (_, i) => user(base + i * 11));
  const a = await post(slot, JSON.stringify({ query: USERS_QUERY, variables: { ids } }), deadlineMs);
  let codes: ItemAnswer[];
  try {
    const parsed = JSON.parse(a.text) as {
      data?: { users?: unknown[] };
      errors?: Array<{ extensions?: { code?: string } }>;
    };
    codes =
      a.status === 200 && parsed.errors === undefined && parsed.data?.users?.length === n
        ? Array<ItemAnswer>(n).fill('ok')
        : Array<ItemAnswer>(n).fill(parsed.errors?.[0]?.extensions?.code ?? `HTTP_${a.status}`);
  } catch {
    codes = Array<ItemAnswer>(n).fill(a.status === undefined ? 'NO_ANSWER' : `HTTP_${a.status}`);
  }
  return count(op, codes);
}

async function createAliases(slot: Slot, n: number, deadlineMs: number, op: string): Promise<boolean> {
  const names = Array.from({ length: n }, () => `soak-alias-${nextAlias++}`);
  for (const name of names) answers.aliases.set(name, 'NO_ANSWER');
  const a = await post(
    slot,
    JSON.stringify({
      query: ALIASES,
      variables: { a: names.map((name) => ({ alias: { name, label: 'soak' } })) },
    }),
    deadlineMs,
  );
  const codes = itemCodes(a, 'createUserAliases', n);
  names.forEach((name, i) => {
    answers.aliases.set(name, codes[i]!);
    if (codes[i] === 'ok' && identifiable.length < 10_000) identifiable.push(name);
  });
  return count(op, codes);
}

async function identify(slot: Slot, deadlineMs: number): Promise<boolean> {
  const name = identifiable.shift();
  if (name === undefined) return createAliases(slot, 2, deadlineMs, 'createUserAliases ×2');
  // Each alias is identified once at most: its name is the identification's id.
  answers.identifications.set(name, 'NO_ANSWER');
  const a = await post(
    slot,
    JSON.stringify({
      query: IDENTIFY,
      variables: { i: [{ externalId: `known-${name}`, alias: { name, label: 'soak' } }] },
    }),
    deadlineMs,
  );
  const codes = itemCodes(a, 'identifyUsers', 1);
  answers.identifications.set(name, codes[0]!);
  return count('identifyUsers ×1', codes);
}

async function trigger(slot: Slot, deadlineMs: number): Promise<boolean> {
  const base = Math.floor(Math.random() * USERS);
  // Each recipient's own properties carry its id; the shared ones are the same for every request,
  // so that recipients of concurrent requests may share Braze requests.
  const ids = [0, 1, 2].map(() => `t${nextTrigger++}`);
  const recipients = ids.map((id, i) => ({
    user: { externalId: user(base + i) },
    properties: { soak_id: id },
  }));
  for (const id of ids) answers.triggers.set(id, 'NO_ANSWER');
  const a = await post(
    slot,
    JSON.stringify({
      query: TRIGGER,
      variables: { i: { campaignId: CAMPAIGN_ID, recipients, triggerProperties: { source: 'soak' } } },
    }),
    deadlineMs,
  );
  const codes = itemCodes(a, 'triggerCampaign', 3);
  ids.forEach((id, i) => answers.triggers.set(id, codes[i]!));
  return count('triggerCampaign ×3', codes);
}

/** Requests every one of which must be refused: bad JSON, bad dates, empty names, oversized lists… */
const MALFORMED: Array<() => string> = [
  () => '{"query": "mutation { trackEvents(',
  () => '[]',
  () =>
    JSON.stringify({
      query: TRACK,
      variables: { events: [{ user: { externalId: 'x' }, name: 'e', time: 'yesterday' }] },
    }),
  () =>
    JSON.stringify({
      query: TRACK,
      variables: { events: [{ user: { externalId: 'x' }, name: '', time: new Date().toISOString() }] },
    }),
  () =>
    JSON.stringify({
      query: TRACK,
      variables: {
        events: [{ user: { externalId: 'x', brazeId: 'y' }, name: 'e', time: new Date().toISOString() }],
      },
    }),
  () =>
    JSON.stringify({
      query: TRACK,
      variables: {
        events: Array.from({ length: 20_000 }, () => ({ user: { externalId: 'x' }, name: '', time: 'now' })),
      },
    }),
  () => JSON.stringify({ query: '{ noSuchField }' }),
  () => JSON.stringify({ query: USERS_QUERY, variables: { ids: [null] } }),
];

async function sendMalformed(slot: Slot): Promise<void> {
  const make = MALFORMED[Math.floor(Math.random() * MALFORMED.length)]!;
  const body = make();
  const a = await post(slot, body, WORKER_DEADLINE_MS);
  malformed.sent += 1;
  const problem = malformedProblem(a.status, a.text);
  if (problem === undefined) malformed.refused += 1;
  else if (!(a.status === undefined && slot.stopping))
    malformed.wrong.push(`${problem}: ${body.slice(0, 120)} → ${a.text.slice(0, 200)}`);
}

/** One request of the mix: mostly events (single and lists of 20), then reads, identity, triggers. */
async function oneOperation(slot: Slot): Promise<void> {
  const r = Math.random();
  if (r < 0.35) await trackEvents(slot, 1, WORKER_DEADLINE_MS, 'trackEvents ×1');
  else if (r < 0.65) await trackEvents(slot, 20, WORKER_DEADLINE_MS, 'trackEvents ×20');
  else if (r < 0.77) await readUsers(slot, 5, WORKER_DEADLINE_MS, 'users ×5');
  else if (r < 0.85) await createAliases(slot, 3, WORKER_DEADLINE_MS, 'createUserAliases ×3');
  else if (r < 0.9) await identify(slot, WORKER_DEADLINE_MS);
  else if (r < 0.95) await trigger(slot, WORKER_DEADLINE_MS);
  else await sendMalformed(slot);
}

let trafficOn = true;
async function worker(slot: Slot): Promise<void> {
  while (trafficOn) {
    if (!slot.up) {
      await sleep(50);
      continue;
    }
    await oneOperation(slot);
  }
}

// ---------------------------------------------------------------------------------------------
// Faults and probes

const probes: Probe[] = [];
const faults: FaultRecord[] = [];
let phase = 'warm-up';

/**
 * After a fault cleared at `clearedAt`: on every live replica and for each budget group, the time to
 * the first request served ok (tried again every 100 ms), or undefined past the limit.
 */
async function probeAll(fault: string, clearedAt: number, slots: Slot[]): Promise<void> {
  const groups: Array<[string, (s: Slot, deadlineMs: number) => Promise<boolean>]> = [
    ['users.track', (s, d) => trackEvents(s, 1, d, 'probe trackEvents ×1')],
    ['users.export.ids', (s, d) => readUsers(s, 1, d, 'probe users ×1')],
    ['users.identity', (s, d) => createAliases(s, 1, d, 'probe createUserAliases ×1')],
  ];
  await Promise.all(
    slots
      .filter((s) => s.up)
      .flatMap((slot) =>
        groups.map(async ([group, send]) => {
          let servedAfterMs: number | undefined;
          for (;;) {
            const left = PROBE_LIMIT_MS - (Date.now() - clearedAt);
            if (left <= 0) break;
            if (await send(slot, Math.max(100, left))) {
              servedAfterMs = Date.now() - clearedAt;
              break;
            }
            await sleep(100);
          }
          probes.push({ fault, replica: slot.name, group, servedAfterMs, limitMs: PROBE_LIMIT_MS });
        }),
      ),
  );
}

async function redisOutage(slots: Slot[], rec: FaultRecord): Promise<number> {
  await theRedis().stop();
  const fallbackMs = await until(slots, (r) => r.budget === 'fallback', 8_000);
  if (fallbackMs === undefined)
    rec.problems.push('a replica never reported the fallback budget while Redis was down');
  else rec.notes.push(`fallback budget on every replica after ${fallbackMs} ms`);
  await sleep(Math.max(0, FAULT_MS - (fallbackMs ?? 0)));
  await theRedis().start();
  // The fault has cleared for the gateway once every replica uses the shared budget again (its
  // Redis client reconnects with a backoff of up to 2 s); that must take at most 10 s.
  const sharedMs = await until(slots, (r) => r.budget === 'shared', 10_000);
  if (sharedMs === undefined)
    rec.problems.push('a replica did not return to the shared budget within 10 s of Redis');
  else rec.notes.push(`shared budget again ${sharedMs} ms after Redis answered`);
  return Date.now();
}

/**
 * A Braze fault on every path (the breaker is per host: a success on another endpoint would close
 * it), held FAULT_MS; notes whether the breaker opened, and when it closed.
 */
async function brazeFault(
  slots: Slot[],
  rec: FaultRecord,
  fault: Record<string, unknown>,
  /**
   * `must open`: the breaker of every replica must open while the fault holds, and close after.
   * `observe`: say on how many it opened; it must still close after.
   */
  opts: { holdMs: number; breaker: 'must open' | 'observe' | false },
): Promise<number> {
  await simAdmin('POST', 'faults', { times: 1e9, ...fault });
  // Which replicas' breakers were seen open while the fault held (/readyz, every 100 ms).
  const from = Date.now();
  const openAfterMs = new Map<string, number>();
  while (Date.now() - from < opts.holdMs) {
    const states = await Promise.all(slots.map(readiness));
    states.forEach((r, i) => {
      const name = slots[i]!.name;
      // Half-open too: the breaker opened, and its cool-down has passed (a trial may be hanging).
      if ((r?.braze === 'open' || r?.braze === 'half-open') && !openAfterMs.has(name))
        openAfterMs.set(name, Date.now() - from);
    });
    await sleep(100);
  }
  await simAdmin('DELETE', 'faults');
  // Requests left hanging at Braze end only when the gateway gives up on them: the fault clears
  // for the gateway after its headers timeout.
  if (fault.kind === 'hang') await sleep(HEADERS_TIMEOUT_MS);
  const clearedAt = Date.now();
  if (opts.breaker) {
    if (openAfterMs.size < slots.length && opts.breaker === 'must open')
      rec.problems.push(`the breaker opened on ${openAfterMs.size} of ${slots.length} replicas`);
    else if (openAfterMs.size < slots.length)
      rec.notes.push(`breaker open on ${openAfterMs.size} of ${slots.length} replicas`);
    else
      rec.notes.push(
        `breaker open on every replica (the last after ${Math.max(...openAfterMs.values())} ms)`,
      );
    const closedMs = await until(slots, (r) => r.braze === 'closed', PROBE_LIMIT_MS + 5_000);
    if (closedMs === undefined) rec.problems.push('the breaker did not close after the fault ended');
    else rec.notes.push(`closed on every replica ${closedMs} ms after the fault ended`);
  }
  return clearedAt;
}

async function restartReplica(slots: Slot[], index: number, rec: FaultRecord): Promise<number> {
  const slot = slots[index]!;
  // Its heap before it goes: judged when it lived long enough past its baseline to tell.
  slot.heap.endBytes = await heapAfterGc(slot);
  const livedMs = Date.now() - (slot.baselineAt ?? Date.now());
  slot.up = false;
  slot.stopping = true;
  const inFlight = slot.inFlight;
  const old = slot.child;
  const exited = new Promise<number | null>((resolve) => old.process.once('exit', (code) => resolve(code)));
  old.process.kill('SIGTERM');
  const code = await Promise.race([exited, sleep(15_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    rec.problems.push(`${slot.name} did not exit within 15 s of SIGTERM`);
    await old.stop(0);
  } else if (code !== 0) rec.problems.push(`${slot.name} exited with ${code} after SIGTERM`);
  else rec.notes.push(`${slot.name} drained ${inFlight} requests in flight and exited 0`);
  // The drained replica's heap was judged against its own baseline; the new one gets its own.
  const ended = {
    ...slot.heap,
    replica: `${slot.name} (until its SIGTERM)`,
    judged: livedMs >= MIN_JUDGED_LIFE_MS,
  };
  heapRetired.push(ended);
  await startReplica(slot.name, slot);
  slot.heap = {
    replica: `${slot.name} (restarted)`,
    baselineBytes: undefined,
    endBytes: undefined,
    judged: true,
  };
  const clearedAt = Date.now();
  // Its own warm-up, then its baseline (in the background: the schedule goes on).
  void sleep(WARMUP_MS).then(async () => {
    if (trafficOn && slot.child.process.exitCode === null) {
      slot.baselineAt = Date.now();
      slot.heap.baselineBytes = await heapAfterGc(slot);
    }
  });
  return clearedAt;
}

const heapRetired: HeapSample[] = [];

async function barrage(slots: Slot[], rec: FaultRecord): Promise<number> {
  const before = malformed.wrong.length;
  let left = MALFORMED_BARRAGE;
  await Promise.all(
    Array.from({ length: 10 }, async (_, i) => {
      while (left > 0) {
        left -= 1;
        await sendMalformed(slots[i % slots.length]!);
      }
    }),
  );
  rec.notes.push(
    `${MALFORMED_BARRAGE} malformed requests, ${malformed.wrong.length - before} answered wrongly`,
  );
  return Date.now();
}

type FaultKind =
  | 'replica SIGTERM + restart'
  | 'Redis stop + restart'
  | 'Braze 503 storm'
  | 'Braze hang'
  | 'Braze 429 storm'
  | 'malformed barrage';
const SCHEDULE: FaultKind[] = [
  'replica SIGTERM + restart',
  'Redis stop + restart',
  'Braze 503 storm',
  'Braze hang',
  'Braze 429 storm',
  'malformed barrage',
];

async function inject(kind: FaultKind, slots: Slot[], round: number): Promise<void> {
  const rec: FaultRecord = { kind, atMs: Date.now() - started, durationMs: 0, notes: [], problems: [] };
  faults.push(rec);
  phase = kind;
  say(`fault: ${kind}`);
  const from = Date.now();
  let clearedAt: number;
  switch (kind) {
    case 'replica SIGTERM + restart':
      clearedAt = await restartReplica(slots, round % slots.length, rec);
      break;
    case 'Redis stop + restart':
      clearedAt = await redisOutage(slots, rec);
      break;
    case 'Braze 503 storm':
      clearedAt = await brazeFault(slots, rec, { status: 503 }, { holdMs: FAULT_MS, breaker: 'must open' });
      break;
    case 'Braze hang':
      // Held for three of the gateway's headers timeouts. A lane keeps one request out while it
      // waits for an answer, so a hang brings the breaker about one failure per lane per timeout:
      // whether it reaches the threshold on a replica depends on how many lanes have traffic
      // there, so here its opening is reported, not required (it must still be closed after).
      clearedAt = await brazeFault(
        slots,
        rec,
        { kind: 'hang' },
        { holdMs: FAULT_MS + 3 * HEADERS_TIMEOUT_MS, breaker: 'observe' },
      );
      break;
    case 'Braze 429 storm':
      clearedAt = await brazeFault(
        slots,
        rec,
        { status: 429, headers: { 'Retry-After': '1' } },
        { holdMs: FAULT_MS, breaker: false },
      );
      break;
    case 'malformed barrage':
      clearedAt = await barrage(slots, rec);
      break;
  }
  rec.durationMs = clearedAt - from;
  phase = `after ${kind}`;
  await probeAll(kind, clearedAt, slots);
  const mine = probes.filter((p) => p.fault === kind).slice(-slots.length * 3);
  const worst = Math.max(...mine.map((p) => p.servedAfterMs ?? Infinity));
  say(`  ${rec.notes.join('; ')}${rec.problems.length > 0 ? ` PROBLEMS: ${rec.problems.join('; ')}` : ''}`);
  say(
    `  every replica served every group within ${worst} ms of the fault's end (limit ${PROBE_LIMIT_MS} ms)`,
  );
}

// ---------------------------------------------------------------------------------------------
// The run

/** The simulator's own 429s (its limiter; injected ones are not counted there), per group. */
async function limiter429s(): Promise<Record<string, number>> {
  const stats = (await simAdmin('GET', 'stats')) as { groups: Record<string, { rejected429: number }> };
  return Object.fromEntries(Object.entries(stats.groups).map(([g, s]) => [g, s.rejected429]));
}

const timeline429: Array<{ atS: number; phase: string; group: string; n: number }> = [];

async function main(): Promise<number> {
  const cycles = Math.max(1, Math.floor((SECONDS * 1000 - WARMUP_MS - TAIL_MS) / (SCHEDULE.length * 7_000)));
  const slotMs = (SECONDS * 1000 - WARMUP_MS - TAIL_MS) / (SCHEDULE.length * cycles);
  say(
    `npm run soak: ${SECONDS} s, ${REPLICAS} replicas + Redis + simulator on 127.0.0.1, ` +
      `${cycles} round(s) of ${SCHEDULE.length} faults, one every ${(slotMs / 1000).toFixed(1)} s`,
  );
  redis = await startTestRedis();
  sim = await startNodeServer('simulator', 'bench/simulator.ts', {
    env: {
      BRAZE_API_KEY: API_KEY,
      PORT: '0',
      ...Object.fromEntries(Object.entries(LIMITS).map(([g, v]) => [`RATE_LIMIT_${g}`, v])),
    },
  });
  const slots = await Promise.all(
    Array.from({ length: REPLICAS }, (_, i) => startReplica(`replica ${i + 1}`)),
  );
  say(
    `simulator ${theSim().url}, Redis ${theRedis().url}, replicas ${slots.map((s) => s.child.url).join(' ')}`,
  );

  // The simulator's 429s, polled every second with the phase they happened in.
  let last = await limiter429s();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      await sleep(1_000);
      const now = await limiter429s().catch(() => last);
      for (const [g, n] of Object.entries(now))
        if (n > (last[g] ?? 0))
          timeline429.push({ atS: (Date.now() - started) / 1000, phase, group: g, n: n - (last[g] ?? 0) });
      last = now;
    }
  })();

  const workers = slots.flatMap((slot) => Array.from({ length: WORKERS_PER_REPLICA }, () => worker(slot)));

  // Warm-up: the traffic, plus a few of each Braze failure so their code paths are loaded before
  // the heap baseline.
  await sleep(2_000);
  await simAdmin('POST', 'faults', { path: '/users/track', status: 503, times: 2 });
  await simAdmin('POST', 'faults', {
    path: '/users/track',
    status: 429,
    times: 2,
    headers: { 'Retry-After': '1' },
  });
  await simAdmin('POST', 'faults', { path: '/users/track', kind: 'hang', times: 1 });
  await sleep(WARMUP_MS - 2_000);
  for (const s of slots) {
    s.baselineAt = Date.now();
    s.heap.baselineBytes = await heapAfterGc(s);
  }
  say(`warm: heap after GC ${slots.map((s) => mib(s.heap.baselineBytes)).join(', ')} MiB`);

  for (let round = 0; round < cycles; round++) {
    for (const kind of SCHEDULE) {
      const slotStart = Date.now();
      await inject(kind, slots, round);
      phase = 'steady';
      await sleep(Math.max(0, slotMs - (Date.now() - slotStart)));
    }
  }
  phase = 'tail';
  await sleep(TAIL_MS);
  for (const s of slots) s.heap.endBytes = await heapAfterGc(s);
  say(`end: heap after GC ${slots.map((s) => mib(s.heap.endBytes)).join(', ')} MiB`);

  trafficOn = false;
  await Promise.all(workers);
  phase = 'shutdown';
  // Every replica drains and exits 0 (the lanes flush what they hold before answering).
  for (const s of slots) {
    s.stopping = true;
    s.up = false;
  }
  await Promise.all(
    slots.map(async (s) => {
      const exited = new Promise<number | null>((resolve) => s.child.process.once('exit', (c) => resolve(c)));
      s.child.process.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
    }),
  );
  polling = false;
  await poller;
  const final429 = await limiter429s();
  const simStats = (await simAdmin('GET', 'stats')) as {
    paths: Record<string, Record<string, number>>;
    groups: Record<string, { maxInAnyWindow: number; limit: number; windowSec: number }>;
  };
  const runS = (Date.now() - started) / 1000;
  // The budget binds: Braze's requests per group against what the limits allowed over the run.
  const braze = (
    [
      ['users.track', '/users/track'],
      ['users.export.ids', '/users/export/ids'],
      ['users.identity', '/users/alias/new'],
    ] as const
  ).map(([group, path]) => {
    const g = simStats.groups[group]!;
    const accepted = Object.entries(simStats.paths[path] ?? {})
      .filter(([status]) => status.startsWith('2'))
      .reduce((sum, [, n]) => sum + n, 0);
    return {
      group,
      path,
      accepted,
      allowed: Math.floor(runS / g.windowSec) * g.limit,
      maxInAnyWindow: g.maxInAnyWindow,
      limit: g.limit,
    };
  });
  // How many times the simulator applied each item, per kind (see the header).
  type Counts = { counts: Record<string, number>; truncated: boolean };
  const applied = async (kind: WriteKind, route: string): Promise<WriteRecord> => {
    const { counts, truncated } = (await simAdmin('GET', route)) as Counts;
    return { answers: answers[kind], applied: counts, truncated };
  };
  const writes: Record<WriteKind, WriteRecord> = {
    events: await applied('events', 'events?property=soak_id'),
    aliases: await applied('aliases', 'writes?kind=aliases&label=soak'),
    identifications: await applied('identifications', 'writes?kind=identifications&label=soak'),
    triggers: await applied('triggers', 'writes?kind=triggers&property=soak_id'),
  };
  if (drainDropped > 0) crashes.push(`${drainDropped} requests sent before a SIGTERM got no answer (drain)`);

  const verdict = judgeSoak({
    writes,
    rejected429: final429,
    probes,
    heap: [...slots.map((s) => s.heap), ...heapRetired],
    maxHeapGrowth: MAX_HEAP_GROWTH,
    malformed,
    faults,
    crashes,
  });
  const f = verdict.figures;

  console.log('\nFaults injected');
  for (const r of faults)
    console.log(
      `  ${(r.atMs / 1000).toFixed(1).padStart(6)} s  ${r.kind.padEnd(26)} ${String(r.durationMs).padStart(6)} ms  ${r.notes.join('; ')}${r.problems.length > 0 ? `  PROBLEMS: ${r.problems.join('; ')}` : ''}`,
    );
  console.log('\nTraffic (GraphQL requests; failed items by code)');
  for (const [op, s] of Object.entries(ops).sort())
    console.log(
      `  ${op.padEnd(28)} ${String(s.requests).padStart(6)} requests, ${String(s.okRequests).padStart(6)} all ok  ${Object.entries(
        s.failed,
      )
        .map(([c, n]) => `${c} ${n}`)
        .join(', ')}`,
    );
  console.log(
    `  ${'malformed'.padEnd(28)} ${String(malformed.sent).padStart(6)} requests, ${malformed.refused} refused as they should be`,
  );
  console.log(
    '\nExactly once: items sent, answered ok, applications at the simulator; lost (ok, never applied) and duplicates (applied > once) must be 0',
  );
  console.log(
    `  ${'kind'.padEnd(16)} ${['sent', 'ok', 'applied', 'lost', 'duplicates'].map((h) => h.padStart(12)).join('')}  not ok, by code`,
  );
  for (const [kind, w] of Object.entries(f.writes)) {
    const byCode = Object.entries(w.notAcknowledged)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ');
    console.log(
      `  ${kind.padEnd(16)} ${[w.sent, w.acknowledged, w.appliedTotal, w.lost, w.duplicates].map((n) => String(n).padStart(12)).join('')}  ${byCode || 'none'}; ${w.appliedWithoutAck} of them applied once (allowed)`,
    );
  }
  const rows: Array<[string, string, string]> = [
    [
      'Braze 429s outside storms',
      String(f.braze429),
      `must be 0${timeline429.length > 0 ? `; ${timeline429.map((t) => `${t.n} ${t.group} at ${t.atS.toFixed(0)} s (${t.phase})`).join(', ')}` : ''}`,
    ],
    [
      'stalls after a fault',
      String(f.stalls),
      `must be 0; ${probes.length} probes, slowest ${f.slowestProbeMs ?? '-'} ms (limit ${PROBE_LIMIT_MS} ms)`,
    ],
    ['malformed refused', `${malformed.refused}/${malformed.sent}`, 'every one: 4xx or BAD_USER_INPUT'],
    ...f.heap.map((h): [string, string, string] => [
      `heap ${h.replica}`,
      `${mib(h.baselineBytes)} → ${mib(h.endBytes)} MiB`,
      h.growth === undefined
        ? 'not measured'
        : `${h.growth >= 0 ? '+' : ''}${(h.growth * 100).toFixed(1)} %${h.judged ? ' (limit +10 %)' : ' (not judged)'}`,
    ]),
  ];
  console.log('\nBraze (the simulator), requests answered 2xx against the limits over the whole run');
  for (const b of braze)
    console.log(
      `  ${b.path.padEnd(28)} ${String(b.accepted).padStart(6)} of ${b.allowed} allowed (${((b.accepted / b.allowed) * 100).toFixed(0)} %), at most ${b.maxInAnyWindow} of ${b.limit} in one window`,
    );
  console.log('\nSoak report');
  for (const [k, v, note] of rows) console.log(`  ${k.padEnd(30)} ${v.padStart(18)}  ${note}`);
  console.log(
    verdict.violations.length === 0
      ? '\nPASS: every criterion held'
      : `\nFAIL:\n${verdict.violations.map((v) => `  - ${v}`).join('\n')}`,
  );

  const report = {
    seconds: SECONDS,
    limits: LIMITS,
    replicas: REPLICAS,
    probeLimitMs: PROBE_LIMIT_MS,
    faults,
    traffic: ops,
    braze,
    malformed,
    figures: f,
    timeline429,
    probes,
    violations: verdict.violations,
    pass: verdict.violations.length === 0,
  };
  writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`report written to ${OUT}`);
  return verdict.violations.length === 0 ? 0 : 1;
}

function mib(bytes: number | undefined): string {
  return bytes === undefined ? '?' : (bytes / 1024 / 1024).toFixed(1);
}

// The whole run is bounded: past twice its length plus a minute, everything is killed.
const watchdog = setTimeout(
  () => {
    console.error('soak: did not finish in time; killing every process it started');
    killAllNow();
    // The private redis-server is not one of processes.ts's children: stop it too.
    void (redis?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
  },
  SECONDS * 2_000 + 60_000,
);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAllNow();
    void redis?.stop().finally(() => process.exit(130));
  });
}

let status = 1;
try {
  status = await main();
} catch (err) {
  console.error('soak: failed to run:', err);
} finally {
  trafficOn = false;
  await stopAll();
  await redis?.stop();
}
process.exit(status);
