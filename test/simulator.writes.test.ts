import { describe, expect, it } from 'vitest';
import type { Simulator } from '../src/simulator/index.js';
import { reply, useSimulators, type Reply } from './simulatorHarness.js';

/**
 * `GET /_simulator/writes` (the soak's exactly-once check for identity and trigger writes): how
 * many times the simulator accepted each alias creation, identification and campaign trigger
 * recipient. Over real HTTP, through Braze's own routes.
 */
const KEY = 'sim-writes-key';
const T0 = Date.UTC(2026, 2, 1, 10, 0, 30, 500);

const h = useSimulators(KEY, T0);

async function call(sim: Simulator, path: string, body: unknown): Promise<Reply> {
  const res = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return reply(res);
}

async function writes(sim: Simulator, query: string): Promise<Reply> {
  return reply(await fetch(`${sim.url}/_simulator/writes?${query}`));
}

const alias = (name: string, label = 'soak'): Record<string, string> => ({
  alias_name: name,
  alias_label: label,
});
const apiCampaign = (): string => h.sim.catalog.campaigns.find((c) => c.isApiCampaign)!.id;

describe('GET /_simulator/writes', () => {
  it('counts every alias creation accepted, a repeat too, by label', async () => {
    const sim = h.sim;
    expect((await call(sim, '/users/alias/new', { user_aliases: [alias('a1'), alias('a2')] })).status).toBe(
      201,
    );
    // Braze changes nothing the second time, but the write was delivered twice: counted twice.
    expect(
      (await call(sim, '/users/alias/new', { user_aliases: [alias('a1'), alias('b1', 'other')] })).status,
    ).toBe(201);
    // A request refused whole (an item without a label) applied nothing.
    expect(
      (await call(sim, '/users/alias/new', { user_aliases: [alias('a3'), { alias_name: 'x' }] })).status,
    ).toBe(400);
    expect((await writes(sim, 'kind=aliases&label=soak')).body).toEqual({
      counts: { a1: 2, a2: 1 },
      truncated: false,
    });
    expect((await writes(sim, 'kind=aliases&label=other')).body).toEqual({
      counts: { b1: 1 },
      truncated: false,
    });
  });

  it('counts identifications by alias, whether or not a profile changed', async () => {
    const sim = h.sim;
    await call(sim, '/users/alias/new', { user_aliases: [alias('a1')] });
    const identify = { aliases_to_identify: [{ external_id: 'known-a1', user_alias: alias('a1') }] };
    expect((await call(sim, '/users/identify', identify)).status).toBe(201);
    // The second finds no anonymous profile (a1 now has an external id): a no-op, still received.
    expect((await call(sim, '/users/identify', identify)).status).toBe(201);
    expect((await writes(sim, 'kind=identifications&label=soak')).body).toEqual({
      counts: { a1: 2 },
      truncated: false,
    });
    // Alias creations are a kind of their own.
    expect((await writes(sim, 'kind=aliases&label=soak')).body).toEqual({
      counts: { a1: 1 },
      truncated: false,
    });
  });

  it('counts campaign trigger recipients by a property value, the own over the shared', async () => {
    const sim = h.sim;
    await call(sim, '/users/track', { attributes: [{ external_id: 'u1', first_name: 'Ana' }] });
    const send = {
      campaign_id: apiCampaign(),
      trigger_properties: { soak_id: 'shared', source: 'soak' },
      recipients: [
        { external_user_id: 'u1', trigger_properties: { soak_id: 't1' } },
        // No profile: Braze skips it, but the gateway delivered it.
        { external_user_id: 'nobody', trigger_properties: { soak_id: 't2' } },
        { external_user_id: 'u1' },
      ],
    };
    expect((await call(sim, '/campaigns/trigger/send', send)).status).toBe(201);
    expect(
      (await call(sim, '/campaigns/trigger/send', { ...send, recipients: send.recipients.slice(0, 1) }))
        .status,
    ).toBe(201);
    // An unknown campaign is refused: nothing counted.
    expect((await call(sim, '/campaigns/trigger/send', { ...send, campaign_id: 'nope' })).status).toBe(400);
    expect((await writes(sim, 'kind=triggers&property=soak_id')).body).toEqual({
      counts: { t1: 2, t2: 1, shared: 1 },
      truncated: false,
    });
    expect((await writes(sim, 'kind=triggers&property=source')).body).toEqual({
      counts: { soak: 4 },
      truncated: false,
    });
  });

  it('does not count a request answered by an injected fault, and forgets everything on reset', async () => {
    const sim = h.sim;
    sim.injectFault({ path: '/users/alias/new', status: 503, times: 1 });
    expect((await call(sim, '/users/alias/new', { user_aliases: [alias('a1')] })).status).toBe(503);
    expect((await call(sim, '/users/alias/new', { user_aliases: [alias('a2')] })).status).toBe(201);
    expect((await writes(sim, 'kind=aliases&label=soak')).body).toEqual({
      counts: { a2: 1 },
      truncated: false,
    });
    await fetch(`${sim.url}/_simulator/reset`, { method: 'POST' });
    expect((await writes(sim, 'kind=aliases&label=soak')).body).toEqual({ counts: {}, truncated: false });
  });

  it('keeps at most writeLedgerMaxKeys per kind, forgetting the oldest and saying so', async () => {
    const sim = await h.start({ writeLedgerMaxKeys: 3 });
    const names = ['a1', 'a2', 'a3', 'a4'];
    expect((await call(sim, '/users/alias/new', { user_aliases: names.map((n) => alias(n)) })).status).toBe(
      201,
    );
    expect((await writes(sim, 'kind=aliases&label=soak')).body).toEqual({
      counts: { a2: 1, a3: 1, a4: 1 },
      truncated: true,
    });
    // The other kinds are bounded on their own.
    expect((await writes(sim, 'kind=identifications&label=soak')).body).toEqual({
      counts: {},
      truncated: false,
    });
  });

  it('refuses an unknown kind and a missing label or property', async () => {
    const sim = h.sim;
    for (const [query, message] of [
      ['kind=events&label=soak', /'kind' must be one of aliases, identifications, triggers/],
      ['label=soak', /'kind' must be one of/],
      ['kind=aliases', /'label' is required with kind=aliases/],
      ['kind=triggers&label=soak', /'property' is required with kind=triggers/],
    ] as const) {
      const r = await writes(sim, query);
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(message);
    }
  });
});
