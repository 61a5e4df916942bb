import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CONTRACTS,
  ENDPOINT_RULES,
  MAX_BODY_BYTES,
  RATE_GROUPS,
  audienceKey,
  endpointAt,
  groupOf,
  isContractName,
  isRateGroup,
  limitsFor,
  type ContractRules,
  type RateGroup,
  type RateLimit,
} from './brazeRules.js';
import { SimulatorCatalog } from './catalog.js';
import { DEFAULT_FAULT_BODY, FaultList, faultProblem, type Fault } from './faults.js';
import { defaultLists } from './lists.js';
import {
  AudienceLimiter,
  DEFAULT_BROADCAST_PER_AUDIENCE_LIMIT,
  RateLimiter,
  type AudienceStats,
  type RateDecision,
  type WindowStats,
} from './rateLimits.js';
import { ROUTES } from './routes/index.js';
import { SimulatorSegmentExports } from './segmentExports.js';
import { SimulatorStore } from './store.js';
import type { RecordedRequest, Simulator, SimulatorOptions } from './types.js';
import { isPlainObject } from './validate.js';
import { WRITE_KINDS, WriteLedger, type WriteKind } from './writeLedger.js';

/** Prefix of the simulator's own routes: no auth, no rate limit, not recorded. */
export const ADMIN_PREFIX = '/_simulator/';

const MSG_INVALID_KEY = 'Invalid API key';
const MSG_PARSE = 'Error while parsing request body. Please check your syntax.';
const RECORDED_TEXT_MAX = 1000;

type Headers = Record<string, string>;

/** A 401 carries the rate-limit headers with empty values (docs/braze-facts.md §4.2); so do unrouted answers. */
const EMPTY_RATE_HEADERS: Headers = {
  'X-RateLimit-Limit': '',
  'X-RateLimit-Remaining': '',
  'X-RateLimit-Reset': '',
};

function rateHeaders(d: RateDecision): Headers {
  return {
    'X-RateLimit-Limit': String(d.limit),
    'X-RateLimit-Remaining': String(d.remaining),
    'X-RateLimit-Reset': String(Math.ceil(d.resetMs / 1000)),
  };
}

/** The body, or `tooLarge` once it passes `max` bytes (the rest is drained, not kept). */
function readBody(
  req: IncomingMessage,
  max: number,
): Promise<{ raw: Buffer; tooLarge: boolean } | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        tooLarge = true;
        chunks.length = 0;
      } else if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve({ raw: Buffer.concat(chunks), tooLarge }));
    // The client went away (or close() ended the connection): nobody is left to answer.
    req.on('error', () => resolve(undefined));
    req.on('close', () => resolve(undefined));
  });
}

function isJsonContentType(header: string | undefined): boolean {
  const media = header?.split(';')[0]?.trim().toLowerCase();
  return media === 'application/json';
}

class BrazeSimulator implements Simulator {
  url = '';
  port = 0;
  readonly requests: RecordedRequest[] = [];
  readonly store: SimulatorStore;
  readonly catalog: SimulatorCatalog;
  readonly segmentExports: SimulatorSegmentExports;

  private readonly apiKey: string;
  private readonly contract: ContractRules;
  private readonly limiter: RateLimiter;
  private readonly audiences: AudienceLimiter;
  private readonly faults = new FaultList();
  /** Identity and trigger writes accepted, per item (`GET /_simulator/writes`). */
  private readonly ledger: WriteLedger;
  private readonly now: () => number;
  private readonly log: (msg: string, fields?: Record<string, unknown>) => void;
  private readonly maxRecorded: number;
  private readonly server: Server;
  private latencyMs: number;
  /** Answers per path and status; exact even when `requests` drops old entries. */
  private readonly counters = new Map<string, Map<number, number>>();
  private readonly hanging = new Set<ServerResponse>();
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private closing: Promise<void> | undefined;

