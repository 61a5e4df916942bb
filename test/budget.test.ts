import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_RATE_LIMITS, type RateGroupName, type RateLimit } from '../src/budget/groups.js';
import { RateBudgetService } from '../src/budget/rateBudget.js';
import { memoryLogger } from './helpers.js';

/** The budget's policy, on the in-memory store: limits, FIFO waiting, deadlines, reconciliation. */

const budgets: RateBudgetService[] = [];
afterEach(async () => {
  for (const b of budgets.splice(0)) await b.close();
});

/** A clock that runs in real time but starts `offsetMs` into an epoch-aligned window. */
function clockAt(offsetMs: number, windowMs: number): () => number {
  const base = Date.now();
  const start = Math.ceil(base / windowMs) * windowMs + 10 * windowMs;
  return () => start + offsetMs + (Date.now() - base);
}

function budget(
  limits: Partial<Record<RateGroupName, RateLimit>>,
  opts: { now?: () => number; headroom?: number; perAudience?: RateLimit; guardMs?: number } = {},
) {
  const { log, lines } = memoryLogger();
  const b = new RateBudgetService({
    workspaceId: 'ws-test',
    limits: { ...DEFAULT_RATE_LIMITS, ...limits },
    perAudienceLimit: opts.perAudience ?? { limit: 10, windowSec: 60 },
    headroom: opts.headroom ?? 0,
    guardMs: opts.guardMs ?? 0,
    replicas: 1,
    log,
    now: opts.now,
  });
  budgets.push(b);
  return { b, lines };
}

async function group(b: RateBudgetService, name: RateGroupName) {
  return (await b.snapshot()).find((g) => g.group === name)!;
}

