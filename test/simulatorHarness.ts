import { afterEach, beforeEach } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/simulator/index.js';

/**
 * The simulator tests' harness: a fresh simulator per test on a fake clock set back to `t0`, and
 * any extra ones a test starts, all closed after it. Read `h.sim`, move `h.clock`.
 */
export interface SimulatorHarness {
  /** The test's simulator. */
  readonly sim: Simulator;
  /** The simulators' clock (epoch ms); tests move it to cross rate windows. */
  clock: number;
  /** Another simulator on the same clock and key (closed after the test). */
  start(opts?: Partial<SimulatorOptions>): Promise<Simulator>;
}

export function useSimulators(apiKey: string, t0: number): SimulatorHarness {
  const started: Simulator[] = [];
  let current: Simulator | undefined;
  const h: SimulatorHarness = {
    get sim() {
      if (current === undefined) throw new Error('no simulator: use h.sim inside a test');
      return current;
    },
    clock: t0,
    async start(opts = {}) {
      const s = await startSimulator({ apiKey, now: () => h.clock, ...opts });
      started.push(s);
      return s;
    },
  };
  beforeEach(async () => {
    h.clock = t0;
    current = await h.start();
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
    current = undefined;
  });
  return h;
}

/** A simulator's answer: status, parsed JSON body (`{}` when empty) and headers. */
export interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** Read a fetch response as a Reply. */
export async function reply(res: Response): Promise<Reply> {
  const text = await res.text();
  return {
    status: res.status,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    headers: res.headers,
  };
}
