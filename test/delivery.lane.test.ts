import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BodyAtGrant, BrazeAnswer, SendOptions } from '../src/braze/client.js';
import { Delivery } from '../src/delivery/lane.js';
import type { LaneClient, LaneSettings, LaneSpec } from '../src/delivery/spec.js';
import { RateLimitedError, UpstreamError } from '../src/errors.js';
import { memoryLogger } from './helpers.js';

/**
 * The delivery engine on its own, with a fake clock and a stand-in for the Braze client whose
 * budget grants are given by hand: what a request carries is decided at the grant, FIFO across
 * callers, per-item deadlines, the flush policy, drains, and every failure branch.
 */

interface Item {
  id: string;
}

interface Pending {
  pack: BodyAtGrant;
  opts: SendOptions;
  resolve: (a: BrazeAnswer | undefined) => void;
  reject: (e: unknown) => void;
}

type Responder = (ids: string[]) => BrazeAnswer | Promise<BrazeAnswer>;

const OK: BrazeAnswer = { status: 201, body: { message: 'success' }, rate: {}, group: 'users.identity' };

/** The lane's view of the Braze client: acquires wait in `pending` until granted or refused. */
class FakeBraze implements LaneClient {
  readonly pending: Pending[] = [];
  /** Bodies sent, in order (ids per request). */
  readonly sent: string[][] = [];
  autoGrant = true;
  respond: Responder = () => OK;

  sendAtGrant<T>(_endpoint: string, pack: BodyAtGrant, opts: SendOptions): Promise<T> {
    return new Promise((resolve, reject) => {
      const p: Pending = { pack, opts, resolve: resolve as never, reject };
      opts.signal?.addEventListener('abort', () => {
        const at = this.pending.indexOf(p);
        if (at >= 0) this.pending.splice(at, 1);
        reject(new RateLimitedError(0));
      });
      this.pending.push(p);
      if (this.autoGrant) queueMicrotask(() => void this.grant());
    });
  }

  /** Grant the oldest waiting acquire: the lane packs now, then Braze answers. */
  async grant(): Promise<void> {
    const p = this.pending.shift();
    if (p === undefined) throw new Error('no acquire is waiting');
    const body = p.pack() as { ids: string[] } | undefined;
    if (body === undefined) return p.resolve(undefined);
    this.sent.push(body.ids);
    try {
      p.resolve(await this.respond(body.ids));
    } catch (err) {
      p.reject(err);
    }
  }

  /** The budget has no unit before the acquire's deadline. */
  refuse(retryAfterMs: number): void {
    this.pending.shift()!.reject(new RateLimitedError(retryAfterMs));
  }

  retryHintMs(): number {
    return 7_000;
  }
}

function rejected(message: string, opts: { errors?: unknown[]; status?: number } = {}): UpstreamError {
  return new UpstreamError('rejected', `rejected: ${message}`, {
    status: opts.status ?? 400,
    brazeMessage: message,
    brazeErrors: opts.errors,
  });
}

let braze: FakeBraze;
let logLines: string[];

function delivery(
  over: Partial<LaneSpec<Item, string>> = {},
  settings: Partial<LaneSettings> = {},
): Delivery<Item, string> {
  const { log, lines } = memoryLogger();
  logLines = lines;
  return new Delivery<Item, string>(
    braze,
    {
      name: 'users.delete',
      endpoint: 'users.delete',
      capacity: { total: 5 },
      body: (items) => ({ ids: items.map((i) => i.id) }),
      results: (_answer, items) => items.map((i) => `done:${i.id}`),
      ...over,
    },
    {
      windowMs: 20,
      idleMs: 2,
      maxInFlight: 4,
      maxQueued: 1_000,
      maxAttempts: 3,
      log,
      // The end of an event-loop turn, on the fake clock: right after the current microtasks.
      atTurnEnd: queueMicrotask,
      ...settings,
    },
  );
}

type Outcome = { ok: true; value: string } | { ok: false; error: Error };

