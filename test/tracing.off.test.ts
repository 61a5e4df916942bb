import { randomBytes } from 'node:crypto';
import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { tracingOn } from '../src/observability/spans.js';
import { TRACK_EVENTS, event, useStacks, type ItemResult } from './helpers.js';

/**
 * Tracing is off unless asked for, and then the gateway makes no span and sends no `traceparent`
 * anywhere. To tell "makes none" from "has nowhere to put them", an SDK is registered in this
 * process as an embedding program might register its own, recording every span made through
 * the API: the gateway, not switched on, must not make any.
 */

const recorded = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(recorded)] });
beforeAll(() => provider.register({ propagator: new W3CTraceContextPropagator() }));
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

const useStack = useStacks();

describe('tracing off', () => {
  it("makes no span, sends Braze no traceparent and answers none, whatever the caller's traceparent", async () => {
    expect(tracingOn()).toBe(false);
    const stack = await useStack();
    const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
    const res = await fetch(stack.gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent },
      body: JSON.stringify({ query: TRACK_EVENTS, variables: { events: [event('untraced-1')] } }),
    });
    const body = (await res.json()) as { data: { trackEvents: ItemResult[] } };
    expect(body.data.trackEvents).toEqual([{ ok: true, error: null }]);
    expect(res.headers.get('traceparent')).toBeNull();
    const sent = stack.sim.requests.filter((r) => r.path === '/users/track');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.traceparent).toBeUndefined();
    expect(recorded.getFinishedSpans()).toEqual([]);
  });
});

describe('tracing configuration', () => {
  it('is off without OTEL_* variables, and with OTEL_TRACES_EXPORTER=none whatever else is set', () => {
    expect(loadConfig({}).tracing.exporter).toBe('none');
    expect(
      loadConfig({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })
        .tracing.exporter,
    ).toBe('none');
  });

  it('an OTLP endpoint turns it on; the traces endpoint is used as given, the general one gets /v1/traces', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      exporter: 'otlp',
      otlpTracesUrl: 'http://collector:4318/v1/traces',
      serviceName: 'braze-graphql-gateway',
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
    });
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/custom',
        OTEL_SERVICE_NAME: 'braze-gateway-eu',
      }).tracing,
    ).toMatchObject({
      exporter: 'otlp',
      otlpTracesUrl: 'https://traces.example.com/custom',
      serviceName: 'braze-gateway-eu',
    });
    // `otlp` without an endpoint: the collector's default port on this host.
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).tracing.otlpTracesUrl).toBe(
      'http://localhost:4318/v1/traces',
    );
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'Console' }).tracing.exporter).toBe('console');
    expect(
      loadConfig({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })
        .tracing,
    ).toMatchObject({ sampler: 'parentbased_traceidratio', samplerRatio: 0.25 });
  });

  it('refuses what it cannot honour, naming the variable and the value', () => {
    const problems = (() => {
      try {
        loadConfig({
          OTEL_TRACES_EXPORTER: 'zipkin',
          OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
          OTEL_TRACES_SAMPLER: 'jaeger_remote',
          OTEL_TRACES_SAMPLER_ARG: '2',
        });
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
      return [];
    })();
    expect(problems).toEqual([
      'OTEL_TRACES_EXPORTER="zipkin" is not valid: expected otlp, console or none.',
      'OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318" is not valid: expected an http(s) URL of an OTLP/HTTP collector, e.g. http://otel-collector:4318.',
      'OTEL_TRACES_SAMPLER="jaeger_remote" is not valid: expected one of parentbased_always_on, parentbased_always_off, parentbased_traceidratio, always_on, always_off, traceidratio.',
      'OTEL_TRACES_SAMPLER_ARG="2" is not valid: expected a ratio from 0 to 1, e.g. 0.1 for 10% of traces.',
    ]);
  });
});