  constructor(opts: SimulatorOptions) {
    if (typeof opts.apiKey !== 'string' || opts.apiKey.length === 0) {
      throw new TypeError('startSimulator: apiKey must be a non-empty string');
    }
    const contractName = opts.contract ?? 'legacy';
    if (!isContractName(contractName))
      throw new TypeError(`startSimulator: unknown contract ${String(contractName)}`);
    this.apiKey = opts.apiKey;
    this.contract = CONTRACTS[contractName];
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => {});
    this.maxRecorded = opts.maxRecordedRequests ?? 10_000;
    this.latencyMs = 0;
    this.setLatency(opts.latencyMs ?? 0);
    this.store = new SimulatorStore(this.now, opts.storeLimits);
    this.ledger = new WriteLedger(opts.writeLedgerMaxKeys);
    this.store.lists.seed({ ...defaultLists(this.now()), ...opts.lists });
    this.catalog = new SimulatorCatalog(opts.catalog, this.now);
    this.segmentExports = new SimulatorSegmentExports({
      durationMs: opts.segmentExportMs ?? 5_000,
      ownStorage: opts.ownExportStorage ?? false,
      now: this.now,
      log: this.log,
    });
    this.limiter = new RateLimiter(limitsFor(contractName, opts.rateLimits), this.now);
    this.audiences = new AudienceLimiter(
      opts.broadcastPerAudienceLimit ?? DEFAULT_BROADCAST_PER_AUDIENCE_LIMIT,
      this.now,
    );
    this.server = createServer((req, res) => {
      this.dispatch(req, res).catch((err: unknown) => {
        this.log('Braze simulator: request handler failed', { error: String(err) });
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ message: 'Internal Server Error' }));
        }
      });
    });
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    this.port = address.port;
    this.url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  count(path?: string, status?: number): number {
    let n = 0;
    for (const [p, byStatus] of this.counters) {
      if (path !== undefined && p !== path) continue;
      for (const [s, c] of byStatus) if (status === undefined || s === status) n += c;
    }
    return n;
  }

  injectFault(f: Fault): void {
    this.faults.add(f);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  setLatency(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0))
      throw new RangeError(`latency must be a non-negative number, got ${ms}`);
    this.latencyMs = ms;
  }

  setRateLimit(group: RateGroup, limit: RateLimit): void {
    this.limiter.setLimit(group, limit);
  }

  consume(group: RateGroup, n: number): void {
    this.limiter.consume(group, n);
  }

  windowStats(group: RateGroup): WindowStats {
    return this.limiter.stats(group);
  }

  setBroadcastPerAudienceLimit(limit: RateLimit): void {
    this.audiences.setLimit(limit);
  }

  broadcastAudienceStats(): AudienceStats {
    return this.audiences.stats();
  }

  reset(): void {
    this.requests.length = 0;
    this.counters.clear();
    this.faults.clear();
    this.limiter.reset();
    this.audiences.reset();
    this.store.clear();
    this.ledger.clear();
    this.catalog.reset();
    this.segmentExports.reset();
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.segmentExports.reset();
      for (const s of this.sleepers) {
        clearTimeout(s.timer);
        s.wake();
      }
      this.sleepers.clear();
      for (const res of this.hanging) res.destroy();
      this.hanging.clear();
      this.server.close(() => {
        this.log('Braze simulator stopped', { url: this.url });
        resolve();
      });
      // Keep-alive connections would otherwise hold close() open until they time out.
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private record(entry: RecordedRequest): void {
    this.requests.push(entry);
    if (this.requests.length > this.maxRecorded)
      this.requests.splice(0, this.requests.length - this.maxRecorded);
    let byStatus = this.counters.get(entry.path);
    if (byStatus === undefined) this.counters.set(entry.path, (byStatus = new Map()));
    byStatus.set(entry.status, (byStatus.get(entry.status) ?? 0) + 1);
  }

  /** Waits the configured latency; close() cuts the wait short. */
  private delay(): Promise<void> {
    const ms = this.latencyMs;
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.sleepers.add(sleeper);
    });
  }

  private async send(res: ServerResponse, status: number, body: unknown, headers: Headers): Promise<void> {
    await this.delay();
    if (this.closing !== undefined || res.destroyed) return;
    const payload = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(payload)),
      ...headers,
    });
    res.end(payload);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path.startsWith(ADMIN_PREFIX)) return this.admin(req, res, method, url);

    const at = this.now();
    const read = await readBody(req, MAX_BODY_BYTES);
    if (read === undefined) return;

    // Parsed up front: the rate group of a messaging call and a fault's `when` depend on it.
    let body: unknown;
    let parseError = false;
    const text = read.tooLarge ? '' : read.raw.toString('utf8');
    if (text.trim().length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        parseError = true;
        body = text.slice(0, RECORDED_TEXT_MAX);
      }
    }
    const parsed = parseError ? undefined : body;

    // The path's row and the body decide the rate group (brazeRules.ts: the simulator's own copy).
    const name = endpointAt(path);
    const rule = name === undefined ? undefined : ENDPOINT_RULES[name];
    const group = name === undefined ? undefined : groupOf(name, parsed);
    const query = recordedQuery(url.searchParams);
    const traceparent = req.headers.traceparent?.toString();
    const recordAs = (status: number): void =>
      this.record({
        method,
        path,
        ...(query === undefined ? {} : { query }),
        queryString: url.search.slice(1),
        status,
        body,
        ...(group === undefined ? {} : { group }),
        at,
        ...(traceparent === undefined ? {} : { traceparent }),
      });
    const answer = (status: number, payload: unknown, headers: Headers): Promise<void> => {
      recordAs(status);
      return this.send(res, status, payload, headers);
    };

    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      // Never echo the presented key: it may be a real one sent to the wrong place.
      return answer(401, { message: MSG_INVALID_KEY }, EMPTY_RATE_HEADERS);
    }

    // Faults come after auth, before rate limiting and validation.
    const fault = this.faults.take(path, parsed);
    if (fault !== undefined) return this.applyFault(req, res, fault, answer, recordAs);

    if (name === undefined || rule === undefined || group === undefined) {
      return answer(404, { message: 'Not Found' }, EMPTY_RATE_HEADERS);
    }
    const handler = ROUTES[name];
    if (handler === undefined) {
      return answer(
        501,
        { message: `${path} is not implemented by the Braze simulator` },
        EMPTY_RATE_HEADERS,
      );
    }
    if (method !== rule.method) {
      return answer(405, { message: 'Method Not Allowed' }, { ...EMPTY_RATE_HEADERS, Allow: rule.method });
    }

    // A broadcast must also fit its unique audience's own window (docs/braze-facts.md §2 row 6). Checked first
    // so that a request refused for its audience does not use the group's budget. The headers
    // stay the group's: Braze documents no per-audience headers, and a gateway reading a limit of
    // 10 would wrongly shrink its budget for every audience.
    const audience = group === 'messaging.broadcast' ? audienceKey(parsed) : undefined;
    if (audience !== undefined && !this.audiences.admits(audience)) {
      this.audiences.reject();
      return answer(429, { message: 'Rate limit exceeded' }, rateHeaders(this.limiter.peek(group)));
    }

    // Every authenticated, routed request counts, including those that then fail validation.
    const decision = this.limiter.take(group);
    const headers = rateHeaders(decision);
    if (!decision.admitted) return answer(429, { message: 'Rate limit exceeded' }, headers);
    if (audience !== undefined) this.audiences.take(audience);

    if (method === 'POST') {
      if (!isJsonContentType(req.headers['content-type'])) {
        return answer(415, { message: 'Unsupported Media Type' }, headers);
      }
      if (read.tooLarge) return answer(413, { message: 'Request Entity Too Large' }, headers);
      if (parseError) return answer(400, { message: MSG_PARSE }, headers);
    }

    const result = handler({
      body: parsed,
      query: url.searchParams,
      store: this.store,
      catalog: this.catalog,
      segmentExports: this.segmentExports,
      rule,
      track: this.contract.track,
      now: this.now,
    });
    if (result.status >= 200 && result.status < 300) this.ledger.observe(name, parsed);
    return answer(result.status, result.body, headers);
  }

  private async applyFault(
    req: IncomingMessage,
    res: ServerResponse,
    fault: Fault,
    answer: (status: number, payload: unknown, headers: Headers) => Promise<void>,
    recordAs: (status: number) => void,
  ): Promise<void> {
    const kind = fault.kind ?? 'status';
    if (kind === 'status')
      return answer(fault.status ?? 500, fault.body ?? DEFAULT_FAULT_BODY, fault.headers ?? {});
    // Nothing is answered: the request is recorded with status 0.
    recordAs(0);
    if (kind === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    await this.delay();
    req.socket.destroy();
  }

  private stats(): Record<string, unknown> {
    const paths: Record<string, Record<string, number>> = {};
    for (const [path, byStatus] of this.counters) paths[path] = Object.fromEntries(byStatus);
    const groups: Record<string, WindowStats> = {};
    for (const g of RATE_GROUPS) groups[g] = this.limiter.stats(g);
    return {
      requests: this.count(),
      paths,
      groups,
      broadcastPerAudience: this.audiences.stats(),
      latencyMs: this.latencyMs,
      pendingFaults: this.faults.size,
      users: this.store.size,
      evictedUsers: this.store.evictedUsers,
      dispatches: this.store.dispatches.length,
    };
  }

  /** The simulator's own HTTP routes, for out-of-process tests and benchmarks. */
  private async admin(req: IncomingMessage, res: ServerResponse, method: string, url: URL): Promise<void> {
    const path = url.pathname;
    const reply = (status: number, body: unknown): void => {
      if (res.destroyed) return;
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const ok = (): void => reply(200, { message: 'success' });
    const read = await readBody(req, MAX_BODY_BYTES);
    if (read === undefined) return;
    if (read.tooLarge) return reply(413, { message: 'Request Entity Too Large' });
    let body: Record<string, unknown> = {};
    const text = read.raw.toString('utf8');
    if (text.trim().length > 0) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return reply(400, { message: MSG_PARSE });
      }
      if (!isPlainObject(value)) return reply(400, { message: 'The body must be a JSON object' });
      body = value;
    }
    const group = (): RateGroup | undefined =>
      typeof body.group === 'string' && isRateGroup(body.group) ? body.group : undefined;

    try {
      switch (`${method} ${path.slice(ADMIN_PREFIX.length)}`) {
        case 'GET stats':
          return reply(200, this.stats());
        case 'GET events': {
          // How many stored events carry each value of one property (the soak's exactly-once check).
          const property = url.searchParams.get('property');
          if (property === null || property === '')
            return reply(400, { message: "the query parameter 'property' is required" });
          return reply(200, this.store.countEventsByProperty(property));
        }
        case 'GET writes': {
          // How many times each identity or trigger write was accepted (the soak's exactly-once check).
          const kind = url.searchParams.get('kind');
          if (!WRITE_KINDS.includes(kind as WriteKind))
            return reply(400, { message: `'kind' must be one of ${WRITE_KINDS.join(', ')}` });
          const param = kind === 'triggers' ? 'property' : 'label';
          const value = url.searchParams.get(param);
          if (value === null || value === '')
            return reply(400, { message: `the query parameter '${param}' is required with kind=${kind}` });
          return reply(200, this.ledger.report(kind as WriteKind, value));
        }
        case 'POST reset':
          this.reset();
          return ok();
        case 'POST faults': {
          const problem = faultProblem(body);
          if (problem !== undefined) return reply(400, { message: problem });
          this.injectFault(body as Fault);
          return ok();
        }
        case 'DELETE faults':
          this.clearFaults();
          return ok();
        case 'POST usage': {
          const g = group();
          if (g === undefined)
            return reply(400, { message: `'group' must be one of ${RATE_GROUPS.join(', ')}` });
          this.consume(g, body.n as number);
          return ok();
        }
        case 'POST latency':
          this.setLatency(body.ms as number);
          return ok();
        case 'POST rate_limits': {
          const g = group();
          if (g === undefined)
            return reply(400, { message: `'group' must be one of ${RATE_GROUPS.join(', ')}` });
          this.setRateLimit(g, { limit: body.limit as number, windowSec: body.windowSec as number });
          return ok();
        }
        case 'POST broadcast_audience_limit':
          this.setBroadcastPerAudienceLimit({
            limit: body.limit as number,
            windowSec: body.windowSec as number,
          });
          return ok();
        default:
          return reply(404, { message: 'Not Found' });
      }
    } catch (err) {
      // The setters validate their arguments; their message says what is wrong.
      if (err instanceof RangeError || err instanceof TypeError) return reply(400, { message: err.message });
      throw err;
    }
  }
}

/** Starts an embedded Braze REST simulator listening on `host:port` (default 127.0.0.1, ephemeral). */
export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const sim = new BrazeSimulator(opts);
  await sim.listen(opts.host ?? '127.0.0.1', opts.port ?? 0);
  (opts.log ?? (() => {}))('Braze SIMULATOR listening: this is not the real Braze API', {
    url: sim.url,
    contract: opts.contract ?? 'legacy',
  });
  return sim;
}

/** The query string as recorded: one value per key, or every value of a repeated key; none when empty. */
function recordedQuery(params: URLSearchParams): Record<string, string | string[]> | undefined {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    out[key] = values.length === 1 ? values[0]! : values;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}