/** Submit and keep the outcome, so no rejection goes unhandled. */
function submit(d: Delivery<Item, string>, id: string, deadlineInMs = 10_000): Promise<Outcome> {
  return d.submit({ id }, Date.now() + deadlineInMs).then(
    (value): Outcome => ({ ok: true, value }),
    (error: Error): Outcome => ({ ok: false, error }),
  );
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Let promise chains settle without moving the clock. */
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

beforeEach(() => {
  vi.useFakeTimers();
  braze = new FakeBraze();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('packing at the grant', () => {
  it('holds one budget wait per lane and fills the request when the unit is granted, oldest first across callers', async () => {
    braze.autoGrant = false;
    const d = delivery();
    const first = ids('a', 3).map((id) => submit(d, id));
    await vi.advanceTimersByTimeAsync(2); // idle gap: the lane asks for a unit
    expect(braze.pending).toHaveLength(1);
    // While it waits, other callers' items pile up behind; still one wait in the budget's queue.
    const later = [...ids('b', 4), ...ids('c', 5)].map((id) => submit(d, id));
    await flushMicrotasks();
    expect(braze.pending).toHaveLength(1);
    await braze.grant();
    expect(braze.sent[0]).toEqual(['a0', 'a1', 'a2', 'b0', 'b1']);
    await flushMicrotasks();
    // A full request's worth is still waiting: the next unit is asked for at once.
    expect(braze.pending).toHaveLength(1);
    await braze.grant();
    expect(braze.sent[1]).toEqual(['b2', 'b3', 'c0', 'c1', 'c2']);
    await vi.advanceTimersByTimeAsync(2);
    await braze.grant();
    expect(braze.sent[2]).toEqual(['c3', 'c4']);
    const outcomes = await Promise.all([...first, ...later]);
    expect(outcomes.map((o) => (o.ok ? o.value : o.error.message))).toEqual(
      [...ids('a', 3), ...ids('b', 4), ...ids('c', 5)].map((id) => `done:${id}`),
    );
    expect(d.stats).toMatchObject({ items: 12, requests: 3, delivered: 3, carried: 12 });
  });

  it('keeps one identity per request when distinctBy says so, and merges reads of one key into one slot', async () => {
    braze.autoGrant = false;
    const d = delivery({ distinctBy: (i) => i.id.slice(0, 1) });
    const outcomes = ['x1', 'x2', 'y1', 'x3'].map((id) => submit(d, id));
    await vi.advanceTimersByTimeAsync(2);
    await braze.grant();
    expect(braze.sent[0]).toEqual(['x1', 'y1']);
    await flushMicrotasks();
    await vi.advanceTimersByTimeAsync(2);
    await braze.grant();
    await vi.advanceTimersByTimeAsync(2);
    await braze.grant();
    expect(braze.sent.slice(1)).toEqual([['x2'], ['x3']]);
    expect((await Promise.all(outcomes)).every((o) => o.ok)).toBe(true);

    const reads = delivery({ mergeBy: (i) => i.id, capacity: { total: 2 } });
    const r = ['u1', 'u1', 'u2', 'u1', 'u3'].map((id) => submit(reads, id));
    await vi.advanceTimersByTimeAsync(2);
    await braze.grant();
    // u1 three times rides in one slot; u2 fills the second; u3 waits for the next request.
    expect(braze.sent[3]).toEqual(['u1', 'u1', 'u2', 'u1']);
    await vi.advanceTimersByTimeAsync(2);
    await braze.grant();
    expect(braze.sent[4]).toEqual(['u3']);
    expect((await Promise.all(r)).map((o) => (o.ok ? o.value : ''))).toEqual([
      'done:u1',
      'done:u1',
      'done:u2',
      'done:u1',
      'done:u3',
    ]);
  });

  it('respects per-class maxima and the byte cap, skipping what does not fit without losing its place', async () => {
    braze.autoGrant = false;
    const d = delivery({
      capacity: { total: 4, perClass: { e: 2, p: 2 }, maxBytes: 30 },
      classOf: (i) => i.id.slice(0, 1),
      bytesOf: (i) => (i.id.endsWith('!') ? 25 : 5),
    });
    const outcomes = ['e1', 'e2', 'e3', 'p1!', 'p2', 'e4'].map((id) => submit(d, id));
    await vi.advanceTimersByTimeAsync(2);
    await braze.grant();
    // e3 waits (2 events per request); p1! does not fit in 30 bytes next to e1, e2; p2 does.
    expect(braze.sent[0]).toEqual(['e1', 'e2', 'p2']);
    await vi.advanceTimersByTimeAsync(2);
    await braze.grant();
    expect(braze.sent[1]).toEqual(['e3', 'p1!']);
    await vi.advanceTimersByTimeAsync(2);
    await braze.grant();
    expect(braze.sent[2]).toEqual(['e4']);
    expect((await Promise.all(outcomes)).every((o) => o.ok)).toBe(true);
  });
});

describe('flush policy', () => {
  it('sends a lone item once no other arrived for the idle gap, not before', async () => {
    const d = delivery();
    const out = submit(d, 'a');
    await vi.advanceTimersByTimeAsync(1);
    expect(braze.sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(braze.sent).toEqual([['a']]);
    expect((await out).ok).toBe(true);
  });

  it('sends a steady trickle when its oldest item has waited the window', async () => {
    const d = delivery({ capacity: { total: 100 } });
    const outs: Array<Promise<Outcome>> = [];
    for (let t = 0; t < 19; t++) {
      outs.push(submit(d, `t${t}`));
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(braze.sent).toHaveLength(0);
    outs.push(submit(d, 't19'));
    await vi.advanceTimersByTimeAsync(1);
    expect(braze.sent).toEqual([ids('t', 20)]);
    await Promise.all(outs);
  });

  it('sends a full request at once, without waiting for any timer', async () => {
    const d = delivery();
    const outs = ids('f', 5).map((id) => submit(d, id));
    await flushMicrotasks();
    expect(braze.sent).toEqual([ids('f', 5)]);
    await Promise.all(outs);
  });

  it('holds a part-full request while another of its lane is out, and sends full ones alongside', async () => {
    const answers: Array<() => void> = [];
    braze.respond = () => new Promise<BrazeAnswer>((resolve) => answers.push(() => resolve(OK)));
    const d = delivery();
    const outs = [submit(d, 'a')];
    await vi.advanceTimersByTimeAsync(2);
    expect(braze.sent).toEqual([['a']]);
    outs.push(...['b', 'c'].map((id) => submit(d, id)));
    await vi.advanceTimersByTimeAsync(50); // idle and window long past: still waits for the first
    expect(braze.sent).toHaveLength(1);
    outs.push(...['d', 'e', 'f'].map((id) => submit(d, id)));
    await flushMicrotasks();
    expect(braze.sent[1]).toEqual(['b', 'c', 'd', 'e', 'f']); // full: goes alongside
    outs.push(submit(d, 'g'));
    answers[0]!(); // one request still out: g keeps waiting
    await vi.advanceTimersByTimeAsync(50);
    expect(braze.sent).toHaveLength(2);
    answers[1]!(); // none out: g goes
    await vi.advanceTimersByTimeAsync(1);
    expect(braze.sent[2]).toEqual(['g']);
    answers[2]!();
    const results = await Promise.all(outs);
    expect(results.every((o) => o.ok)).toBe(true);
  });
});

describe('deadlines', () => {
  it('waits for budget as long as the latest deadline in line, and refuses a short one alone, never sending it', async () => {
    braze.autoGrant = false;
    const d = delivery();
    const short = submit(d, 'short', 100);
    const long = submit(d, 'long', 10_000);
    await vi.advanceTimersByTimeAsync(2);
    expect(braze.pending).toHaveLength(1);
    expect(braze.pending[0]!.opts.deadlineMs).toBe(Date.now() - 2 + 10_000);
    await vi.advanceTimersByTimeAsync(100);
    const refused = await short;
    expect(refused.ok).toBe(false);
    const err = (refused as { error: Error }).error as RateLimitedError;
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.retryAfterSec).toBe(7);
    await braze.grant();
    expect(braze.sent).toEqual([['long']]);
    expect(await long).toEqual({ ok: true, value: 'done:long' });
  });

  it('regression: an item found expired at the grant, before its timer ran, is RATE_LIMITED like any other', async () => {
    braze.autoGrant = false;
    const d = delivery();
    const late = submit(d, 'late', 100);
    const fine = submit(d, 'fine', 10_000);
    await vi.advanceTimersByTimeAsync(2);
    vi.setSystemTime(Date.now() + 120); // the clock moves on, the expiry timer has not run yet
    await braze.grant();
    const r = await late;
    expect(!r.ok && r.error instanceof RateLimitedError && r.error.retryAfterSec).toBe(7);
    expect(await fine).toEqual({ ok: true, value: 'done:fine' });
    expect(braze.sent).toEqual([['fine']]);
  });

  it('gives up its wait for budget once everyone in line has expired, and serves the next caller', async () => {
    braze.autoGrant = false;
    const d = delivery();
    const a = submit(d, 'a', 100);
    await vi.advanceTimersByTimeAsync(2);
    const signal = braze.pending[0]!.opts.signal!;
    await vi.advanceTimersByTimeAsync(100);
    expect((await a).ok).toBe(false);
    expect(signal.aborted).toBe(true);
    expect(braze.pending).toHaveLength(0);
    const b = submit(d, 'b');
    await vi.advanceTimersByTimeAsync(2);
    await braze.grant();
    expect(await b).toEqual({ ok: true, value: 'done:b' });
    expect(braze.sent).toEqual([['b']]);
  });

  it('refuses everyone the budget cannot serve before their deadline, and asks again for later arrivals', async () => {
    braze.autoGrant = false;
    const d = delivery();
    const early = ['a', 'b'].map((id) => submit(d, id, 1_000));
    await vi.advanceTimersByTimeAsync(2);
    const late = submit(d, 'c', 60_000);
    braze.refuse(5_000); // no unit for 5 s: a and b cannot wait that long, c can
    const refused = await Promise.all(early);
    expect(refused.map((o) => !o.ok && o.error instanceof RateLimitedError)).toEqual([true, true]);
    await vi.advanceTimersByTimeAsync(2);
    expect(braze.pending).toHaveLength(1);
    expect(braze.pending[0]!.opts.deadlineMs).toBeGreaterThan(Date.now() + 50_000);
    await braze.grant();
    expect(await late).toEqual({ ok: true, value: 'done:c' });
    expect(braze.sent).toEqual([['c']]);
  });

  it('refuses at once the items the budget says cannot be served before their deadline', async () => {
    braze.autoGrant = false;
    const d = delivery();
    const short = submit(d, 'short', 1_000);
    const long = submit(d, 'long', 60_000);
    await vi.advanceTimersByTimeAsync(2);
    braze.pending[0]!.opts.onBudgetWait!(Date.now() + 5_000); // next unit in 5 s
    const s = await short; // answered now, not after its 1 s deadline
    expect(!s.ok && s.error instanceof RateLimitedError && s.error.retryAfterSec).toBe(5);
    expect(braze.pending).toHaveLength(1);
    await braze.grant();
    expect(await long).toEqual({ ok: true, value: 'done:long' });
    expect(braze.sent).toEqual([['long']]);
  });

  it('refuses a newcomer at once when the lanes already hold their bound', async () => {
    braze.autoGrant = false;
    const d = delivery({}, { maxQueued: 3 });
    const held = ids('h', 3).map((id) => submit(d, id));
    const refused = await submit(d, 'over');
    expect(refused.ok).toBe(false);
    expect((refused as { error: Error }).error).toBeInstanceOf(RateLimitedError);
    expect((refused as { error: Error }).error.message).toMatch(/already holds 3 items/);
    await vi.advanceTimersByTimeAsync(2);
    await braze.grant();
    expect((await Promise.all(held)).every((o) => o.ok)).toBe(true);
  });
});

describe('failures', () => {
  it('fails the items a whole-request rejection names and sends the others again', async () => {
    let calls = 0;
    braze.respond = () => {
      calls += 1;
      if (calls === 1) throw rejected('bad ids', { errors: [{ index: 1 }, { index: 3 }] });
      return OK;
    };
    const d = delivery({
      named: (err) =>
        new Map(
          (err.brazeErrors as Array<{ index: number }>).map((e) => [e.index, new Error(`named ${e.index}`)]),
        ),
    });
    const outs = ids('n', 5).map((id) => submit(d, id));
    await vi.advanceTimersByTimeAsync(5);
    const results = await Promise.all(outs);
    expect(results.map((o) => (o.ok ? 'ok' : o.error.message))).toEqual([
      'ok',
      'named 1',
      'ok',
      'named 3',
      'ok',
    ]);
    expect(braze.sent).toEqual([ids('n', 5), ['n0', 'n2', 'n4']]);
  });

  it('halves a rejection that names nothing until the bad item stands alone', async () => {
    braze.respond = (sent) => {
      if (sent.includes('bad')) throw rejected('Invalid request');
      return OK;
    };
    const d = delivery({ capacity: { total: 8 } });
    const names = ['g0', 'g1', 'g2', 'g3', 'g4', 'bad', 'g6', 'g7'];
    const outs = names.map((id) => submit(d, id));
    await vi.advanceTimersByTimeAsync(20);
    const results = await Promise.all(outs);
    expect(results.map((o) => o.ok)).toEqual(names.map((n) => n !== 'bad'));
    const bad = results[5] as { error: Error & { code?: string } };
    expect(bad.error.code).toBe('BAD_USER_INPUT');
    // 8 → 4+4 → 2+2 → 1+1: at most 1 + 2 + 2 + 2 requests.
    expect(braze.sent.length).toBeLessThanOrEqual(7);
    // Each good item reached Braze in exactly one request that was accepted.
    const accepted = braze.sent.filter((b) => !b.includes('bad'));
    for (const n of names.filter((x) => x !== 'bad'))
      expect(accepted.flat().filter((id) => id === n)).toHaveLength(1);
  });

  it('fails the whole lane after one confirming request when Braze rejects what the items share', async () => {
    let answer!: () => void;
    braze.respond = () =>
      new Promise<BrazeAnswer>(
        (_resolve, reject) => (answer = () => reject(rejected('Invalid Campaign ID'))),
      );
    const d = delivery({ sharedRejection: (err) => /campaign/i.test(err.brazeMessage ?? '') });
    const outs = ids('r', 5).map((id) => submit(d, id));
    await flushMicrotasks();
    expect(braze.sent).toHaveLength(1);
    outs.push(...ids('q', 3).map((id) => submit(d, id))); // queued behind, same campaign
    answer();
    await vi.advanceTimersByTimeAsync(1);
    expect(braze.sent[1]).toEqual(['r0']); // the confirming request, alone
    answer();
    await vi.advanceTimersByTimeAsync(1);
    const results = await Promise.all(outs);
    expect(braze.sent).toHaveLength(2);
    expect(results.every((o) => !o.ok && /Invalid Campaign ID/.test(o.error.message))).toBe(true);
    expect(results.every((o) => !o.ok && (o.error as { code?: string }).code === 'BAD_USER_INPUT')).toBe(
      true,
    );
  });

  it('learns a lower per-request maximum from Braze and keeps it for the rest of the process', async () => {
    braze.respond = (sent) => {
      if (sent.length > 3) throw rejected('Max Input Length Exceeded');
      return OK;
    };
    const d = delivery({
      learnCapacity: (err, sent) =>
        err.brazeMessage === 'Max Input Length Exceeded' ? { total: sent - 2 } : undefined,
    });
    const outs = ids('m', 10).map((id) => submit(d, id));
    await vi.advanceTimersByTimeAsync(20);
    expect((await Promise.all(outs)).every((o) => o.ok)).toBe(true);
    expect(d.capacity.total).toBe(3);
    expect(braze.sent.slice(1).every((b) => b.length <= 3)).toBe(true);
    expect(braze.sent.length).toBe(1 + Math.ceil(10 / 3));
    expect(logLines.join('')).toMatch(/adopting the lower per-request maximum/);
    const later = ids('l', 3).map((id) => submit(d, id));
    await flushMicrotasks();
    expect(braze.sent.at(-1)).toEqual(ids('l', 3)); // 3 is full now: sent at once
    await Promise.all(later);
  });

  it('puts a 429ed request back at the head of the line, and gives up after maxAttempts', async () => {
    braze.autoGrant = false;
    let calls = 0;
    braze.respond = () => {
      calls += 1;
      if (calls === 1) throw new RateLimitedError(1_000);
      return OK;
    };
    const d = delivery();
    const outs = ids('k', 3).map((id) => submit(d, id));
    await vi.advanceTimersByTimeAsync(2);
    await braze.grant(); // answered 429 (reset in 1 s): nothing processed
    const behind = submit(d, 'z');
    await vi.advanceTimersByTimeAsync(999);
    expect(braze.pending).toHaveLength(0); // nothing goes before Braze's reset
    await vi.advanceTimersByTimeAsync(1);
    await braze.grant(); // the 429ed items first, then the newcomer
    expect((await Promise.all([...outs, behind])).every((o) => o.ok)).toBe(true);
    expect(braze.sent).toEqual([ids('k', 3), [...ids('k', 3), 'z']]);

    braze.autoGrant = true;
    braze.respond = () => {
      throw new RateLimitedError(1_000);
    };
    const stuck = submit(d, 'stuck');
    await vi.advanceTimersByTimeAsync(2_100);
    const r = await stuck;
    expect(!r.ok && r.error instanceof RateLimitedError).toBe(true);
    expect(braze.sent.filter((b) => b.includes('stuck'))).toHaveLength(3);
  });

  it('retries a refused connection after a backoff, and never sends an item after its deadline', async () => {
    let calls = 0;
    braze.respond = () => {
      calls += 1;
      if (calls === 1)
        throw new UpstreamError('network', 'Could not connect', { mayHaveBeenProcessed: false });
      return OK;
    };
    const d = delivery();
    const soon = submit(d, 'soon', 40); // its deadline passes during the backoff (≥ 50 ms)
    const later = submit(d, 'later', 10_000);
    await vi.advanceTimersByTimeAsync(2);
    expect(braze.sent).toEqual([['soon', 'later']]);
    await vi.advanceTimersByTimeAsync(200);
    const s = await soon;
    expect(!s.ok && (s.error as UpstreamError).kind).toBe('network');
    expect(await later).toEqual({ ok: true, value: 'done:later' });
    expect(braze.sent).toEqual([['soon', 'later'], ['later']]);
    expect(logLines.join('')).toMatch(/Braze unreachable; retrying/);
  });

  it('fails every item alike on a failure about the request (5xx), without resending', async () => {
    braze.respond = () => {
      throw new UpstreamError('server', 'Braze failed with 503', { status: 503 });
    };
    const d = delivery();
    const outs = ids('s', 3).map((id) => submit(d, id));
    await vi.advanceTimersByTimeAsync(5);
    const results = await Promise.all(outs);
    expect(results.every((o) => !o.ok && (o.error as UpstreamError).kind === 'server')).toBe(true);
    expect(braze.sent).toHaveLength(1);
  });

  it('never answers ok for an item its request recorded no outcome for', async () => {
    const d = delivery({ results: (_a, items) => items.slice(1).map(() => 'x') });
    const outs = ['o1', 'o2'].map((id) => submit(d, id));
    await vi.advanceTimersByTimeAsync(2);
    const [a, b] = await Promise.all(outs);
    expect(a!.ok).toBe(true);
    expect(b!.ok).toBe(false);
    expect((b as { error: Error }).error.message).toMatch(/No outcome recorded/);
  });
});

describe('drain', () => {
  it('sends lingering items at once, refuses those the budget cannot serve by the drain deadline, and resolves when empty', async () => {
    const d = delivery({}, { windowMs: 10_000, idleMs: 10_000 });
    const lingering = ['a', 'b'].map((id) => submit(d, id, 60_000));
    await vi.advanceTimersByTimeAsync(100);
    expect(braze.sent).toHaveLength(0);
    const drained = d.drain(Date.now() + 1_000);
    await flushMicrotasks();
    expect(braze.sent).toEqual([['a', 'b']]);
    await drained;
    expect((await Promise.all(lingering)).every((o) => o.ok)).toBe(true);

    // An item waiting for a far budget window: the wait is asked again with the drain's deadline.
    braze.autoGrant = false;
    const d2 = delivery();
    const waiting = submit(d2, 'w', 60_000);
    await vi.advanceTimersByTimeAsync(2);
    const firstSignal = braze.pending[0]!.opts.signal!;
    const drainUntil = Date.now() + 1_000;
    const drained2 = d2.drain(drainUntil);
    await flushMicrotasks();
    expect(firstSignal.aborted).toBe(true);
    expect(braze.pending).toHaveLength(1);
    expect(braze.pending[0]!.opts.deadlineMs).toBe(drainUntil);
    braze.refuse(30_000);
    const w = await waiting;
    expect(!w.ok && w.error instanceof RateLimitedError).toBe(true);
    await drained2;
    expect(braze.sent).toHaveLength(1);
  });
});