describe('RateBudgetService (memory)', () => {
  it('grants up to the limit, then refuses at once with retryAfter when the reset is past the deadline', async () => {
    const now = clockAt(30_000, 60_000);
    const { b } = budget({ 'users.track': { limit: 3, windowSec: 60 } }, { now });
    for (let i = 0; i < 3; i++)
      expect(await b.acquire('users.track', now() + 1_000)).toMatchObject({ ok: true });
    const refused = await b.acquire('users.track', now() + 1_000);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.retryAfterMs).toBeGreaterThan(29_000);
    const view = await group(b, 'users.track');
    expect(view).toMatchObject({ limit: 3, windowSeconds: 60, remaining: 0, mode: 'memory', waiting: 0 });
    expect(view.resetsAt.getTime() % 60_000).toBe(0);
    // Other groups are untouched.
    expect((await group(b, 'users.export.ids')).remaining).toBe(2_500);
  });

  it('makes callers wait, first come first served, for the windows that open before their deadline', async () => {
    const { b } = budget({ 'users.identity': { limit: 2, windowSec: 1 } });
    const deadline = Date.now() + 3_500;
    const order: Array<[number, number]> = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map(async (i) => {
        const r = await b.acquire('users.identity', deadline);
        if (r.ok) order.push([i, Math.floor(Date.now() / 1000)]);
      }),
    );
    expect(order.map(([i]) => i)).toEqual([0, 1, 2, 3, 4]);
    const seconds = order.map(([, s]) => s);
    // Two per window, in three consecutive windows.
    expect(seconds[1]).toBe(seconds[0]);
    expect(seconds[2]).toBe(seconds[0]! + 1);
    expect(seconds[3]).toBe(seconds[2]);
    expect(seconds[4]).toBe(seconds[0]! + 2);
    expect(b.stats.waited).toBe(3);
  });

  it('answers a waiting caller by its deadline when the next window cannot serve it', async () => {
    const now = clockAt(100, 1_000);
    const { b } = budget({ 'users.identity': { limit: 1, windowSec: 1 } }, { now });
    expect(await b.acquire('users.identity', now() + 5_000)).toMatchObject({ ok: true });
    const second = b.acquire('users.identity', now() + 1_500); // served by the next window
    const third = b.acquire('users.identity', now() + 1_500); // behind it, and the window after is too late
    expect(await second).toMatchObject({ ok: true });
    const r = await third;
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.retryAfterMs).toBeGreaterThan(0);
  });

  it('leaves the headroom share unused', async () => {
    const now = clockAt(30_000, 60_000);
    const { b } = budget({ 'users.identity': { limit: 10, windowSec: 60 } }, { now, headroom: 0.2 });
    let granted = 0;
    for (let i = 0; i < 12; i++) if ((await b.acquire('users.identity', now())).ok) granted += 1;
    expect(granted).toBe(8);
    expect((await group(b, 'users.identity')).limit).toBe(8);
  });

  it("moves its count up to Braze's, never down, and adopts a lower Braze limit", async () => {
    const now = clockAt(30_000, 60_000);
    const { b, lines } = budget({ 'users.track': { limit: 100, windowSec: 60 } }, { now });
    const resetAtMs = now() - (now() % 60_000) + 60_000;
    await b.acquire('users.track', now());
    // Another system used 40 more: Braze says 59 remaining of 100.
    b.observe('users.track', { limit: 100, remaining: 59, resetAtMs }, 201);
    expect((await group(b, 'users.track')).remaining).toBe(59);
    // A stale answer saying more is left does not lower the count.
    b.observe('users.track', { limit: 100, remaining: 90, resetAtMs }, 201);
    expect((await group(b, 'users.track')).remaining).toBe(59);
    // Braze's limit for this workspace is 80: adopt it.
    b.observe('users.track', { limit: 80, remaining: 39, resetAtMs }, 201);
    expect(await group(b, 'users.track')).toMatchObject({ limit: 80, remaining: 39 });
    expect(lines.join('')).toContain('adopting it');
    // A 429 spends the window, headers or not.
    b.observe('users.track', {}, 429);
    expect((await group(b, 'users.track')).remaining).toBe(0);
    expect((await b.acquire('users.track', now() + 1_000)).ok).toBe(false);
  });

  it('ignores a Braze count for another window', async () => {
    // 12:10:30, so the reset (12:12:00) ends no hour: on the minute before an hour it would read,
    // rightly, as an hourly window (a flake on the wall clock, one run in sixty).
    const base = Date.now();
    const now = () => Date.UTC(2027, 0, 15, 12, 10, 30) + (Date.now() - base);
    const { b } = budget({ 'users.track': { limit: 100, windowSec: 60 } }, { now });
    const nextReset = now() - (now() % 60_000) + 120_000;
    b.observe('users.track', { limit: 100, remaining: 0, resetAtMs: nextReset }, 201);
    expect((await group(b, 'users.track')).remaining).toBe(100);
  });

  it('limits each broadcast audience on top of the broadcast group', async () => {
    const now = clockAt(30_000, 60_000);
    const { b } = budget(
      { 'messaging.broadcast': { limit: 5, windowSec: 60 } },
      { now, perAudience: { limit: 2, windowSec: 60 } },
    );
    const take = (audience: string) =>
      b.acquire('messaging.broadcast', now(), { audience }).then((r) => r.ok);
    expect([await take('a'), await take('a'), await take('a')]).toEqual([true, true, false]);
    expect([await take('b'), await take('b'), await take('c'), await take('c')]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    // The group itself was the limit for the last one: 5 granted in all.
    expect((await group(b, 'messaging.broadcast')).remaining).toBe(0);
  });

  it('keeps the last guardMs of a window free, so a request cannot land in the next one', async () => {
    const now = clockAt(950, 1_000);
    const { b } = budget({ 'users.track': { limit: 10, windowSec: 1 } }, { now, guardMs: 100 });
    const r = await b.acquire('users.track', now());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.retryAfterMs).toBeLessThanOrEqual(60);
  });
});

