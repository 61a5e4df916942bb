import { describe, expect, it } from 'vitest';
import { GatewayCore } from '../src/app/gateway.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/observability/log.js';
import { PromMetrics } from '../src/observability/metrics.js';

/**
 * A request's services are made on first use (an operation touches one or two of eight), and
 * Apollo's copy of the context (own properties onto an object with the same prototype) must share
 * them with the original.
 */
describe("a GraphQL request's services", () => {
  it('are made once, on first use, and shared with a copy of the context as Apollo makes it', async () => {
    const config = loadConfig({ BRAZE_API_KEY: 'k', BRAZE_REST_ENDPOINT: 'http://127.0.0.1:9' });
    const core = await GatewayCore.create({
      config: config as Parameters<typeof GatewayCore.create>[0]['config'],
      log: silentLogger,
      telemetry: new PromMetrics(),
    });
    try {
      const services = core.services(Date.now() + 1_000, 10, 'frontend');
      const state = (services as unknown as { serviceState: Record<string, unknown> }).serviceState;
      expect(state.users).toBeUndefined();
      expect(state.messaging).toBeUndefined();
      const users = services.users;
      expect(services.users).toBe(users);
      expect(state.users).toBe(users);
      expect(state.catalog).toBeUndefined();
      const copy = Object.assign(
        Object.create(Object.getPrototypeOf(services) as object) as object,
        services,
      ) as typeof services;
      expect(copy.users).toBe(users);
      expect(copy.catalog).toBe(services.catalog);
      expect(copy.budget).toBe(core.budget);
      // Another request gets its own.
      expect(core.services(Date.now() + 1_000).users).not.toBe(users);
    } finally {
      await core.close();
    }
  });
});
