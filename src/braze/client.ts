import { Pool, errors as undiciErrors } from 'undici';
import type { CallerDemand, RateBudget, RateHeaders } from '../budget/budget.js';
import type { RateGroupName } from '../budget/groups.js';
import type { UpstreamConfig } from '../config.js';
import { RateLimitedError, UpstreamError, scrub } from '../errors.js';
import type { Logger } from '../observability/log.js';
import { NO_TELEMETRY, type Telemetry } from '../observability/metrics.js';
import { startBrazeCall, type BrazeCallSpan } from '../observability/spans.js';
import { CircuitBreaker } from './breaker.js';
import { RequestGate } from './requestGate.js';
import {
  ENDPOINTS,
  broadcastAudience,
  isBroadcastBody,
  type EndpointName,
  type EndpointSpec,
} from './endpoints.js';
import type { WireResponse } from './wire.js';

/**
 * The one upstream path. Every Braze request goes through `BrazeClient.send`, whose steps are:
 *
 *   lookup(endpoint) → acquire(budget) → request(undici) → reconcile(headers) → classify(answer)
 *
 * Nothing else in the gateway speaks HTTP to Braze, so nothing can bypass the budget, leak the
 * key or skip error classification.
 */

export interface BrazeClientOptions extends UpstreamConfig {
  budget: RateBudget;
  log: Logger;
  now?: () => number;
  telemetry?: Telemetry;
  /** Consecutive failures (network, timeout, 5xx) that open the circuit; 0 disables it. */
  breakerThreshold?: number;
  /** How long an open circuit fails fast before it lets one trial request through. */
  breakerCooldownMs?: number;
}

export interface SendOptions {
  /** Epoch ms after which the caller no longer wants an answer (budget wait included). */
  deadlineMs: number;
  /** Aborting stops a wait for budget: the request is no longer wanted. */
  signal?: AbortSignal;
  /** Told when the request starts waiting for budget, with the earliest time a unit may free up. */
  onBudgetWait?: (untilMs: number) => void;
  /** Fair shares on: the callers whose items the request may carry (see AcquireOptions.callers). */
  callers?: CallerDemand;
  /** Query-string parameters for GET endpoints; arrays repeat the key. */
  query?: Record<string, string | number | boolean | readonly string[] | undefined>;
}

export interface BrazeAnswer<T extends WireResponse = WireResponse> {
  status: number;
  body: T;
  rate: RateHeaders;
  group: RateGroupName;
}

/** A request Braze provably did not process (429, refused connection) is tried this often at most. */
const MAX_ATTEMPTS = 3;
const CONNECT_RETRY_BASE_MS = 100;

/**
 * The wait before try `attempt + 1` of a request Braze never received: 100 ms doubling, ±50%,
 * so replicas retrying together spread out. Shared by plain sends and lanes.
 */