describe("RateBudgetService: Braze's limits with their windows", () => {
  // A hand-moved clock, 20.5 s into the minute that starts at 2027-01-15T12:00:00Z.
  const MINUTE = Date.UTC(2027, 0, 15, 12, 0, 0);
  function manual(offsetMs = 20_500) {
    const clock = { t: MINUTE + offsetMs };
    return { clock, now: () => clock.t };
  }

  it('adopts a lower limit with a reset ~60 s away as per minute on a group configured per minute', async () => {
    const { clock, now } = manual(500);
    const { b, lines } = budget({ 'users.track': { limit: 50_000, windowSec: 60 } }, { now });
    b.observe('users.track', { limit: 1_000, remaining: 999, resetAtMs: MINUTE + 60_000 }, 201);
    expect(await group(b, 'users.track')).toMatchObject({ limit: 1_000, windowSeconds: 60, remaining: 999 });
    expect(lines.join('')).toContain('adopting it with its window');
    clock.t += 1_000;
    expect((await b.acquire('users.track', now())).ok).toBe(true);
    expect((await group(b, 'users.track')).remaining).toBe(998);
  });

  it('regression: a 3,000-per-3 s answer on a group configured per minute is counted per 3 s, not per minute', async () => {
    // 12:00:19.2; Braze's window ends at 12:00:21, a 3 s boundary that ends no minute.
    const { clock, now } = manual(19_200);
    const { b } = budget({ 'users.track': { limit: 50_000, windowSec: 60 } }, { now });
    b.observe('users.track', { limit: 5, remaining: 4, resetAtMs: MINUTE + 21_000 }, 201);
    expect(await group(b, 'users.track')).toMatchObject({ limit: 5, windowSeconds: 3, remaining: 4 });
    const grants: boolean[] = [];
    for (let i = 0; i < 5; i++) grants.push((await b.acquire('users.track', now())).ok);
    expect(grants).toEqual([true, true, true, true, false]);
    const refused = await b.acquire('users.track', now());
    // The unit frees up at Braze's reset, 1.8 s away, not at the end of the minute.
    expect(refused).toEqual({ ok: false, retryAfterMs: 1_800 });
    expect(b.retryHintMs('users.track')).toBe(1_800);
    // The next 3 s window has all 5 again.
    clock.t = MINUTE + 21_000;
    for (let i = 0; i < 5; i++) expect((await b.acquire('users.track', now())).ok).toBe(true);
    expect((await b.acquire('users.track', now())).ok).toBe(false);
  });

  it('regression: a configured 3,000 per 3 s meeting a lower per-minute answer becomes per minute, not per 3 s', async () => {
    const { now } = manual(20_000);
    const { b } = budget({ 'users.track': { limit: 3_000, windowSec: 3 } }, { now });
    b.observe('users.track', { limit: 1_000, remaining: 1_000, resetAtMs: MINUTE + 60_000 }, 201);
    expect(await group(b, 'users.track')).toMatchObject({ limit: 1_000, windowSeconds: 60 });
  });

  it('regression: an answer in the last second of a minute (1 s, 3 s and 1 min fit) errs long, and the next answer corrects it', async () => {
    // 12:00:59.3, Braze on 4 per 3 s: its window ends at 12:01:00, which ends a minute too.
    const { clock, now } = manual(59_300);
    const { b } = budget({ 'users.track': { limit: 100, windowSec: 60 } }, { now });
    b.observe('users.track', { limit: 4, remaining: 3, resetAtMs: MINUTE + 60_000 }, 201);
    // Read as 4 per second, the next window would send more than Braze allows: read per minute
    // (which ends at the same reset), it sends less until Braze's next answer.
    expect(await group(b, 'users.track')).toMatchObject({ limit: 4, windowSeconds: 60, remaining: 3 });
    clock.t = MINUTE + 60_100;
    b.observe('users.track', { limit: 4, remaining: 3, resetAtMs: MINUTE + 63_000 }, 201);
    expect(await group(b, 'users.track')).toMatchObject({ limit: 4, windowSeconds: 3, remaining: 3 });
    // Later answers that 1 s fits too keep the 3 s window adopted.
    clock.t = MINUTE + 62_300;
    b.observe('users.track', { limit: 4, remaining: 1, resetAtMs: MINUTE + 63_000 }, 201);
    expect(await group(b, 'users.track')).toMatchObject({ limit: 4, windowSeconds: 3, remaining: 1 });
  });

  it("regression: a replica whose clock runs 4 s behind reads Braze's reset on Braze's clock (the Date header)", async () => {
    // Our clock says 12:00:55.5; Braze's says 12:00:59.5, and its 2 s window ends at 12:01:00,
    // a minute boundary. On our clock the reset looks 4.5 s away, which only a minute fits: the
    // same limit would be read as 6 per minute and counted apart from the other replicas.
    const { now } = manual(55_500);
    const { b, lines } = budget({ 'users.track': { limit: 6, windowSec: 2 } }, { now });
    b.observe(
      'users.track',
      { limit: 6, remaining: 5, resetAtMs: MINUTE + 60_000, serverDateMs: MINUTE + 59_000 },
      201,
    );
    expect(await group(b, 'users.track')).toMatchObject({ limit: 6, windowSeconds: 2 });
    expect(lines.join('')).not.toContain('adopting');
  });

  it('keeps the configured limit and window when the answer does not tell its window', async () => {
    const { now } = manual(20_000);
    const { b, lines } = budget({ 'users.track': { limit: 100, windowSec: 60 } }, { now });
    // No reset header; a reset 7 s away (no 3 s or minute boundary); a reset already past.
    b.observe('users.track', { limit: 10, remaining: 10 }, 201);
    b.observe('users.track', { limit: 10, remaining: 10, resetAtMs: MINUTE + 27_000 + 1_000 }, 201);
    b.observe('users.track', { limit: 10, remaining: 10, resetAtMs: MINUTE }, 201);
    expect(await group(b, 'users.track')).toMatchObject({ limit: 100, windowSeconds: 60 });
    expect(lines.join('')).not.toContain('adopting');
  });

  it('goes back to the configured limit when Braze reports one that no longer binds', async () => {
    const { now } = manual();
    const { b, lines } = budget({ 'users.track': { limit: 100, windowSec: 60 } }, { now });
    const resetAtMs = MINUTE + 60_000;
    b.observe('users.track', { limit: 80, remaining: 80, resetAtMs }, 201);
    expect(await group(b, 'users.track')).toMatchObject({ limit: 80, windowSeconds: 60 });
    b.observe('users.track', { limit: 120, remaining: 120, resetAtMs }, 201);
    expect(await group(b, 'users.track')).toMatchObject({ limit: 100, windowSeconds: 60 });
    expect(lines.join('')).toContain('back to it');
  });

  it("a per-audience 429 spends that audience's window only, not the broadcast group's", async () => {
    const { now } = manual();
    const { b } = budget(
      { 'messaging.broadcast': { limit: 250, windowSec: 60 } },
      { now, perAudience: { limit: 10, windowSec: 60 } },
    );
    expect((await b.acquire('messaging.broadcast', now(), { audience: 'a' })).ok).toBe(true);
    // Braze refuses audience a while the group still has 248 left (another system sent one).
    const headers = { limit: 250, remaining: 248, resetAtMs: MINUTE + 60_000 };
    b.observe('messaging.broadcast', headers, 429, { audience: 'a' });
    const refused = await b.acquire('messaging.broadcast', now(), { audience: 'a' });
    expect(refused).toEqual({ ok: false, retryAfterMs: 60_000 - 20_500 });
    expect((await b.acquire('messaging.broadcast', now(), { audience: 'b' })).ok).toBe(true);
    // The group counts what Braze counted (2), plus b's unit.
    expect((await group(b, 'messaging.broadcast')).remaining).toBe(247);
  });

  it('a broadcast 429 that leaves the group nothing (or says nothing) spends the group', async () => {
    const { now } = manual();
    for (const headers of [{ limit: 250, remaining: 0, resetAtMs: MINUTE + 60_000 }, {}]) {
      const { b } = budget({ 'messaging.broadcast': { limit: 250, windowSec: 60 } }, { now });
      b.observe('messaging.broadcast', headers, 429, { audience: 'a' });
      expect((await b.acquire('messaging.broadcast', now(), { audience: 'b' })).ok).toBe(false);
      expect((await group(b, 'messaging.broadcast')).remaining).toBe(0);
    }
  });

  it('a per-audience 429 no take carries is written by the flush', async () => {
    const { now } = manual();
    const { b } = budget({ 'messaging.broadcast': { limit: 250, windowSec: 60 } }, { now });
    b.observe('messaging.broadcast', { limit: 250, remaining: 249, resetAtMs: MINUTE + 60_000 }, 429, {
      audience: 'a',
    });
    await b.snapshot(); // flushes pending reconciliations
    expect((await b.acquire('messaging.broadcast', now(), { audience: 'a' })).ok).toBe(false);
    expect(b.stats.reconciled).toBe(2);
  });
});

