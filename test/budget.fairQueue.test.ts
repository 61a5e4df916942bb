import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS } from '../src/budget/groups.js';
import { RateBudgetService } from '../src/budget/rateBudget.js';
import { Shares } from '../src/budget/shares.js';
import { memoryLogger } from './helpers.js';

/**
 * The budget's side of fair shares (in memory): the wait queue serves the oldest waiter holding
 * the charged caller's items, a request's unit is spread over its callers by items (riding along
 * with the next take), and `snapshot` shows each caller's part.
 */

const shares = new Shares(
  ['a', 'b'],
  new Map([
    ['a', new Map([['users.identity', 1]])],
    ['b', new Map([['users.identity', 1]])],
  ] as const),
);

function budget(limit: number, windowSec: number) {
  return new RateBudgetService({
    workspaceId: 'fair-queue',
    limits: { ...DEFAULT_RATE_LIMITS, 'users.identity': { limit, windowSec } },
    perAudienceLimit: { limit: 10, windowSec: 60 },
    headroom: 0,
    guardMs: 0,
    replicas: 1,
    log: memoryLogger().log,
    shares,
  });
}

describe('fair shares in the budget', () => {
  it("grants a freed unit to the oldest waiter holding the charged caller's items", async () => {
    const b = budget(2, 2);
    try {
      // a alone fills the window.
      for (let i = 0; i < 2; i++) {
        const r = await b.acquire('users.identity', Date.now() + 5_000, { callers: new Map([['a', 1]]) });
        expect(r).toMatchObject({ ok: true, charge: { caller: 'a' } });
      }
      // b's lane waits first, then a's. At the next window both have used nothing, a wins the tie
      // by name: the unit goes to a's waiter, though b's waits longer; the next to b's.
      const order: string[] = [];
      const wait = (caller: string) =>
        b.acquire('users.identity', Date.now() + 5_000, { callers: new Map([[caller, 3]]) }).then((r) => {
          order.push(`${caller}:${r.ok ? r.charge?.caller : 'refused'}`);
        });
      const first = wait('b');
      await new Promise((r) => setImmediate(r));
      const second = wait('a');
      await Promise.all([first, second]);
      expect(order).toEqual(['a:a', 'b:b']);
    } finally {
      await b.close();
    }
  });

  it('spreads a unit over the callers by items, with the next take; snapshot shows it', async () => {
    const b = budget(100, 3_600);
    try {
      const first = await b.acquire('users.identity', Date.now() + 5_000, { callers: new Map([['a', 1]]) });
      if (!first.ok || first.charge === undefined) throw new Error('expected a fair grant');
      // The request carried one item of a and three of b.
      b.split(
        'users.identity',
        first.charge,
        new Map([
          ['a', 1],
          ['b', 3],
        ]),
      );
      const second = await b.acquire('users.identity', Date.now() + 5_000, { callers: new Map([['b', 1]]) });
      expect(second).toMatchObject({ ok: true, charge: { caller: 'b' } });
      const view = (await b.snapshot()).find((g) => g.group === 'users.identity')!;
      expect(
        view.shares.map(({ caller, used, weight, active }) => ({ caller, used, weight, active })),
      ).toEqual([
        { caller: 'a', used: 0.25, weight: 1, active: true },
        { caller: 'b', used: 1.75, weight: 1, active: true },
      ]);
      // Both wait: each is entitled to half.
      expect(view.shares.map((s) => s.entitlement)).toEqual([50, 50]);
    } finally {
      await b.close();
    }
  });

  it('without callers an acquire is the plain one: no charge', async () => {
    const b = budget(10, 60);
    try {
      const r = await b.acquire('users.identity', Date.now() + 5_000);
      expect(r.ok && r.charge).toBeUndefined();
    } finally {
      await b.close();
    }
  });
});
