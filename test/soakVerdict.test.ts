import { describe, expect, it } from 'vitest';
import {
  judgeSoak,
  malformedProblem,
  WRITE_KINDS,
  type ItemAnswer,
  type SoakRecord,
  type WriteKind,
  type WriteRecord,
} from '../bench/lib/soakVerdict.js';

/** Per kind: three items acknowledged and applied once, one refused and never applied. */
function cleanWrites(kind: WriteKind): WriteRecord {
  const p = kind[0]!;
  return {
    answers: new Map<string, ItemAnswer>([
      [`${p}0`, 'ok'],
      [`${p}1`, 'ok'],
      [`${p}2`, 'ok'],
      [`${p}3`, 'RATE_LIMITED'],
    ]),
    applied: { [`${p}0`]: 1, [`${p}1`]: 1, [`${p}2`]: 1 },
    truncated: false,
  };
}

/** A clean run, with `kind`'s writes replaced by `over` when given. */
function record(
  over: Partial<SoakRecord> = {},
  kind?: WriteKind,
  writes: Partial<WriteRecord> = {},
): SoakRecord {
  const all = Object.fromEntries(WRITE_KINDS.map((k) => [k, cleanWrites(k)])) as Record<
    WriteKind,
    WriteRecord
  >;
  if (kind !== undefined) all[kind] = { ...all[kind], ...writes };
  return {
    writes: all,
    rejected429: { 'users.track': 0, 'users.export.ids': 0 },
    probes: [
      {
        fault: 'Redis stop + restart',
        replica: 'r1',
        group: 'users.track',
        servedAfterMs: 900,
        limitMs: 5_000,
      },
    ],
    heap: [{ replica: 'r1', baselineBytes: 100, endBytes: 105, judged: true }],
    maxHeapGrowth: 0.1,
    malformed: { sent: 10, refused: 10, wrong: [] },
    faults: [
      { kind: 'Braze 503 storm', atMs: 0, durationMs: 3_000, notes: ['breaker opened'], problems: [] },
    ],
    crashes: [],
    ...over,
  };
}

const NOUN: Record<WriteKind, string> = {
  events: 'events',
  aliases: 'alias creations',
  identifications: 'identifications',
  triggers: 'trigger recipients',
};

