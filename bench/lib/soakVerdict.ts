/**
 * The soak test's verdict (bench/soak.ts), apart from the processes and the traffic so that a
 * wrong verdict is caught by a unit test (test/soakVerdict.test.ts): from what the soak recorded
 * (how the gateway answered each write of each kind, how many times the simulator applied each,
 * the simulator's own 429 count, the probes after each fault, the heap samples) to its figures and
 * the list of violated criteria. An empty list is a pass.
 */

/** How the gateway answered one item: `ok`, an error code, or `NO_ANSWER` (transport error). */
export type ItemAnswer = 'ok' | 'NO_ANSWER' | (string & {});

/**
 * The writes checked for exactly-once: tracked events (stored at the simulator), alias creations,
 * identifications and campaign trigger recipients (counted by `GET /_simulator/writes`).
 */
export const WRITE_KINDS = ['events', 'aliases', 'identifications', 'triggers'] as const;
export type WriteKind = (typeof WRITE_KINDS)[number];

/** How the violations name the items of each kind. */
const NOUNS: Record<WriteKind, string> = {
  events: 'events',
  aliases: 'alias creations',
  identifications: 'identifications',
  triggers: 'trigger recipients',
};

/** What the soak recorded for one kind of write. */
export interface WriteRecord {
  /** Every item sent, by its unique id. */
  answers: ReadonlyMap<string, ItemAnswer>;
  /** How many times the simulator applied each id (ids applied never are absent). */
  applied: Readonly<Record<string, number>>;
  /** The simulator forgot some (a full history or ledger): counts may be short. */
  truncated: boolean;
}

/**
 * One kind's exactly-once figures. An item not answered ok (RATE_LIMITED, UPSTREAM_ERROR, no
 * answer) may or may not have reached Braze: applied once is allowed. Applied twice is a
 * duplicate whatever the answer: the gateway sends an item in at most one request Braze
 * processes (it retries only what Braze provably did not process, never past the deadline) and
 * the soak never sends an item twice.
 */
export interface WriteFigures {
  sent: number;
  acknowledged: number;
  /** Answers other than ok, by code. */
  notAcknowledged: Record<string, number>;
  appliedIds: number;
  /** Applications, counting repeats. */
  appliedTotal: number;
  lost: number;
  duplicates: number;
  /** Applied ids the soak never sent. */
  unknownApplied: number;
  /** Not acknowledged yet applied once (allowed: e.g. Braze processed it but the answer was lost). */
  appliedWithoutAck: number;
}

/** The first request served after a fault cleared, on one replica and one budget group. */
export interface Probe {
  fault: string;
  replica: string;
  /** `users.track`, `users.export.ids` or `users.identity`: what the probe exercised. */
  group: string;
  /** Time from the fault's end to the first answer that was ok; undefined when none came in time. */
  servedAfterMs: number | undefined;
  limitMs: number;
}

export interface HeapSample {
  replica: string;
  /** Heap used after a full GC once warm. */
  baselineBytes: number | undefined;
  /** Heap used after a full GC at the end of the schedule (under the same load). */
  endBytes: number | undefined;
  /** Whether it lived through the whole measured run (the restarted replica did not). */
  judged: boolean;
}

export interface MalformedFigures {
  sent: number;
  /** Answered 4xx, or 200 with every error `BAD_USER_INPUT` and no item ok. */
  refused: number;
  /** Anything else: a 5xx, no answer, an item ok, another code. Each one is a violation. */
  wrong: string[];
}

export interface FaultRecord {
  kind: string;
  atMs: number;
  durationMs: number;
  /** What the soak observed (e.g. `breaker opened`); a `problem` fails the run. */
  notes: string[];
  problems: string[];
}

export interface SoakRecord {
  /** Every kind of write checked for exactly-once. */
  writes: Readonly<Record<WriteKind, WriteRecord>>;
  /**
   * 429s the simulator's own rate limiter answered, per group. Injected 429s (the storm) come from
   * the fault list before the limiter and never count here.
   */
  rejected429: Readonly<Record<string, number>>;
  probes: readonly Probe[];
  heap: readonly HeapSample[];
  maxHeapGrowth: number;
  malformed: MalformedFigures;
  faults: readonly FaultRecord[];
  /** Replica processes that ended other than by the soak's SIGTERM with status 0. */
  crashes: readonly string[];
}

export interface SoakFigures {
  writes: Record<WriteKind, WriteFigures>;
  braze429: number;
  stalls: number;
  slowestProbeMs: number | undefined;
  heap: Array<HeapSample & { growth: number | undefined }>;
}

export interface SoakVerdict {
  figures: SoakFigures;
  violations: string[];
}

const SAMPLE = 5;

function sample(ids: string[]): string {
  return ids.length <= SAMPLE ? ids.join(', ') : `${ids.slice(0, SAMPLE).join(', ')}, …`;
}