export function connectBackoffMs(attempt: number): number {
  return Math.round(CONNECT_RETRY_BASE_MS * 2 ** (attempt - 1) * (0.5 + Math.random()));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A request body already serialized (lanes join pre-serialized items instead of stringifying twice). */
export class JsonText {
  constructor(readonly text: string) {}
}

/**
 * A body decided when the budget unit is granted (DESIGN "packed at the grant"): the lane takes
 * as many waiting items as fit at that moment. `undefined` means nothing is left to send.
 */
export type BodyAtGrant = (charge?: GrantCharge) => unknown;

/**
 * A fair grant, as packing sees it: the caller the unit was charged to (its items go first), and
 * how to spread the unit over the callers whose items the request carries.
 */
export interface GrantCharge {
  caller: string;
  split(counts: CallerDemand): void;
}

/** What `request` returns before classification. */
interface RawAnswer {
  status: number;
  text: string;
  rate: RateHeaders;
}

export class BrazeClient {
  readonly #apiKey: string;
  readonly #pool: Pool;
  readonly #budget: RateBudget;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #telemetry: Telemetry;
  readonly #breaker: CircuitBreaker;
  /** The pool's connection limit, kept in line here so undici never queues (see RequestGate). */
  readonly #gate: RequestGate;
  /** Requests sent per endpoint, for tests and metrics. */
  readonly sent = new Map<EndpointName, number>();

  constructor(opts: BrazeClientOptions) {
    this.#apiKey = opts.apiKey;
    this.#budget = opts.budget;
    this.#log = opts.log;
    this.#now = opts.now ?? Date.now;
    this.#telemetry = opts.telemetry ?? NO_TELEMETRY;
    this.#breaker = new CircuitBreaker(
      opts.breakerThreshold ?? 5,
      opts.breakerCooldownMs ?? 5_000,
      this.#now,
      opts.log,
    );
    // One keep-alive pool per Braze host; HTTP/1.1 pipelining off (Braze is a plain REST API).
    this.#gate = new RequestGate(opts.connections);
    this.#pool = new Pool(opts.restEndpoint, {
      connections: opts.connections,
      pipelining: 1,
      connect: { timeout: opts.connectTimeoutMs },
      headersTimeout: opts.headersTimeoutMs,
      bodyTimeout: opts.bodyTimeoutMs,
      keepAliveTimeout: 30_000,
    });
  }

  /**
   * Send one request to Braze. Resolves on 2xx; throws UpstreamError or RateLimitedError
   * otherwise. A request Braze provably did not process (429, refused connection) is tried again
   * within the deadline.
   */
  async send<T extends WireResponse = WireResponse>(
    endpoint: EndpointName,
    body: unknown,
    opts: SendOptions,
  ): Promise<BrazeAnswer<T>> {
    return (await this.#send<T>(endpoint, () => body, opts, true))!;
  }

  /**
   * The lanes' way in: the same path, but the body is packed when the budget unit is granted,
   * and the request is tried once. A failure that Braze provably did not process (429, refused
   * connection) is thrown as is, with nothing resent: the lane puts its items back in line, where
   * each item's own deadline decides whether it is tried again. Resolves undefined when `pack`
   * found nothing left to send.
   */
  sendAtGrant<T extends WireResponse = WireResponse>(
    endpoint: EndpointName,
    pack: BodyAtGrant,
    opts: SendOptions,
  ): Promise<BrazeAnswer<T> | undefined> {
    return this.#send<T>(endpoint, pack, opts, false);
  }

  /** The one path: lookup → acquire → pack → request → reconcile → classify. */
  async #send<T extends WireResponse>(
    endpoint: EndpointName,
    pack: BodyAtGrant,
    opts: SendOptions,
    retry: boolean,
  ): Promise<BrazeAnswer<T> | undefined> {
    // 1. lookup: method, path and rate group come from the endpoint table only. Lanes carry
    // named items, so a packed request is never a broadcast; a plain body is looked at.
    const spec: EndpointSpec = ENDPOINTS[endpoint];
    const sample = retry ? pack() : undefined;
    const broadcast = spec.broadcastGroup !== undefined && isBroadcastBody(sample);
    const group = broadcast ? spec.broadcastGroup! : spec.group;
    const audience = broadcast ? broadcastAudience(sample) : undefined;

    // 0. a Braze that keeps failing is not called at all until the breaker lets a trial through
    // (the trial itself is reserved only once there is a request to send, below).
    this.#breaker.check(spec.path);

    let body: unknown;
    let packed = false;
    let staleGrants = 0;
    // Tracing on: the span of the call in progress, from its grant to its answer (one per try).
    let call: BrazeCallSpan | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        // 2. acquire: one unit of the group's budget, waiting no later than the caller's deadline.
        const grant = await this.#budget.acquire(group, opts.deadlineMs, {
          audience,
          signal: opts.signal,
          onWait: opts.onBudgetWait,
          callers: opts.callers,
        });
        if (!grant.ok) throw new RateLimitedError(grant.retryAfterMs);
        call ??= startBrazeCall({ method: spec.method, path: spec.path, group });

        // 3. pack: what goes in the request is decided now, at the grant (a lane's packing records
        // its items' waits under the call).
        if (!packed) {
          const charge = grant.charge;
          const at: GrantCharge | undefined =
            charge === undefined
              ? undefined
              : { caller: charge.caller, split: (counts) => this.#budget.split?.(group, charge, counts) };
          body = retry ? sample : call === undefined ? pack(at) : call.run(() => pack(at));
          packed = true;
          if (body === undefined && !retry) {
            call?.end({ outcome: 'nothing_to_send' });
            return undefined;
          }
        }

        // A grant whose window ended before the request could leave (a stalled event loop) would
        // reach Braze in the next window, uncounted there: ask again rather than risk a 429.
        if (grant.windowEndsAtMs !== undefined && this.#now() >= grant.windowEndsAtMs && staleGrants < 3) {
          staleGrants += 1;
          attempt -= 1;
          this.#log.warn({ endpoint: spec.path, group }, 'budget unit expired before sending; asking again');
          continue;
        }

        // 4. request (unless the wait for budget used up the deadline: not Braze's failure).
        if (retry && opts.deadlineMs <= this.#now()) {
          throw new UpstreamError('timeout', 'The request deadline passed before Braze was called.', {
            mayHaveBeenProcessed: false,
          });
        }
        this.#breaker.admit(spec.path);
        this.sent.set(endpoint, (this.sent.get(endpoint) ?? 0) + 1);
        const startedMs = this.#now();
        let raw: RawAnswer;
        try {
          // The call is active while undici starts the request: its span and `traceparent` follow.
          raw = await (call === undefined
            ? this.#request(spec, body, opts, retry)
            : call.run(() => this.#request(spec, body, opts, retry)));
        } catch (err) {
          const failure = err as UpstreamError;
          this.#telemetry.upstream(spec.path, failure.kind, (this.#now() - startedMs) / 1000);
          this.#breaker.failure();
          call?.end({ error: failure });
          call = undefined;
          // Never sent (refused connection, connect timeout): safe to try again, with jittered
          // backoff, within the deadline. Anything Braze may have received is never resent.
          const backoffMs = connectBackoffMs(attempt);
          if (
            retry &&
            !failure.mayHaveBeenProcessed &&
            attempt < MAX_ATTEMPTS &&
            this.#now() + backoffMs < opts.deadlineMs
          ) {
            this.#log.warn({ endpoint: spec.path, attempt, backoffMs }, 'Braze unreachable; retrying');
            await sleep(backoffMs);
            this.#breaker.check(spec.path);
            continue;
          }
          throw failure;
        }
        this.#telemetry.upstream(spec.path, raw.status, (this.#now() - startedMs) / 1000);
        if (raw.status >= 500) this.#breaker.failure();
        else this.#breaker.success();

        // 5. reconcile the budget with what Braze says is left (a broadcast's audience too: a 429
        // for it spends that audience's window, not the whole group's; a busy resource's 429
        // spends nothing).
        const busy = isBusyAnswer(spec, raw);
        this.#budget.observe(group, raw.rate, raw.status, { audience, resourceBusy: busy });

        // A 429 was not processed, so it is safe to send again: the budget now knows the window is
        // spent, and the next acquire waits for the reset if the deadline allows. A busy resource
        // stays busy for longer than any deadline (an export runs for minutes): not retried.
        if (retry && raw.status === 429 && !busy && attempt < MAX_ATTEMPTS) {
          this.#log.warn(
            { endpoint: spec.path, group, attempt },
            'Braze answered 429; retrying after the reset',
          );
          call?.end({ status: 429, error: new RateLimitedError(0) });
          call = undefined;
          continue;
        }

        // 6. classify.
        let answer: BrazeAnswer<T>;
        try {
          answer = this.#classify<T>(endpoint, group, raw);
        } catch (err) {
          call?.end({ status: raw.status, error: err });
          call = undefined;
          throw err;
        }
        call?.end({ status: raw.status });
        call = undefined;
        return answer;
      }
    } catch (err) {
      // Whatever else ended a call before its request (a deadline, an open circuit) marks its span.
      call?.end({ error: err });
      throw err;
    }
  }

  /** How long a caller refused for `endpoint`'s budget should wait before trying again. */
  retryHintMs(endpoint: EndpointName): number {
    return this.#budget.retryHintMs(ENDPOINTS[endpoint].group);
  }

  /** closed, open or half-open: for /readyz and logs. */
  get breakerState(): string {
    return this.#breaker.state;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  /**
   * One HTTP exchange. A plain send is cut at its caller's deadline; a lane's request serves
   * callers with different deadlines, so only the configured connect/headers/body timeouts bound
   * it (one caller's short deadline never cuts its batch-mates' request).
   */
  async #request(
    spec: EndpointSpec,
    body: unknown,
    opts: SendOptions,
    cutAtDeadline: boolean,
  ): Promise<RawAnswer> {
    const remainingMs = Math.max(1, opts.deadlineMs - this.#now());
    const path = spec.method === 'GET' ? spec.path + queryString(opts.query) : spec.path;
    const signal = cutAtDeadline ? AbortSignal.timeout(remainingMs) : undefined;
    try {
      if (!this.#gate.tryEnter()) await this.#gate.wait(signal);
    } catch (err) {
      throw this.#networkError(spec, err);
    }
    try {
      const res = await this.#pool.request({
        method: spec.method,
        path,
        headers: {
          authorization: `Bearer ${this.#apiKey}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body:
          spec.method !== 'POST'
            ? undefined
            : body instanceof JsonText
              ? body.text
              : JSON.stringify(body ?? {}),
        signal,
      });
      const text = await res.body.text();
      return { status: res.statusCode, text, rate: readRateHeaders(res.headers) };
    } catch (err) {
      throw this.#networkError(spec, err);
    } finally {
      this.#gate.leave();
    }
  }

  #classify<T extends WireResponse>(
    endpoint: EndpointName,
    group: RateGroupName,
    raw: RawAnswer,
  ): BrazeAnswer<T> {
    const body = parseBody(raw.text);
    const brazeMessage = typeof body.message === 'string' ? scrub(body.message, this.#apiKey) : undefined;
    if (raw.status >= 200 && raw.status < 300) {
      return { status: raw.status, body: body as T, rate: raw.rate, group };
    }
    const path = ENDPOINTS[endpoint].path;
    const errors = Array.isArray(body.errors) ? body.errors : undefined;
    this.#log.warn({ endpoint: path, status: raw.status, brazeMessage }, 'Braze refused a request');
    switch (true) {
      case raw.status === 401:
        throw new UpstreamError(
          'unauthorized',
          "Braze rejected the gateway's API key (401): check BRAZE_API_KEY and that it belongs to the configured instance.",
          { status: 401, brazeMessage },
        );
      case raw.status === 403:
        throw new UpstreamError(
          'forbidden',
          `The gateway's Braze API key lacks the permission ${ENDPOINTS[endpoint].permission} (403).`,
          { status: 403, brazeMessage },
        );
      case isBusyAnswer(ENDPOINTS[endpoint], raw):
        throw new UpstreamError(
          'busy',
          `Braze refused ${path} (429) while its rate limit had room: the resource is busy${brazeMessage === undefined ? '' : ` (${brazeMessage})`}.`,
          { status: 429, brazeMessage },
        );
      case raw.status === 429: {
        const retryAfterMs =
          raw.rate.resetAtMs !== undefined ? Math.max(0, raw.rate.resetAtMs - this.#now()) : 1_000;
        throw new RateLimitedError(
          retryAfterMs,
          `Braze answered 429 for ${path}: retry in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s.`,
        );
      }
      case raw.status >= 500:
        throw new UpstreamError('server', `Braze failed with ${raw.status} on ${path}.`, {
          status: raw.status,
          brazeMessage,
        });
      default:
        throw new UpstreamError(
          'rejected',
          `Braze rejected the request to ${path} (${raw.status})${brazeMessage === undefined ? '' : `: ${brazeMessage}`}`,
          { status: raw.status, brazeMessage, brazeErrors: errors },
        );
    }
  }

  /** Map an undici failure to an UpstreamError, noting whether Braze can have seen the request. */
  #networkError(spec: EndpointSpec, err: unknown): UpstreamError {
    // undici errors carry a string code (ECONNREFUSED, UND_ERR_…); an aborted signal is a
    // DOMException whose numeric `code` says nothing, so its name is used instead.
    const e = err as { code?: unknown; name?: string };
    const code = typeof e.code === 'string' ? e.code : (e.name ?? 'unknown');
    this.#log.warn({ endpoint: spec.path, code }, 'Braze request failed without an answer');
    if (
      err instanceof undiciErrors.ConnectTimeoutError ||
      code === 'ECONNREFUSED' ||
      code === 'ENOTFOUND' ||
      code === 'EAI_AGAIN'
    ) {
      return new UpstreamError('network', `Could not connect to Braze for ${spec.path} (${code}).`, {
        mayHaveBeenProcessed: false,
      });
    }
    if (
      err instanceof undiciErrors.HeadersTimeoutError ||
      err instanceof undiciErrors.BodyTimeoutError ||
      code === 'TimeoutError' ||
      code === 'AbortError'
    ) {
      return new UpstreamError('timeout', `Braze did not answer ${spec.path} in time.`);
    }
    return new UpstreamError('network', `The connection to Braze failed during ${spec.path} (${code}).`);
  }
}

/**
 * A 429 about one busy resource rather than the rate limit: the endpoint's row says its 429s can
 * mean that, and Braze's headers say the group still has room (without headers it cannot be told,
 * and the window is taken as spent).
 */
function isBusyAnswer(spec: EndpointSpec, raw: RawAnswer): boolean {
  return spec.busyOn429 === true && raw.status === 429 && (raw.rate.remaining ?? 0) > 0;
}

function queryString(query: SendOptions['query']): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else params.append(key, String(value));
  }
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

/** Braze bodies are JSON objects; anything else (an HTML error page) becomes an empty object. */
function parseBody(text: string): WireResponse {
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as WireResponse)
      : {};
  } catch {
    return {};
  }
}

/** Read `X-RateLimit-*` case-insensitively; empty strings (as on a 401) mean absent. */
export function readRateHeaders(headers: Record<string, string | string[] | undefined>): RateHeaders {
  const num = (name: string): number | undefined => {
    const v = headers[name];
    const s = Array.isArray(v) ? v[0] : v;
    if (s === undefined || s.trim() === '') return undefined;
    const n = Number(s);
    return Number.isFinite(n) ? n : undefined;
  };
  const reset = num('x-ratelimit-reset');
  const date = headers.date;
  const serverDateMs = Date.parse((Array.isArray(date) ? date[0] : date) ?? '');
  return {
    limit: num('x-ratelimit-limit'),
    remaining: num('x-ratelimit-remaining'),
    resetAtMs: reset === undefined ? undefined : reset * 1000,
    serverDateMs: Number.isFinite(serverDateMs) ? serverDateMs : undefined,
  };
}
