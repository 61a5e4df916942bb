import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { TEST_API_KEY, useStacks, type Stack } from './helpers.js';
import { startTestRedis } from './redisServer.js';

/**
 * Segment exports through real HTTP: the mutation's Braze request and answer, the status the
 * gateway records (and shares through Redis), Braze's completion callback reaching the gateway's
 * callback route, a second export of a busy segment, and bad input.
 */

const startStack = useStacks();

const START = `mutation ($i: SegmentExportInput!) {
  startSegmentExport(input: $i) {
    id segmentId startedAt status completedAt objectPrefix url fields customAttributes outputFormat completion
  }
}`;
const STATUS = `query ($id: ID!) {
  segmentExport(id: $id) { id segmentId status completedAt objectPrefix url completion }
}`;

interface ExportShape {
  id: string;
  segmentId: string;
  startedAt: string;
  status: string;
  completedAt: string | null;
  objectPrefix: string;
  url: string | null;
  fields: string[];
  customAttributes: string[];
  outputFormat: string;
  completion: string;
}

type Answer = Awaited<ReturnType<Stack['gql']>>;

async function start(s: Stack, input: Record<string, unknown>): Promise<Answer & { exp: ExportShape }> {
  const res = await s.gql<{ startSegmentExport: ExportShape }>(START, { i: input });
  return { ...res, exp: res.body.data?.startSegmentExport as ExportShape };
}

async function status(s: Stack, id: string): Promise<ExportShape | null> {
  const res = await s.gql<{ segmentExport: ExportShape | null }>(STATUS, { id });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.segmentExport;
}

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

/** A gateway reachable by Braze at a known URL (its port chosen before it starts). */
async function reachableStack(extra: Record<string, string> = {}, publicPort?: number) {
  const port = await freePort();
  const s = await startStack({
    env: { PORT: String(port), GATEWAY_PUBLIC_URL: `http://127.0.0.1:${publicPort ?? port}`, ...extra },
    // Exports run until the test completes them.
    sim: { segmentExportMs: Infinity },
  });
  return { s, port };
}

const requestsTo = (s: Stack) => s.sim.requests.filter((r) => r.path === '/users/export/segment');