/** One kind's figures, and its violations appended to `violations`. */
function judgeWrites(kind: WriteKind, r: WriteRecord, violations: string[]): WriteFigures {
  const noun = NOUNS[kind];
  const notAcknowledged: Record<string, number> = {};
  const lost: string[] = [];
  const duplicates: string[] = [];
  let acknowledged = 0;
  let appliedWithoutAck = 0;
  for (const [id, answer] of r.answers) {
    const times = r.applied[id] ?? 0;
    if (times > 1) duplicates.push(id);
    if (answer === 'ok') {
      acknowledged += 1;
      if (times === 0) lost.push(id);
    } else {
      notAcknowledged[answer] = (notAcknowledged[answer] ?? 0) + 1;
      if (times === 1) appliedWithoutAck += 1;
    }
  }
  let appliedTotal = 0;
  const unknown: string[] = [];
  for (const [id, times] of Object.entries(r.applied)) {
    appliedTotal += times;
    if (!r.answers.has(id)) unknown.push(id);
  }
  if (r.answers.size === 0) violations.push(`no ${noun} were sent: the soak measured nothing`);
  else if (acknowledged === 0) violations.push(`no ${noun} were acknowledged: the gateway served nothing`);
  if (r.truncated)
    violations.push(`the simulator forgot some ${noun} (a full history): counts cannot be trusted`);
  if (lost.length > 0)
    violations.push(`${lost.length} acknowledged ${noun} were never applied (lost): ${sample(lost)}`);
  if (duplicates.length > 0)
    violations.push(`${duplicates.length} ${noun} were applied more than once: ${sample(duplicates)}`);
  if (unknown.length > 0)
    violations.push(`${unknown.length} applied ${noun} were never sent by the soak: ${sample(unknown)}`);
  return {
    sent: r.answers.size,
    acknowledged,
    notAcknowledged,
    appliedIds: Object.keys(r.applied).length,
    appliedTotal,
    lost: lost.length,
    duplicates: duplicates.length,
    unknownApplied: unknown.length,
    appliedWithoutAck,
  };
}

export function judgeSoak(r: SoakRecord): SoakVerdict {
  const violations: string[] = [];
  const writes = Object.fromEntries(
    WRITE_KINDS.map((kind) => [kind, judgeWrites(kind, r.writes[kind], violations)]),
  ) as Record<WriteKind, WriteFigures>;

  const braze429 = Object.values(r.rejected429).reduce((a, b) => a + b, 0);
  if (braze429 > 0) {
    const by = Object.entries(r.rejected429)
      .filter(([, n]) => n > 0)
      .map(([g, n]) => `${g} ${n}`)
      .join(', ');
    violations.push(`Braze answered ${braze429} 429s outside the injected storms (${by})`);
  }

  const stalled = r.probes.filter((p) => p.servedAfterMs === undefined || p.servedAfterMs > p.limitMs);
  for (const p of stalled) {
    violations.push(
      `after ${p.fault}, ${p.replica} served no ${p.group} request within ${p.limitMs} ms` +
        (p.servedAfterMs === undefined ? '' : ` (first after ${p.servedAfterMs} ms)`),
    );
  }
  const served = r.probes.flatMap((p) => (p.servedAfterMs === undefined ? [] : [p.servedAfterMs]));

  const heap = r.heap.map((h) => ({
    ...h,
    growth:
      h.baselineBytes === undefined || h.endBytes === undefined
        ? undefined
        : h.endBytes / h.baselineBytes - 1,
  }));
  for (const h of heap) {
    if (!h.judged) continue;
    if (h.growth === undefined) violations.push(`${h.replica}: no heap sample (baseline or end) was read`);
    // Compared as bytes: 110 / 100 - 1 is a hair above 0.1 in floating point.
    else if (h.endBytes! > h.baselineBytes! * (1 + r.maxHeapGrowth))
      violations.push(
        `${h.replica}: heap after GC grew ${(h.growth * 100).toFixed(1)} % (limit ${(r.maxHeapGrowth * 100).toFixed(0)} %)`,
      );
  }

  if (r.malformed.sent === 0) violations.push('no malformed input was sent');
  for (const w of r.malformed.wrong.slice(0, SAMPLE)) violations.push(`malformed input: ${w}`);
  if (r.malformed.wrong.length > SAMPLE)
    violations.push(`malformed input: ${r.malformed.wrong.length - SAMPLE} more answered wrongly`);
  for (const f of r.faults) for (const p of f.problems) violations.push(`${f.kind}: ${p}`);
  for (const c of r.crashes) violations.push(`process ended unexpectedly: ${c}`);

  return {
    figures: {
      writes,
      braze429,
      stalls: stalled.length,
      slowestProbeMs: served.length === 0 ? undefined : Math.max(...served),
      heap,
    },
    violations,
  };
}

/**
 * How the gateway answered one malformed request: refused as it should (`undefined`), or what was
 * wrong. A refusal is a 4xx, or a 200 whose errors are all BAD_USER_INPUT with no item ok.
 */
export function malformedProblem(status: number | undefined, body: string): string | undefined {
  if (status === undefined) return 'no answer';
  if (status >= 400 && status < 500) return undefined;
  if (status !== 200) return `status ${status}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'status 200 with a body that is not JSON';
  }
  const codes: string[] = [];
  let anyOk = false;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.ok === true) anyOk = true;
      if (typeof o.code === 'string') codes.push(o.code);
      const ext = o.extensions as Record<string, unknown> | undefined;
      if (ext !== undefined && typeof ext.code === 'string') codes.push(ext.code);
      for (const [k, child] of Object.entries(o)) if (k !== 'extensions') walk(child);
    }
  };
  walk(parsed);
  if (anyOk) return 'an item of malformed input was answered ok';
  if (codes.length === 0) return 'status 200 with no error';
  const other = codes.filter((c) => c !== 'BAD_USER_INPUT');
  if (other.length > 0) return `answered ${[...new Set(other)].join(', ')} instead of BAD_USER_INPUT`;
  return undefined;
}