describe('RateBudgetService waiting queue (fake clock)', () => {
  // A limit of 1 per 1 s window, starting 100 ms into a window; timers and Date are faked.
  function oneEverySecond() {
    vi.useFakeTimers({ now: 1_800_000_000_100 });
    return budget({ 'users.identity': { limit: 1, windowSec: 1 } }, { now: () => Date.now() }).b;
  }
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
  const outcome = (p: Promise<{ ok: boolean }>) => p.then((r) => (r.ok ? 'ok' : 'refused'));

  it('regression: after the pump refuses every waiter, a newcomer is still served (the queue never wedges)', async () => {
    const b = oneEverySecond();
    expect((await b.acquire('users.identity', Date.now() + 5_000)).ok).toBe(true);
    // Three waiters whose deadlines end before the next window: all refused by their deadline.
    const doomed = [1, 2, 3].map(() => outcome(b.acquire('users.identity', Date.now() + 300)));
    await vi.advanceTimersByTimeAsync(400);
    expect(await Promise.all(doomed)).toEqual(['refused', 'refused', 'refused']);
    // A first waiter served at the next window, two refused by the pump there (next-next is too late).
    const served = outcome(b.acquire('users.identity', Date.now() + 1_000));
    const pumpRefused = [1, 2].map(() => outcome(b.acquire('users.identity', Date.now() + 1_000)));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await served).toBe('ok');
    expect(await Promise.all(pumpRefused)).toEqual(['refused', 'refused']);
    // The queue is empty of live waiters now; a newcomer waits for the next window and gets it.
    const newcomer = outcome(b.acquire('users.identity', Date.now() + 5_000));
    await vi.advanceTimersByTimeAsync(1_100);
    expect(await newcomer).toBe('ok');
    expect((await b.snapshot()).find((g) => g.group === 'users.identity')!.waiting).toBe(0);
  });

  it('serves waiters in arrival order across windows, rescheduling after each (no newcomer skips ahead)', async () => {
    const b = oneEverySecond();
    expect((await b.acquire('users.identity', Date.now() + 10_000)).ok).toBe(true);
    const order: string[] = [];
    const waiters = ['a', 'b', 'c'].map((name) =>
      b.acquire('users.identity', Date.now() + 10_000).then((r) => order.push(`${name}:${r.ok}`)),
    );
    // Right at the next window's start, before the pump's timer (with its jitter, here 14 ms)
    // fires, a newcomer arrives: the unit must still go to `a`, who waited first.
    vi.spyOn(Math, 'random').mockReturnValue(0.99);
    await vi.advanceTimersByTimeAsync(900);
    const late = b.acquire('users.identity', Date.now() + 10_000).then((r) => order.push(`late:${r.ok}`));
    await vi.advanceTimersByTimeAsync(4_000);
    await Promise.all([...waiters, late]);
    expect(order).toEqual(['a:true', 'b:true', 'c:true', 'late:true']);
    expect(b.stats.granted).toBe(5);
  });

  it('lets an aborted waiter go and gives its unit to the next one', async () => {
    const b = oneEverySecond();
    expect((await b.acquire('users.identity', Date.now() + 10_000)).ok).toBe(true);
    const controller = new AbortController();
    const gone = b.acquire('users.identity', Date.now() + 10_000, { signal: controller.signal });
    const next = outcome(b.acquire('users.identity', Date.now() + 10_000));
    controller.abort();
    expect(await gone).toEqual({ ok: false, retryAfterMs: 0 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await next).toBe('ok');
  });
});
