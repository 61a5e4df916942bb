import { describe, expect, it } from 'vitest';
import { RequestGate } from '../src/braze/requestGate.js';

/** The Braze client's own line for its connections (why it exists: src/braze/requestGate.ts). */
describe('RequestGate', () => {
  it('lets `limit` in at once and hands each freed slot to the oldest waiter', async () => {
    const gate = new RequestGate(2);
    expect([gate.tryEnter(), gate.tryEnter(), gate.tryEnter()]).toEqual([true, true, false]);
    const order: string[] = [];
    const a = gate.wait(undefined).then(() => order.push('a'));
    const b = gate.wait(undefined).then(() => order.push('b'));
    gate.leave();
    await a;
    expect(order).toEqual(['a']);
    // The slot went to a, not back to the pool: a newcomer still waits.
    expect(gate.tryEnter()).toBe(false);
    gate.leave();
    await b;
    expect(order).toEqual(['a', 'b']);
    gate.leave();
    gate.leave();
    expect([gate.tryEnter(), gate.tryEnter(), gate.tryEnter()]).toEqual([true, true, false]);
  });

  it('a waiter whose signal aborts leaves the line with its reason; the next caller is still served', async () => {
    const gate = new RequestGate(1);
    expect(gate.tryEnter()).toBe(true);
    const timedOut = new AbortController();
    const first = gate.wait(timedOut.signal);
    const second = gate.wait(undefined);
    timedOut.abort(new DOMException('deadline', 'TimeoutError'));
    await expect(first).rejects.toMatchObject({ name: 'TimeoutError' });
    gate.leave();
    await second; // the slot skipped the one that left
    gate.leave();
    expect(gate.tryEnter()).toBe(true);
    // Already aborted: refused at once.
    await expect(gate.wait(AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });

  it('everyone in line timing out leaves the gate usable', async () => {
    const gate = new RequestGate(1);
    gate.tryEnter();
    const controllers = [0, 1, 2].map(() => new AbortController());
    const waits = controllers.map((c) => gate.wait(c.signal));
    for (const c of controllers) c.abort(new Error('deadline'));
    for (const w of waits) await expect(w).rejects.toThrow('deadline');
    gate.leave();
    expect(gate.tryEnter()).toBe(true);
  });

  it('a waiter that aborts after its slot was handed over passes it on', async () => {
    const gate = new RequestGate(1);
    gate.tryEnter();
    const late = new AbortController();
    const first = gate.wait(late.signal);
    const second = gate.wait(undefined);
    gate.leave(); // handed to `first`, which goes on at the next turn…
    late.abort(new Error('deadline')); // …but gives up before it
    await expect(first).rejects.toThrow('deadline');
    await second;
    gate.leave();
    expect(gate.tryEnter()).toBe(true);
    expect(gate.tryEnter()).toBe(false);
  });
});
