import type { IncomingHttpHeaders } from 'node:http';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  createContextKey,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
} from '@opentelemetry/semantic-conventions';
import { GatewayError, RateLimitedError, UpstreamError } from '../errors.js';

/**
 * The gateway's own spans (README "Tracing"), on the OpenTelemetry API only: the SDK is set up in
 * tracing.ts, and only when tracing is asked for. Until then `tracingOn()` is false and every
 * function here returns at once without touching the API, so a gateway without tracing does one
 * boolean check per request, lane item, lane request, budget acquire and Braze call, and nothing
 * else.
 *
 * Every attribute the gateway sets is named in this file, so what leaves the process can be read
 * in one place: table names (endpoint paths, rate groups, lanes), counts, statuses and error
 * codes. Never the Braze key, a variable's value, a user id, an email or a Braze error message
 * (which may quote an item).
 *
 * The tree of one GraphQL request (see README for an example):
 *
 *   <type> <operation>             SERVER, parent = the caller's `traceparent`
 *   ├─ lane wait <lane>           one per operation and request: its items' wait until the
 *   │                             grant packed them (from its oldest item's arrival)
 *   ├─ budget wait <group>        the rate budget's acquire, from the ask to the grant
 *   │  └─ evalsha                 (ioredis, shared budget only)
 *   └─ braze <METHOD> <path>      from the grant to the classified answer
 *      └─ <METHOD>                (undici, CLIENT; its `traceparent` goes to Braze)
 *
 * A lane's request carries items of several operations. Its budget wait and Braze call belong to
 * the operation whose item was oldest in line when the lane asked (it is nearly always in the
 * request: lanes are FIFO); every other operation whose items rode along gets its own lane-wait
 * span, linked to that Braze call, and the call links back to each of them.
 */

/** Attribute names of the gateway's own (namespaced) and the standard ones it sets. */
export const ATTR = {
  operation: 'gateway.operation',
  requestId: 'gateway.request_id',
  caller: 'gateway.caller',
  graphqlOperationType: 'graphql.operation.type',
  graphqlOperationName: 'graphql.operation.name',
  lane: 'gateway.lane',
  laneItems: 'gateway.lane.items',
  laneOperations: 'gateway.lane.operations',
  rateGroup: 'braze.rate_group',
  budgetMode: 'gateway.budget.mode',
  budgetOutcome: 'gateway.budget.outcome',
  retryAfterMs: 'gateway.retry_after_ms',
  endpoint: 'braze.endpoint',
  requestItems: 'braze.request.items',
  outcome: 'braze.outcome',
  errorType: ATTR_ERROR_TYPE,
  httpMethod: ATTR_HTTP_REQUEST_METHOD,
  httpStatus: ATTR_HTTP_RESPONSE_STATUS_CODE,
  httpRoute: ATTR_HTTP_ROUTE,
} as const;

/** The longest client-chosen operation name recorded (names are code, but unbounded). */
const MAX_OPERATION_NAME = 100;

let tracer: Tracer | undefined;

/** Whether spans are made: set by tracing.ts when the SDK is running, and only then. */
export function tracingOn(): boolean {
  return tracer !== undefined;
}

/** tracing.ts turns the gateway's spans on with its tracer, and off (undefined) at shutdown. */
export function setGatewayTracer(next: Tracer | undefined): void {
  tracer = next;
}

/** The context a queued item carries to the request that will send it: none while tracing is off. */
export function captureContext(): Context | undefined {
  return tracer === undefined ? undefined : context.active();
}

/** Runs `fn` in `ctx` (a captured context), or as is when there is none. */
export function runIn<T>(ctx: Context | undefined, fn: () => T): T {
  return ctx === undefined ? fn() : context.with(ctx, fn);
}

/** Failures recorded as the span's error: the stable code and kind, never the message. */
function recordFailure(span: Span, err: unknown): void {
  const code = err instanceof GatewayError ? err.code : 'INTERNAL_SERVER_ERROR';
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  span.setAttribute(
    ATTR.errorType,
    err instanceof UpstreamError ? err.kind : err instanceof RateLimitedError ? 'rate_limited' : code,
  );
}