describe('the soak verdict (bench/lib/soakVerdict.ts)', () => {
  it('passes a clean run and counts what it saw, per kind of write', () => {
    const v = judgeSoak(record());
    expect(v.violations).toEqual([]);
    expect(Object.keys(v.figures.writes)).toEqual(['events', 'aliases', 'identifications', 'triggers']);
    for (const kind of WRITE_KINDS)
      expect(v.figures.writes[kind]).toEqual({
        sent: 4,
        acknowledged: 3,
        notAcknowledged: { RATE_LIMITED: 1 },
        appliedIds: 3,
        appliedTotal: 3,
        lost: 0,
        duplicates: 0,
        unknownApplied: 0,
        appliedWithoutAck: 0,
      });
    expect(v.figures).toMatchObject({ braze429: 0, stalls: 0, slowestProbeMs: 900 });
    expect(v.figures.heap[0]!.growth).toBeCloseTo(0.05);
  });

  describe.each(WRITE_KINDS)('exactly once for %s', (kind) => {
    const p = kind[0]!;
    const noun = NOUN[kind];
    const judge = (writes: Partial<WriteRecord>): ReturnType<typeof judgeSoak> =>
      judgeSoak(record({}, kind, writes));

    it('calls an acknowledged item that was never applied lost', () => {
      const v = judge({ applied: { [`${p}0`]: 1, [`${p}2`]: 1 } });
      expect(v.figures.writes[kind].lost).toBe(1);
      expect(v.violations).toEqual([`1 acknowledged ${noun} were never applied (lost): ${p}1`]);
      // The other kinds are judged on their own.
      for (const other of WRITE_KINDS.filter((k) => k !== kind)) expect(v.figures.writes[other].lost).toBe(0);
    });

    it('calls an item applied twice a duplicate, acknowledged or not', () => {
      const v = judge({ applied: { [`${p}0`]: 2, [`${p}1`]: 1, [`${p}2`]: 1, [`${p}3`]: 2 } });
      expect(v.figures.writes[kind].duplicates).toBe(2);
      expect(v.figures.writes[kind].appliedTotal).toBe(6);
      expect(v.violations).toEqual([`2 ${noun} were applied more than once: ${p}0, ${p}3`]);
    });

    it('lets an item that was not acknowledged be applied once (Braze may have processed it)', () => {
      const v = judge({
        answers: new Map<string, ItemAnswer>([
          [`${p}0`, 'ok'],
          [`${p}1`, 'UPSTREAM_ERROR'],
          [`${p}2`, 'NO_ANSWER'],
          [`${p}3`, 'RATE_LIMITED'],
        ]),
        applied: { [`${p}0`]: 1, [`${p}1`]: 1 },
      });
      expect(v.violations).toEqual([]);
      expect(v.figures.writes[kind].appliedWithoutAck).toBe(1);
      expect(v.figures.writes[kind].notAcknowledged).toEqual({
        UPSTREAM_ERROR: 1,
        NO_ANSWER: 1,
        RATE_LIMITED: 1,
      });
    });

    it('refuses counts it cannot trust and items it never sent', () => {
      expect(judge({ truncated: true }).violations).toEqual([
        `the simulator forgot some ${noun} (a full history): counts cannot be trusted`,
      ]);
      expect(judge({ applied: { [`${p}0`]: 1, [`${p}1`]: 1, [`${p}2`]: 1, x9: 1 } }).violations).toEqual([
        `1 applied ${noun} were never sent by the soak: x9`,
      ]);
    });

    it('fails when it sent or acknowledged none', () => {
      expect(judge({ answers: new Map(), applied: {} }).violations).toEqual([
        `no ${noun} were sent: the soak measured nothing`,
      ]);
      expect(judge({ answers: new Map([[`${p}0`, 'UPSTREAM_ERROR']]), applied: {} }).violations).toEqual([
        `no ${noun} were acknowledged: the gateway served nothing`,
      ]);
    });
  });

  it("fails on any 429 of Braze's own limiter, naming the group", () => {
    const v = judgeSoak(record({ rejected429: { 'users.track': 0, 'users.identity': 2 } }));
    expect(v.figures.braze429).toBe(2);
    expect(v.violations).toEqual(['Braze answered 2 429s outside the injected storms (users.identity 2)']);
  });

  it('fails a probe served late or never, and passes one served exactly at the limit', () => {
    const probe = { fault: 'Braze hang', replica: 'r2', group: 'users.export.ids', limitMs: 5_000 };
    const v = judgeSoak(
      record({
        probes: [
          { ...probe, servedAfterMs: 5_000 },
          { ...probe, servedAfterMs: 5_001 },
          { ...probe, servedAfterMs: undefined },
        ],
      }),
    );
    expect(v.figures.stalls).toBe(2);
    expect(v.figures.slowestProbeMs).toBe(5_001);
    expect(v.violations).toEqual([
      'after Braze hang, r2 served no users.export.ids request within 5000 ms (first after 5001 ms)',
      'after Braze hang, r2 served no users.export.ids request within 5000 ms',
    ]);
  });

  it('judges heap growth past the limit, only for replicas that are judged, and a missing sample', () => {
    const v = judgeSoak(
      record({
        heap: [
          { replica: 'r1', baselineBytes: 100, endBytes: 110, judged: true },
          { replica: 'r2', baselineBytes: 100, endBytes: 111, judged: true },
          { replica: 'r3', baselineBytes: 100, endBytes: 200, judged: false },
          { replica: 'r4', baselineBytes: undefined, endBytes: 100, judged: true },
        ],
      }),
    );
    expect(v.violations).toEqual([
      'r2: heap after GC grew 11.0 % (limit 10 %)',
      'r4: no heap sample (baseline or end) was read',
    ]);
  });

  it('fails on fault problems, crashes and bad refusals', () => {
    const v = judgeSoak(
      record({
        faults: [
          {
            kind: 'Braze hang',
            atMs: 0,
            durationMs: 1,
            notes: [],
            problems: ['the breaker opened on 0 of 3 replicas'],
          },
        ],
        crashes: ['replica 2 (pid 1) exited with 1'],
        malformed: { sent: 3, refused: 2, wrong: ['status 500'] },
      }),
    );
    expect(v.violations).toEqual([
      'malformed input: status 500',
      'Braze hang: the breaker opened on 0 of 3 replicas',
      'process ended unexpectedly: replica 2 (pid 1) exited with 1',
    ]);
  });
});

describe('malformedProblem: a malformed request must be refused', () => {
  it('accepts a 4xx and a 200 whose errors are all BAD_USER_INPUT', () => {
    expect(
      malformedProblem(400, '{"errors":[{"extensions":{"code":"GRAPHQL_PARSE_FAILED"}}]}'),
    ).toBeUndefined();
    expect(malformedProblem(413, '')).toBeUndefined();
    expect(
      malformedProblem(
        200,
        '{"data":{"trackEvents":[{"ok":false,"error":{"code":"BAD_USER_INPUT","message":"name is empty"}}]}}',
      ),
    ).toBeUndefined();
  });

  it('refuses no answer, a 5xx, an item ok, another code and a 200 without an error', () => {
    expect(malformedProblem(undefined, '')).toBe('no answer');
    expect(malformedProblem(502, '')).toBe('status 502');
    expect(
      malformedProblem(
        200,
        '{"data":{"trackEvents":[{"ok":true},{"ok":false,"error":{"code":"BAD_USER_INPUT"}}]}}',
      ),
    ).toBe('an item of malformed input was answered ok');
    expect(
      malformedProblem(
        200,
        '{"data":null,"errors":[{"message":"x","extensions":{"code":"UPSTREAM_ERROR"}}]}',
      ),
    ).toBe('answered UPSTREAM_ERROR instead of BAD_USER_INPUT');
    expect(malformedProblem(200, '{"data":{"users":[null]}}')).toBe('status 200 with no error');
    expect(malformedProblem(200, 'not json')).toBe('status 200 with a body that is not JSON');
  });
});
