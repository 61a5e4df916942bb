import { afterEach } from 'vitest';
import { Writable } from 'node:stream';
import { loadConfig } from '../src/config.js';
import { createLogger, type Logger } from '../src/observability/log.js';
import { startGateway, type RunningGateway } from '../src/app/startGateway.js';
import type { WireExportedUser } from '../src/braze/wire.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/simulator/index.js';

/** A key that must never show up anywhere but the Authorization header. */
export const TEST_API_KEY = 'test-key-9f2c1e7a5b3d';

export interface Stack {
  sim: Simulator;
  gw: RunningGateway;
  /** Every log line the gateway wrote. */
  logs: string[];
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{
    status: number;
    body: { data?: T; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  }>;
  close(): Promise<void>;
}

/** A logger that keeps its lines in memory, for asserting on (and for keeping test output clean). */
export function memoryLogger(level = 'debug'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { log: createLogger(level, stream), lines };
}

/** The simulator and a gateway in front of it, both on free ports, talking real HTTP. */
export async function startStack(
  opts: { env?: Record<string, string>; sim?: Partial<SimulatorOptions>; gatewayKey?: string } = {},
): Promise<Stack> {
  const env = { PORT: '0', HOST: '127.0.0.1', ...opts.env };
  const config = loadConfig(env);
  const sim = await startSimulator({
    apiKey: TEST_API_KEY,
    contract: config.contract,
    rateLimits: config.rateLimits,
    ...opts.sim,
  });
  const { log, lines } = memoryLogger();
  const gw = await startGateway({
    config: {
      ...config,
      upstream: { ...config.upstream, restEndpoint: sim.url, apiKey: opts.gatewayKey ?? TEST_API_KEY },
    },
    log,
  });
  return {
    sim,
    gw,
    logs: lines,
    async gql(query, variables) {
      const res = await fetch(gw.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, body: (await res.json()) as never };
    },
    async close() {
      await gw.close();
      await sim.close();
    },
  };
}

export const TRACK_EVENTS = /* GraphQL */ `
  mutation ($events: [TrackEventInput!]!) {
    trackEvents(events: $events) {
      ok
      error {
        code
        message
        retryAfter
      }
    }
  }
`;

export interface ItemResult {
  ok: boolean;
  error: { code: string; message: string; retryAfter: number | null } | null;
}

export function event(
  userId: string,
  name = 'app_opened',
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { user: { externalId: userId }, name, time: '2026-03-01T10:15:00Z', ...extra };
}

/** What the simulator holds for a user, as /users/export/ids would show it. */
export function exported(sim: Simulator, externalId: string): WireExportedUser | undefined {
  const user = sim.store.byExternalId(externalId);
  return user === undefined ? undefined : sim.store.exportUser(user);
}

/**
 * `startStack` for one test file: every stack a test starts is closed after that test, whether
 * it passed or not.
 */
export function useStacks(): typeof startStack {
  const open: Stack[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return async (opts) => {
    const stack = await startStack(opts);
    open.push(stack);
    return stack;
  };
}
