import { createServer, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { reply, useSimulators, type Reply } from './simulatorHarness.js';

/**
 * The simulator's analytics GETs and segment export (docs/braze-facts.md §3.20, §3.19) over real
 * HTTP, on a fake clock: the shapes Braze documents, the parameter rules and their 400s, the
 * 429 for a segment already being exported, and the completion callback.
 */

const KEY = 'sim-analytics-key';
// 2026-03-10T15:30:00Z.
const T0 = Date.UTC(2026, 2, 10, 15, 30);
const h = useSimulators(KEY, T0);

async function get(path: string, query: Record<string, string | number> = {}): Promise<Reply> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  return reply(await fetch(`${h.sim.url}${path}?${qs}`, { headers: { Authorization: `Bearer ${KEY}` } }));
}

async function post(path: string, body: unknown): Promise<Reply> {
  return reply(
    await fetch(`${h.sim.url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}

async function track(events: Array<Record<string, unknown>>): Promise<void> {
  expect((await post('/users/track', { events })).status).toBe(201);
}

describe('data series', () => {
  it('answers {data: [{time, <count>}], message} for `length` days ending with the day of ending_at (default: now)', async () => {
    await track([
      { external_id: 'a', name: 'open', time: '2026-03-09T08:00:00Z' },
      { external_id: 'b', name: 'open', time: '2026-03-10T08:00:00Z' },
    ]);
    expect((await get('/kpi/dau/data_series', { length: 2 })).body).toEqual({
      message: 'success',
      data: [
        { time: '2026-03-09', dau: 1 },
        { time: '2026-03-10', dau: 1 },
      ],
    });
    const mau = await get('/kpi/mau/data_series', { length: 1, ending_at: '2026-03-10T00:00:00Z' });
    expect(mau.body.data).toEqual([{ time: '2026-03-10', mau: 2 }]);
    // Profiles were created at T0 (the fake clock).
    expect((await get('/kpi/new_users/data_series', { length: 1 })).body.data).toEqual([
      { time: '2026-03-10', new_users: 2 },
    ]);
    expect((await get('/kpi/uninstalls/data_series', { length: 1 })).body.data).toEqual([
      { time: '2026-03-10', uninstalls: 0 },
    ]);
    const hours = await get('/events/data_series', {
      event: 'open',
      length: 2,
      unit: 'hour',
      ending_at: '2026-03-10T08:59:00Z',
    });
    expect(hours.body.data).toEqual([
      { time: '2026-03-10T07:00:00', count: 0 },
      { time: '2026-03-10T08:00:00', count: 1 },
    ]);
  });

  it('refuses a length outside 1–100 (1–14 for Canvases), a bad unit or ending_at, and missing ids, with 400', async () => {
    const canvas = h.sim.catalog.canvases[0]!.id;
    const bad: Array<[string, Record<string, string | number>, string]> = [
      ['/kpi/dau/data_series', {}, "'length' must be an integer between 1 and 100"],
      ['/kpi/dau/data_series', { length: 101 }, "'length' must be an integer between 1 and 100"],
      ['/kpi/dau/data_series', { length: '2.5' }, "'length' must be an integer between 1 and 100"],
      ['/kpi/dau/data_series', { length: 2, ending_at: 'soon' }, "'ending_at' must be an ISO-8601 time"],
      ['/sessions/data_series', { length: 2, unit: 'week' }, "'unit' must be 'day' or 'hour'"],
      ['/events/data_series', { length: 2 }, "'event' is required"],
      ['/segments/data_series', { length: 2 }, 'Invalid Segment ID'],
      ['/campaigns/data_series', { length: 2, campaign_id: 'nope' }, 'Invalid Campaign ID'],
      [
        '/sends/data_series',
        { length: 2, campaign_id: h.sim.catalog.campaigns[0]!.id },
        "'send_id' is required",
      ],
      ['/canvas/data_series', { canvas_id: canvas }, "Either 'length' or 'starting_at' is required"],
      [
        '/canvas/data_summary',
        { canvas_id: canvas, length: 15 },
        "'length' must be an integer between 1 and 14",
      ],
      [
        '/canvas/data_series',
        { canvas_id: canvas, starting_at: '2026-03-11T00:00:00Z' },
        "'starting_at' must not be after 'ending_at'",
      ],
      [
        '/canvas/data_series',
        { canvas_id: 'nope', length: 2 },
        'canvas_id must be a string of the Canvas api identifier',
      ],
    ];
    for (const [path, query, message] of bad) {
      expect({ path, query, ...(await get(path, query)) }).toMatchObject({
        path,
        query,
        status: 400,
        body: { message },
      });
    }
  });

  it("counts /campaigns/data_series in its own 50,000/min bucket, and a Canvas's days from starting_at", async () => {
    const campaign = h.sim.catalog.campaigns[0]!.id;
    const r = await get('/campaigns/data_series', { campaign_id: campaign, length: 1 });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ratelimit-limit')).toBe('50000');
    expect(r.body.data).toEqual([
      expect.objectContaining({
        time: '2026-03-10',
        unique_recipients: 0,
        messages: { email: [expect.objectContaining({ sent: 0 })] },
      }),
    ]);
    const canvas = h.sim.catalog.canvases[0]!;
    const days = await get('/canvas/data_series', {
      canvas_id: canvas.id,
      starting_at: '2026-03-08T23:00:00Z',
    });
    expect(
      (days.body.data as { name: string; stats: Array<{ time: string }> }).stats.map((s) => s.time),
    ).toEqual(['2026-03-08', '2026-03-09', '2026-03-10']);
  });
});

describe('POST /users/export/segment', () => {
  it('answers 201 {object_prefix, url, message}, 429 for the same segment while it runs, and POSTs the callback when done', async () => {
    const received: unknown[] = [];
    const hook = createServer((req: IncomingMessage, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(text));
        res.end('{}');
      });
    }).listen(0, '127.0.0.1');
    await once(hook, 'listening');
    try {
      const sim = await h.start({ segmentExportMs: Infinity });
      const segment = sim.catalog.segments[0]!.id;
      const send = async (body: unknown) =>
        reply(
          await fetch(`${sim.url}/users/export/segment`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
          }),
        );
      const callback = `http://127.0.0.1:${(hook.address() as { port: number }).port}/done`;
      const first = await send({
        segment_id: segment,
        fields_to_export: ['external_id'],
        callback_endpoint: callback,
      });
      expect(first.status).toBe(201);
      expect(first.body).toEqual({
        object_prefix: expect.stringMatching(/^[0-9a-f-]{36}-\d{10}$/),
        url: expect.stringMatching(/\.zip$/),
        message: 'success',
      });
      const busy = await send({ segment_id: segment, fields_to_export: ['email'] });
      expect(busy.status).toBe(429);
      expect(busy.body.message).toBe('An export of this segment is already running: wait for it to complete');
      // Braze's rate-limit headers still show room: the 429 is about the segment.
      expect(Number(busy.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);

      const done = await sim.segmentExports.complete(first.body.object_prefix as string);
      expect(done!.state).toBe('succeeded');
      expect(received).toEqual([{ success: true, url: first.body.url }]);
      expect((await send({ segment_id: segment, fields_to_export: ['email'] })).status).toBe(201);
    } finally {
      hook.close();
    }
  });

  it('requires a known segment and fields_to_export, at most 500 custom attributes, zip or gzip', async () => {
    const segment = h.sim.catalog.segments[0]!.id;
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ fields_to_export: ['email'] }, 'Invalid Segment ID'],
      [{ segment_id: segment }, "'fields_to_export' is required: an array of field names"],
      [{ segment_id: segment, fields_to_export: ['password'] }, 'Invalid fields_to_export: password'],
      [
        {
          segment_id: segment,
          fields_to_export: ['email'],
          custom_attributes_to_export: Array(501).fill('a'),
        },
        'At most 500 custom attributes can be exported',
      ],
      [
        { segment_id: segment, fields_to_export: ['email'], output_format: 'tar' },
        "'output_format' must be 'zip' or 'gzip'",
      ],
    ];
    for (const [body, message] of bad) {
      expect(await post('/users/export/segment', body)).toMatchObject({ status: 400, body: { message } });
    }
  });
});
