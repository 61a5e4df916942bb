import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './fixtures/output.js';

/**
 * The real start-up path: `OTEL_EXPORTER_OTLP_ENDPOINT` alone turns tracing on in a gateway
 * started as users start it, and its spans reach an OTLP/HTTP collector (a small one here,
 * keeping what it is sent) by SIGTERM at the latest.
 */

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}
interface OtlpExport {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans: Array<{ spans: OtlpSpan[] }>;
  }>;
}

const children: ChildProcessWithoutNullStreams[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A collector that keeps every OTLP/HTTP JSON export sent to /v1/traces. */
async function collector(): Promise<{ url: string; exports: OtlpExport[]; paths: string[] }> {
  const exports: OtlpExport[] = [];
  const paths: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      if (req.url === '/v1/traces') exports.push(JSON.parse(body) as OtlpExport);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, exports, paths };
}

describe('tracing in a started gateway', () => {
  it('OTEL_EXPORTER_OTLP_ENDPOINT turns it on: the spans of a traced request reach the collector', async () => {
    const otlp = await collector();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        PORT: '0',
        HOST: '127.0.0.1',
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_SERVICE_NAME: 'bgw-process-test',
      },
    });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out, /tracing: OpenTelemetry spans on/);
    const [, url] = await waitFor(() => out, /"url":"(http:\/\/127\.0\.0\.1:\d+\/graphql)"/);

    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(url!, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      },
      body: JSON.stringify({
        query:
          'mutation { trackEvents(events: [{ user: { externalId: "otlp-user" }, name: "otlp_event", time: "2026-03-01T10:15:00Z" }]) { ok } }',
      }),
    });
    expect(await res.json()).toEqual({ data: { trackEvents: [{ ok: true }] } });
    expect(res.headers.get('traceparent')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    // Spans leave in batches; SIGTERM exports what is left before the process exits.
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);

    expect(otlp.paths[0]).toBe('POST /v1/traces application/json');
    const resources = otlp.exports.flatMap((e) => e.resourceSpans);
    const serviceNames = resources.map(
      (r) => r.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue,
    );
    expect(new Set(serviceNames)).toEqual(new Set(['bgw-process-test']));
    const spans = resources.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const traced = spans.filter((s) => s.traceId === traceId).map((s) => s.name);
    expect(traced).toEqual(
      expect.arrayContaining([
        'mutation trackEvents',
        'lane wait users.track',
        'budget wait users.track',
        'braze POST /users/track',
        'POST',
      ]),
    );
    expect(JSON.stringify(otlp.exports)).not.toContain('otlp-user');
  });
});