describe('startSegmentExport without a public URL', () => {
  it("asks Braze for the chosen fields and answers the export's prefix and URL; the status stays STARTED", async () => {
    const s = await startStack({ sim: { segmentExportMs: Infinity } });
    const segmentId = s.sim.catalog.segments[0]!.id;
    const { body, exp } = await start(s, {
      segmentId,
      fields: ['externalId', 'email', 'customEvents', 'email'],
      customAttributes: ['plan', 'loyalty_points'],
    });
    expect(body.errors).toBeUndefined();
    expect(exp).toMatchObject({
      segmentId,
      status: 'STARTED',
      completedAt: null,
      fields: ['externalId', 'email', 'customEvents'],
      customAttributes: ['plan', 'loyalty_points'],
      outputFormat: 'ZIP',
      completion: 'NONE',
    });
    const braze = s.sim.segmentExports.exports[0]!;
    expect(exp.objectPrefix).toBe(braze.objectPrefix);
    expect(exp.url).toBe(braze.url);
    expect(exp.url).toMatch(/\.zip$/);
    expect(Math.abs(Date.parse(exp.startedAt) - Date.now())).toBeLessThan(60_000);
    expect(requestsTo(s)).toEqual([
      expect.objectContaining({
        method: 'POST',
        status: 201,
        group: 'default',
        body: {
          segment_id: segmentId,
          fields_to_export: ['external_id', 'email', 'custom_events'],
          custom_attributes_to_export: ['plan', 'loyalty_points'],
        },
      }),
    ]);
    expect(await status(s, exp.id)).toEqual({
      id: exp.id,
      segmentId,
      status: 'STARTED',
      completedAt: null,
      objectPrefix: exp.objectPrefix,
      url: exp.url,
      completion: 'NONE',
    });
    // Even once Braze is done, nobody told the gateway.
    await s.sim.segmentExports.complete(exp.objectPrefix);
    expect((await status(s, exp.id))!.status).toBe('STARTED');
    expect(await status(s, 'no-such-export')).toBeNull();
  });

  it('refuses a second export of a segment Braze is still exporting, without retrying or emptying the default budget', async () => {
    const s = await startStack({ sim: { segmentExportMs: Infinity } });
    const segmentId = s.sim.catalog.segments[0]!.id;
    expect((await start(s, { segmentId, fields: ['externalId'] })).body.errors).toBeUndefined();
    const second = await start(s, { segmentId, fields: ['brazeId'] });
    expect(second.body.errors![0]).toMatchObject({
      message: `Braze is already exporting segment ${segmentId} (one export per segment at a time, at most 100 at once): start again once it has finished.`,
      extensions: { code: 'UPSTREAM_ERROR', reason: 'busy', upstreamStatus: 429 },
    });
    expect(second.body.data).toBeNull();
    // One 429, not retried.
    expect(s.sim.count('/users/export/segment', 429)).toBe(1);
    // A busy segment is not a spent window: the default group still has its room.
    const budget = await s.gql<{ rateBudget: Array<{ group: string; remaining: number; limit: number }> }>(
      '{ rateBudget { group remaining limit } }',
    );
    const def = budget.body.data!.rateBudget.find((g) => g.group === 'default')!;
    expect(def.remaining).toBeGreaterThan(def.limit - 10);
    // Another segment exports meanwhile; once the first export ends, its segment can go again.
    expect(
      (await start(s, { segmentId: s.sim.catalog.segments[1]!.id, fields: ['externalId'] })).body.errors,
    ).toBeUndefined();
    await s.sim.segmentExports.complete(s.sim.segmentExports.exports[0]!.objectPrefix);
    expect((await start(s, { segmentId, fields: ['externalId'] })).body.errors).toBeUndefined();
  });

  it('sends GZIP as output_format, and answers no url when the workspace has its own bucket', async () => {
    const s = await startStack({ sim: { segmentExportMs: Infinity, ownExportStorage: true } });
    const { exp } = await start(s, {
      segmentId: s.sim.catalog.segments[0]!.id,
      fields: ['externalId'],
      outputFormat: 'GZIP',
    });
    expect(exp).toMatchObject({ outputFormat: 'GZIP', url: null });
    expect(requestsTo(s)[0]!.body).toMatchObject({ output_format: 'gzip' });
  });

  it('refuses bad input before calling Braze, and reports Braze refusing an unknown segment', async () => {
    const s = await startStack();
    const segmentId = s.sim.catalog.segments[0]!.id;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ segmentId, fields: [] }, 'input.fields: name at least one field (Braze requires fields_to_export).'],
      [{ segmentId: ' ', fields: ['email'] }, 'input.segmentId: must not be empty.'],
      [
        { segmentId, fields: ['email'], customAttributes: Array.from({ length: 501 }, (_, i) => `a${i}`) },
        'input.customAttributes: Braze exports at most 500 named custom attributes, got 501.',
      ],
      [
        { segmentId, fields: ['email'], customAttributes: ['ok', ''] },
        'input.customAttributes[1]: must not be empty.',
      ],
      [
        { segmentId, fields: ['email'], callbackEndpoint: 'ftp://example.com/x' },
        'input.callbackEndpoint: must be an absolute http(s) URL.',
      ],
      [
        { segmentId, fields: ['email'], callbackEndpoint: 'not a url' },
        'input.callbackEndpoint: must be an absolute http(s) URL.',
      ],
    ];
    for (const [input, message] of cases) {
      const res = await start(s, input);
      expect(res.body.errors![0]).toMatchObject({ message, extensions: { code: 'BAD_USER_INPUT' } });
    }
    // A field BrazeUser does not have is refused by the schema itself.
    const unknownField = await start(s, { segmentId, fields: ['password'] });
    expect(unknownField.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(s.sim.count()).toBe(0);

    const unknown = await start(s, { segmentId: 'no-such-segment', fields: ['email'] });
    expect(unknown.body.errors![0]).toMatchObject({
      message: 'Braze rejected the request to /users/export/segment (400): Invalid Segment ID',
      extensions: { code: 'UPSTREAM_ERROR', upstreamStatus: 400 },
    });
  });

  it("passes the caller's own callbackEndpoint through; the gateway then never learns of completion", async () => {
    const s = await startStack({ sim: { segmentExportMs: Infinity } });
    const { exp } = await start(s, {
      segmentId: s.sim.catalog.segments[0]!.id,
      fields: ['externalId'],
      callbackEndpoint: 'https://hooks.example.com/braze-export?k=1',
    });
    expect(exp.completion).toBe('CALLER_CALLBACK');
    expect(requestsTo(s)[0]!.body).toMatchObject({
      callback_endpoint: 'https://hooks.example.com/braze-export?k=1',
    });
  });
});

