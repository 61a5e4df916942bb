import { describe, expect, it } from 'vitest';
import { judgeSoak, malformedProblem, type ItemAnswer, type SoakRecord } from '../bench/lib/soakVerdict.js';

/** A clean run: three events acknowledged and stored once, one refused and never stored. */
function record(over: Partial<SoakRecord> = {}): SoakRecord {
  return {
    answers: new Map<string, ItemAnswer>([
      ['e0', 'ok'],
      ['e1', 'ok'],
      ['e2', 'ok'],
      ['e3', 'RATE_LIMITED'],
    ]),
    stored: { e0: 1, e1: 1, e2: 1 },
    storedTruncated: false,
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

describe('the soak verdict (bench/lib/soakVerdict.ts)', () => {
  it('passes a clean run and counts what it saw', () => {
    const v = judgeSoak(record());
    expect(v.violations).toEqual([]);
    expect(v.figures).toMatchObject({
      sent: 4,
      acknowledged: 3,
      notAcknowledged: { RATE_LIMITED: 1 },
      storedIds: 3,
      storedTotal: 3,
      lost: 0,
      duplicates: 0,
      braze429: 0,
      stalls: 0,
      slowestProbeMs: 900,
    });
    expect(v.figures.heap[0]!.growth).toBeCloseTo(0.05);
  });

  it('calls an acknowledged event that was never stored lost', () => {
    const v = judgeSoak(record({ stored: { e0: 1, e2: 1 } }));
    expect(v.figures.lost).toBe(1);
    expect(v.violations).toEqual([
      expect.stringMatching(/^1 acknowledged events were never stored \(lost\): e1$/),
    ]);
  });

  it('calls an event stored twice a duplicate, acknowledged or not', () => {
    const v = judgeSoak(record({ stored: { e0: 2, e1: 1, e2: 1, e3: 2 } }));
    expect(v.figures.duplicates).toBe(2);
    expect(v.violations).toEqual([expect.stringContaining('2 events were stored more than once: e0, e3')]);
  });

  it('lets an event that was not acknowledged be stored once (Braze may have processed it)', () => {
    const v = judgeSoak(
      record({
        answers: new Map<string, ItemAnswer>([
          ['e0', 'ok'],
          ['e1', 'UPSTREAM_ERROR'],
          ['e2', 'NO_ANSWER'],
        ]),
        stored: { e0: 1, e1: 1 },
      }),
    );
    expect(v.violations).toEqual([]);
    expect(v.figures.storedWithoutAck).toBe(1);
    expect(v.figures.notAcknowledged).toEqual({ UPSTREAM_ERROR: 1, NO_ANSWER: 1 });
  });

  it('refuses counts it cannot trust and events it never sent', () => {
    expect(judgeSoak(record({ storedTruncated: true })).violations).toEqual([
      expect.stringContaining('history was full'),
    ]);
    expect(judgeSoak(record({ stored: { e0: 1, e1: 1, e2: 1, x9: 1 } })).violations).toEqual([
      expect.stringContaining('1 stored events were never sent by the soak: x9'),
    ]);
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

  it('fails a run that sent or acknowledged nothing, and on fault problems, crashes and bad refusals', () => {
    expect(judgeSoak(record({ answers: new Map(), stored: {} })).violations).toEqual([
      'no event was sent: the soak measured nothing',
    ]);
    expect(
      judgeSoak(record({ answers: new Map([['e0', 'UPSTREAM_ERROR']]), stored: {} })).violations,
    ).toEqual(['no event was acknowledged: the gateway served nothing']);
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
