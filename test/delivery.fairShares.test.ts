import { describe, expect, it } from 'vitest';
import type { BodyAtGrant, BrazeAnswer, GrantCharge, SendOptions } from '../src/braze/client.js';
import type { CallerDemand } from '../src/budget/budget.js';
import { Shares } from '../src/budget/shares.js';
import { Delivery } from '../src/delivery/lane.js';
import { Line, type Packable } from '../src/delivery/pack.js';
import type { LaneClient, LaneSettings } from '../src/delivery/spec.js';
import { RateLimitedError } from '../src/errors.js';
import { memoryLogger } from './helpers.js';

/**
 * The lane side of fair shares, with a stand-in for the Braze client whose grants are given by
 * hand with the caller the budget charged: the charged caller's items leave first, the unit is
 * spread over the callers by items, the lane shows its waiting callers, and each caller holds at
 * most its share of the queue.
 */

interface Item {
  id: string;
}

const OK: BrazeAnswer = { status: 201, body: { message: 'success' }, rate: {}, group: 'users.identity' };

class FakeBraze implements LaneClient {
  readonly pending: Array<{
    pack: BodyAtGrant;
    opts: SendOptions;
    resolve: (a: BrazeAnswer | undefined) => void;
  }> = [];
  readonly splits: Array<Map<string, number>> = [];

  sendAtGrant<T>(_endpoint: string, pack: BodyAtGrant, opts: SendOptions): Promise<T> {
    return new Promise((resolve) => this.pending.push({ pack, opts, resolve: resolve as never }));
  }

  /** Grant the oldest acquire, charged to `caller`; returns the ids the request carried. */
  grant(caller: string): string[] {
    const p = this.pending.shift()!;
    const charge: GrantCharge = { caller, split: (counts) => this.splits.push(new Map(counts)) };
    const body = p.pack(charge) as { ids: string[] };
    p.resolve(OK);
    return body.ids;
  }

  retryHintMs(): number {
    return 7_000;
  }
}

function delivery(braze: FakeBraze, shares: Shares | undefined, settings: Partial<LaneSettings> = {}) {
  return new Delivery<Item, string>(
    braze,
    {
      name: 'users.delete',
      endpoint: 'users.delete',
      capacity: { total: 5 },
      body: (items) => ({ ids: items.map((i) => i.id) }),
      results: (_answer, items) => items.map((i) => `done:${i.id}`),
    },
    {
      windowMs: 0,
      idleMs: 0,
      maxInFlight: 1,
      maxQueued: 1_000,
      maxAttempts: 3,
      log: memoryLogger().log,
      atTurnEnd: queueMicrotask,
      shares,
      ...settings,
    },
  );
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

const shares = new Shares(
  ['frontend', 'bulk'],
  new Map([
    ['frontend', new Map([['users.identity', 3]])],
    ['bulk', new Map([['users.identity', 1]])],
  ]),
);

describe('Line.prefer', () => {
  interface E extends Packable<string> {
    caller: string;
  }
  const entry = (caller: string, i: number): E => ({
    item: `${caller}${i}`,
    caller,
    cls: '',
    bytes: 0,
    cap: Infinity,
    mergeKey: undefined,
    distinctKey: undefined,
  });

  it('moves the first `max` picked entries to the front, the others keeping their order', () => {
    // Random lines of two callers, some packed from first: prefer, then pack everything, and
    // compare with the plain rule (picked first, then the rest, each in line order).
    for (let round = 0; round < 200; round++) {
      const line = new Line<E>();
      const all: E[] = [];
      const n = 1 + Math.floor(Math.random() * 40);
      for (let i = 0; i < n; i++) {
        const e = entry(Math.random() < 0.3 ? 'a' : 'b', i);
        all.push(e);
        line.push(e);
      }
      const skip = Math.floor(Math.random() * Math.min(5, n));
      const head = skip > 0 ? line.pack({ total: skip }, false) : [];
      expect(head).toEqual(all.slice(0, skip));
      const rest = all.slice(skip);
      const max = 1 + Math.floor(Math.random() * 10);
      line.prefer((e) => e.caller === 'a', max);
      const picked = rest.filter((e) => e.caller === 'a').slice(0, max);
      const expected = [...picked, ...rest.filter((e) => !picked.includes(e))];
      expect(line.pack({ total: 1_000 }, false).map((e) => e.item)).toEqual(expected.map((e) => e.item));
    }
  });
});

describe('lanes with fair shares', () => {
  it("pack the charged caller's items first, then fill the request, and split the unit by items", async () => {
    const braze = new FakeBraze();
    const d = delivery(braze, shares);
    const answers: Array<Promise<unknown>> = [];
    // Eight bulk items arrive first, then two of frontend's.
    for (let i = 0; i < 8; i++) answers.push(d.submit({ id: `b${i}` }, Date.now() + 10_000, 'bulk'));
    for (let i = 0; i < 2; i++) answers.push(d.submit({ id: `f${i}` }, Date.now() + 10_000, 'frontend'));
    await settle();
    // The acquire names both callers, with their waiting counts (a live view).
    const callers = braze.pending[0]!.opts.callers as CallerDemand;
    expect(Object.fromEntries(callers)).toEqual({ bulk: 8, frontend: 2 });
    expect(braze.grant('frontend')).toEqual(['f0', 'f1', 'b0', 'b1', 'b2']);
    expect(Object.fromEntries(braze.splits[0]!)).toEqual({ frontend: 2, bulk: 3 });
    expect(Object.fromEntries(callers)).toEqual({ bulk: 5 });
    await settle();
    // Bulk's leftovers keep their order.
    expect(braze.grant('bulk')).toEqual(['b3', 'b4', 'b5', 'b6', 'b7']);
    await Promise.all(answers);
    expect(callers.size).toBe(0);
  });

  it('hold each caller to its share of the queue: beyond it RATE_LIMITED at once, others still queue', async () => {
    const braze = new FakeBraze();
    const d = delivery(braze, shares, { maxQueued: 100 });
    const outcomes: Array<Promise<string>> = [];
    const submit = (caller: string, i: number) => {
      const p = d.submit({ id: `${caller}${i}` }, Date.now() + 10_000, caller);
      p.catch(() => undefined);
      outcomes.push(
        p.then(
          () => 'ok',
          (e: Error) => (e instanceof RateLimitedError ? 'RATE_LIMITED' : e.message),
        ),
      );
    };
    // bulk's share is 1/4 of 100: its 26th item is refused; frontend (3/4) still gets in.
    for (let i = 0; i < 30; i++) submit('bulk', i);
    for (let i = 0; i < 10; i++) submit('frontend', i);
    expect(d.queued).toBe(35);
    expect(d.held!.get('bulk')).toBe(25);
    expect(d.stats.refused).toBe(5);
    const refused = (await Promise.all(outcomes.slice(25, 30))).every((o) => o === 'RATE_LIMITED');
    expect(refused).toBe(true);
  });

  it('without shares: no per-caller counting, no charge, FIFO as before', async () => {
    const braze = new FakeBraze();
    const d = delivery(braze, undefined, { maxQueued: 100 });
    for (let i = 0; i < 60; i++)
      void d.submit({ id: `b${i}` }, Date.now() + 10_000, 'bulk').catch(() => undefined);
    expect(d.held).toBeUndefined();
    expect(d.queued).toBe(60);
    await settle();
    expect(braze.pending[0]!.opts.callers).toBeUndefined();
  });
});