describe('startSegmentExport with GATEWAY_PUBLIC_URL', () => {
  it("gives Braze the gateway's callback URL; Braze's callback turns the status COMPLETED", async () => {
    const { s, port } = await reachableStack();
    const { exp } = await start(s, {
      segmentId: s.sim.catalog.segments[0]!.id,
      fields: ['externalId', 'email'],
    });
    expect(exp).toMatchObject({ status: 'STARTED', completion: 'GATEWAY_CALLBACK' });
    const callback = (requestsTo(s)[0]!.body as { callback_endpoint: string }).callback_endpoint;
    const url = new URL(callback);
    expect(`${url.origin}${url.pathname}`).toBe(
      `http://127.0.0.1:${port}/callbacks/segment-export/${exp.id}`,
    );
    const token = url.searchParams.get('token')!;
    expect(token.length).toBeGreaterThanOrEqual(43);

    // The secret is Braze's alone: not in the answer, not in the gateway's log.
    expect(JSON.stringify(exp)).not.toContain(token);

    // Someone guessing: same 404 for a wrong token and an unknown export.
    for (const target of [
      `http://127.0.0.1:${port}/callbacks/segment-export/${exp.id}?token=wrong`,
      `http://127.0.0.1:${port}/callbacks/segment-export/nope?token=${token}`,
    ]) {
      const res = await fetch(target, { method: 'POST', body: '{"success":true}' });
      expect(res.status).toBe(404);
    }
    expect((await status(s, exp.id))!.status).toBe('STARTED');

    const done = await s.sim.segmentExports.complete(exp.objectPrefix);
    expect(done!.callbackOutcome).toBe(200);
    const after = await status(s, exp.id);
    expect(after).toMatchObject({ status: 'COMPLETED', url: done!.url, completion: 'GATEWAY_CALLBACK' });
    expect(Math.abs(Date.parse(after!.completedAt!) - Date.now())).toBeLessThan(60_000);
    expect(s.logs.join('')).not.toContain(token);
    expect(s.logs.join('')).not.toContain(TEST_API_KEY);
    expect(s.logs.some((l) => l.includes('segment export: Braze called back'))).toBe(true);
  });

  it('marks an export FAILED when Braze calls back with success false', async () => {
    const { s } = await reachableStack();
    const { exp } = await start(s, { segmentId: s.sim.catalog.segments[1]!.id, fields: ['externalId'] });
    await s.sim.segmentExports.complete(exp.objectPrefix, false);
    expect(await status(s, exp.id)).toMatchObject({ status: 'FAILED', completedAt: expect.any(String) });
  });

  it('shares export records between replicas through Redis: a callback reaching one completes the export for all', async () => {
    const redis = await startTestRedis();
    try {
      const env = { REDIS_URL: redis.url, BRAZE_WORKSPACE: `ws-exports-${Date.now()}` };
      const b = await reachableStack(env);
      // Replica A tells Braze to call back at B's address (as a load balancer in front of both would).
      const a = await reachableStack(env, b.port);
      const { exp } = await start(a.s, {
        segmentId: a.s.sim.catalog.segments[0]!.id,
        fields: ['externalId'],
      });
      expect(await status(b.s, exp.id)).toMatchObject({ status: 'STARTED', objectPrefix: exp.objectPrefix });
      const done = await a.s.sim.segmentExports.complete(exp.objectPrefix);
      expect(done!.callbackOutcome).toBe(200);
      expect(b.s.logs.some((l) => l.includes('segment export: Braze called back'))).toBe(true);
      expect((await status(a.s, exp.id))!.status).toBe('COMPLETED');
    } finally {
      await redis.stop();
    }
  });

  it('answers only POST on the callback route, and nothing at all without GATEWAY_PUBLIC_URL', async () => {
    const { s, port } = await reachableStack();
    const get = await fetch(`http://127.0.0.1:${port}/callbacks/segment-export/x?token=y`);
    expect(get.status).toBe(405);
    const closed = await startStack();
    const res = await fetch(`${new URL(closed.gw.url).origin}/callbacks/segment-export/x?token=y`, {
      method: 'POST',
      body: '{"success":true}',
    });
    expect(res.status).toBe(404);
    expect(s.sim.count()).toBe(0);
  });
});
