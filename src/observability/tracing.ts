import { createRequire } from 'node:module';
import { DiagLogLevel, context, diag, propagation, trace, type DiagLogger } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_URL_FULL, ATTR_URL_QUERY } from '@opentelemetry/semantic-conventions';
import type { TracingConfig, TracesSampler } from '../config.js';
import type { Logger } from './log.js';
import { setGatewayTracer } from './spans.js';

/**
 * The OpenTelemetry SDK, set up once per process and only when tracing is asked for (README
 * "Tracing"). main.ts imports this module dynamically, so a gateway without tracing never loads
 * the SDK; the rest of the gateway speaks to the API only (spans.ts).
 *
 * - Propagation: W3C `traceparent`/`tracestate` only. Baggage is neither read nor sent: a
 *   caller's baggage has no business reaching Braze.
 * - undici: its instrumentation listens on undici's diagnostics channels, which every copy of
 *   undici (Node's own fetch too) publishes to however it was loaded, and it injects
 *   `traceparent` into the Braze request. Only requests made under a span are traced. Its `url.full`/`url.query` would carry GET endpoints' query strings (an external id,
 *   an email for /subscription/status/get): the values are redacted, the names kept.
 * - ioredis: its instrumentation patches `ioredis` through a hook on `require`, and the gateway,
 *   being ESM, imports ioredis without calling `require`: the hook never fires and no Redis span
 *   is made (whether the import comes before or after the SDK starts). So, once the hook is in
 *   place, this module requires ioredis itself: the hook patches the class's prototype, and the
 *   gateway's ESM import gets the same CommonJS module from Node's cache, patched. Statements are
 *   recorded as the command name only: cache keys and values may hold user ids and profiles.
 */

export interface TracingOptions {
  serviceName: string;
  exporter: SpanExporter;
  /** Export each span as it ends (tests, the console exporter) instead of in batches. */
  exportEachSpan?: boolean;
  /** Default: parent-based, always on (a caller's sampling decision is kept). */
  sampler?: Sampler;
}

export interface Tracing {
  /** Exports what is buffered now. */
  flush(): Promise<void>;
  /** Exports what is buffered, stops the instrumentations and turns the gateway's spans off. */
  shutdown(): Promise<void>;
}

const TRACER_NAME = 'braze-graphql-gateway';
/** The SDK registers process-wide globals: one at a time. */
let running = false;

/** Starts the SDK. One per process: a second call while one runs throws. */
export function startTracing(opts: TracingOptions): Tracing {
  if (running) throw new Error('tracing is already started in this process');
  running = true;
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: opts.serviceName })),
    sampler: opts.sampler ?? new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [
      opts.exportEachSpan === true
        ? new SimpleSpanProcessor(opts.exporter)
        : new BatchSpanProcessor(opts.exporter),
    ],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });

  const instrumentations = [
    new UndiciInstrumentation({
      // Only under a gateway span (a Braze call): another undici or fetch client in the process
      // (a test's, an embedding program's) keeps its own headers and makes no stray root spans.
      requireParentforSpans: true,
      startSpanHook: (request) => redactedUrl(request.origin, request.path),
    }),
    new IORedisInstrumentation({
      // Only under a gateway span (a budget wait, an operation): no spans for health checks.
      requireParentSpan: true,
      dbStatementSerializer: (command) => command,
    }),
  ];
  for (const instrumentation of instrumentations) {
    instrumentation.setTracerProvider(provider);
    instrumentation.enable();
  }
  // See above: the require hook patches ioredis now, for the ESM import as well.
  createRequire(import.meta.url)('ioredis');

  setGatewayTracer(provider.getTracer(TRACER_NAME));
  let stopped: Promise<void> | undefined;
  return {
    flush: () => provider.forceFlush(),
    shutdown: () =>
      (stopped ??= (async () => {
        setGatewayTracer(undefined);
        for (const instrumentation of instrumentations) instrumentation.disable();
        try {
          await provider.shutdown();
        } finally {
          trace.disable();
          context.disable();
          propagation.disable();
          running = false;
        }
      })()),
  };
}

/** The SDK as the configuration asks for it (OTEL_* variables); undefined when tracing is off. */
export function startTracingFromConfig(config: TracingConfig, log: Logger): Tracing | undefined {
  if (config.exporter === 'none') return undefined;
  reportSdkProblems(log);
  const exporter =
    config.exporter === 'console'
      ? new ConsoleSpanExporter()
      : new OTLPTraceExporter({ url: config.otlpTracesUrl });
  const tracing = startTracing({
    serviceName: config.serviceName,
    exporter,
    exportEachSpan: config.exporter === 'console',
    sampler: samplerOf(config.sampler, config.samplerRatio),
  });
  log.info(
    {
      exporter: config.exporter,
      ...(config.exporter === 'otlp' ? { endpoint: withoutCredentials(config.otlpTracesUrl) } : {}),
      serviceName: config.serviceName,
      sampler: config.sampler,
    },
    'tracing: OpenTelemetry spans on',
  );
  return tracing;
}

/** OTEL_TRACES_SAMPLER's values (the ones without a remote service) as SDK samplers. */
function samplerOf(name: TracesSampler, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

/** The request's URL with every query value replaced: names tell the call apart, values may be personal. */
function redactedUrl(origin: string, path: string): Record<string, string> {
  const url = new URL(path, origin);
  if (url.search === '') return {};
  for (const key of new Set(url.searchParams.keys())) url.searchParams.set(key, 'REDACTED');
  return { [ATTR_URL_FULL]: url.toString(), [ATTR_URL_QUERY]: url.search.slice(1) };
}

function withoutCredentials(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/**
 * The SDK reports its own failures (a collector that does not answer) through `diag`, silent by
 * default: they go to the log as warnings, at most one a minute, so a missing collector shows
 * without flooding it.
 */
function reportSdkProblems(log: Logger): void {
  let lastMs = 0;
  const warn = (message: string) => {
    if (Date.now() - lastMs < 60_000) return;
    lastMs = Date.now();
    log.warn({ otel: message.slice(0, 300) }, 'tracing: the OpenTelemetry SDK reports a problem');
  };
  const logger: DiagLogger = {
    error: warn,
    warn,
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(logger, DiagLogLevel.WARN);
}