// --- the HTTP request and its GraphQL operation ---

/** The server span of one /graphql request, made before authentication so refusals show too. */
export interface RequestSpan {
  /** The `traceparent` naming this span, for the response header. */
  readonly traceparent: string | undefined;
  /** Runs `fn` with the span active: whatever the request does becomes its child. */
  run<T>(fn: () => T): T;
  caller(name: string): void;
  end(statusCode: number, err?: unknown): void;
}

/**
 * Starts the server span of a /graphql request, continuing the caller's trace when its
 * `traceparent` (and `tracestate`) are valid; undefined while tracing is off.
 */
export function startRequestSpan(opts: {
  headers: IncomingHttpHeaders;
  method: string;
  requestId: string;
}): RequestSpan | undefined {
  if (tracer === undefined) return undefined;
  const parent = propagation.extract(ROOT_CONTEXT, opts.headers);
  const span = tracer.startSpan(
    `${opts.method} /graphql`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        [ATTR.httpMethod]: opts.method,
        [ATTR.httpRoute]: '/graphql',
        [ATTR.requestId]: opts.requestId,
      },
    },
    parent,
  );
  const active = trace.setSpan(parent, span);
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier);
  return {
    traceparent: carrier.traceparent,
    run: (fn) => context.with(active, fn),
    caller: (name) => span.setAttribute(ATTR.caller, name),
    end(statusCode, err) {
      span.setAttribute(ATTR.httpStatus, statusCode);
      if (err !== undefined) recordFailure(span, err);
      else if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}

/**
 * Names the active server span after the GraphQL operation once Apollo resolved it: `mutation
 * trackEvents`, from the bounded label the metrics use (not the client's operation name, which
 * is recorded as an attribute, shortened).
 */
export function nameOperation(opts: {
  label: string;
  type: 'query' | 'mutation' | 'subscription';
  name: string | undefined;
}): void {
  if (tracer === undefined) return;
  const span = trace.getActiveSpan();
  if (span === undefined) return;
  span.updateName(`${opts.type} ${opts.label}`);
  span.setAttributes({
    [ATTR.operation]: opts.label,
    [ATTR.graphqlOperationType]: opts.type,
    ...(opts.name === undefined
      ? {}
      : { [ATTR.graphqlOperationName]: opts.name.slice(0, MAX_OPERATION_NAME) }),
  });
}

/** The operation answered with GraphQL errors: the first one's code marks the server span. */
export function operationFailed(code: string): void {
  if (tracer === undefined) return;
  const span = trace.getActiveSpan();
  span?.setStatus({ code: SpanStatusCode.ERROR, message: code });
  span?.setAttribute(ATTR.errorType, code);
}

// --- the rate budget ---

/** What a budget wait ended with. */
export type BudgetOutcome = 'granted' | 'refused' | 'abandoned';

/**
 * Runs one acquire of the rate budget as a `budget wait <group>` span (its Redis script is its
 * child); `finish` tells how it ended. Callers check `tracingOn()` first and skip the closures.
 */
export async function traceBudgetWait<R>(
  group: string,
  acquire: () => Promise<R>,
  finish: (result: R) => { outcome: BudgetOutcome; mode: string; retryAfterMs?: number },
): Promise<R> {
  if (tracer === undefined) return acquire();
  const span = tracer.startSpan(`budget wait ${group}`, { attributes: { [ATTR.rateGroup]: group } });
  try {
    const result = await context.with(trace.setSpan(context.active(), span), acquire);
    const { outcome, mode, retryAfterMs } = finish(result);
    span.setAttributes({ [ATTR.budgetOutcome]: outcome, [ATTR.budgetMode]: mode });
    if (outcome === 'refused') {
      span.setAttribute(ATTR.retryAfterMs, retryAfterMs ?? 0);
      recordFailure(span, new RateLimitedError(retryAfterMs ?? 0));
    }
    return result;
  } catch (err) {
    recordFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}

// --- the Braze call ---

/** The Braze call in progress, found by the lane's packing through the active context. */
const CALL_KEY = createContextKey('braze-graphql-gateway braze call');

interface CallState {
  span: Span;
  /** The operation span the call is a child of (its lane wait needs no link). */
  parentSpanId: string | undefined;
}

/** One Braze request, from its grant to its classified answer. */
export interface BrazeCallSpan {
  /** Runs `fn` with the call active: the packing's lane waits and undici's span see it. */
  run<T>(fn: () => T): T;
  /** The call ended: with an answer's status, or a failure (classified or not). */
  end(result: { status?: number; error?: unknown; outcome?: string }): void;
}

/** Starts the span of one Braze call; undefined while tracing is off. */
export function startBrazeCall(opts: {
  method: string;
  path: string;
  group: string;
}): BrazeCallSpan | undefined {
  if (tracer === undefined) return undefined;
  const parent = context.active();
  const span = tracer.startSpan(`braze ${opts.method} ${opts.path}`, {
    attributes: {
      [ATTR.httpMethod]: opts.method,
      [ATTR.endpoint]: opts.path,
      [ATTR.rateGroup]: opts.group,
    },
  });
  const state: CallState = { span, parentSpanId: trace.getSpanContext(parent)?.spanId };
  const active = trace.setSpan(parent, span).setValue(CALL_KEY, state);
  return {
    run: (fn) => context.with(active, fn),
    end({ status, error, outcome }) {
      if (status !== undefined) span.setAttribute(ATTR.httpStatus, status);
      span.setAttribute(
        ATTR.outcome,
        outcome ??
          (error === undefined
            ? 'ok'
            : error instanceof RateLimitedError
              ? 'rate_limited'
              : error instanceof UpstreamError
                ? 'upstream_error'
                : 'error'),
      );
      if (error !== undefined) recordFailure(span, error);
      span.end();
    },
  };
}

/** One item a lane packed: the context it was queued in and when. */
export interface PackedItem {
  trace: Context | undefined;
  enqueuedMs: number;
}

/**
 * At a lane's grant, inside the Braze call's `run`: the request's item count on the call, and per
 * operation whose items it carries a `lane wait` span from that operation's oldest item's arrival
 * to now. Operations other than the one the call belongs to are linked to the call both ways.
 */
export function recordLaneWait(opts: { lane: string; items: readonly PackedItem[]; nowMs: number }): void {
  if (tracer === undefined) return;
  const call = context.active().getValue(CALL_KEY) as CallState | undefined;
  const byOperation = new Map<string, { ctx: Context; sinceMs: number; items: number }>();
  for (const item of opts.items) {
    const spanId = item.trace === undefined ? undefined : trace.getSpanContext(item.trace)?.spanId;
    if (spanId === undefined) continue; // queued outside any operation: nothing to attach to
    const op = byOperation.get(spanId);
    if (op === undefined) byOperation.set(spanId, { ctx: item.trace!, sinceMs: item.enqueuedMs, items: 1 });
    else {
      op.items += 1;
      op.sinceMs = Math.min(op.sinceMs, item.enqueuedMs);
    }
  }
  call?.span.setAttributes({
    [ATTR.requestItems]: opts.items.length,
    [ATTR.laneOperations]: byOperation.size,
  });
  const callContext = call?.span.spanContext();
  for (const [spanId, op] of byOperation) {
    const attributes: Attributes = {
      [ATTR.lane]: opts.lane,
      [ATTR.laneItems]: op.items,
      [ATTR.requestItems]: opts.items.length,
    };
    const shared = callContext !== undefined && spanId !== call?.parentSpanId;
    const wait = tracer.startSpan(
      `lane wait ${opts.lane}`,
      { startTime: op.sinceMs, attributes, links: shared ? [{ context: callContext }] : [] },
      op.ctx,
    );
    // Both ends on the lane's clock: a span given a start time and ended without one would be
    // timed from its creation, not from that start.
    wait.end(opts.nowMs);
    if (shared) call!.span.addLink({ context: wait.spanContext() });
  }
}
