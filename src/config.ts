import { parseRedisUrl } from './budget/redisConnection.js';
import { createHash } from 'node:crypto';
import { RATE_GROUP_NAMES, rateLimitEnvName, type RateGroupName, type RateLimit } from './budget/groups.js';
import { ANONYMOUS_CALLER, parseShares, type Shares } from './budget/shares.js';
import { CONTRACT_NAMES, effectiveRateLimits, isContractName, type ContractName } from './braze/contracts.js';
import { BRAZE_INSTANCES, normaliseInstanceName } from './braze/instances.js';
import type { BlockList } from 'node:net';
import { loadGatewayAuth, type GatewayAuthConfig } from './security/keyStore.js';
import { parseTrustedProxies } from './security/authentication.js';
import { limitsFromEnv, type LimitOptions } from './security/limits.js';
import { parseCorsOrigins } from './http/cors.js';
import { parseWholeNumber } from './parseEnv.js';

/**
 * Configuration: the environment, read once at start-up into a typed, validated object.
 * Every bad value produces one message that names the variable, the value and what was expected;
 * all messages are reported together so a user fixes them in one go.
 */

export interface UpstreamConfig {
  /** Braze REST endpoint, e.g. https://rest.iad-03.braze.com (or the simulator's URL). */
  restEndpoint: string;
  /** The REST API key. Never logged, never echoed. */
  apiKey: string;
  /** TCP connect timeout. */
  connectTimeoutMs: number;
  /** Time to wait for the response headers once the request is sent. */
  headersTimeoutMs: number;
  /** Time allowed between body chunks of the response. */
  bodyTimeoutMs: number;
  /** Most keep-alive connections per Braze host. */
  connections: number;
}

/** OTEL_TRACES_SAMPLER values the gateway supports (the SDK's, less those needing a remote service). */
export const TRACES_SAMPLERS = [
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'always_on',
  'always_off',
  'traceidratio',
] as const;
export type TracesSampler = (typeof TRACES_SAMPLERS)[number];

/** OpenTelemetry tracing, from the standard OTEL_* variables (README "Tracing"). */
export interface TracingConfig {
  /** Where spans go; `none`: tracing off, the SDK never loaded. */
  exporter: 'otlp' | 'console' | 'none';
  /** The OTLP/HTTP traces URL (`…/v1/traces`), for `otlp`. */
  otlpTracesUrl: string;
  serviceName: string;
  sampler: TracesSampler;
  /** The ratio of the `…traceidratio` samplers, 0–1. */
  samplerRatio: number;
}

export interface Config {
  port: number;
  host: string;
  /** `simulator` when no BRAZE_API_KEY is set: an embedded Braze stands in. */
  mode: 'braze' | 'simulator';
  /** Instance name when one was configured (US-03…), for the log. */
  instance: string | undefined;
  /** Upstream settings; in simulator mode the endpoint and key are filled in at start-up. */
  upstream: Omit<UpstreamConfig, 'restEndpoint' | 'apiKey'> & { restEndpoint?: string; apiKey?: string };
  contract: ContractName;
  /** Identifies the Braze workspace in budget keys; never the key itself. */
  workspaceId: string;
  /**
   * True when BRAZE_WORKSPACE is unset and a real key is: the id then derives from the key, so
   * two keys of one workspace count apart (the gateway warns at start-up when REDIS_URL is set).
   */
  workspaceFromKey: boolean;
  redisUrl: string | undefined;
  /** Longest the oldest item of a lane lingers for company before its request is asked for. */
  batchWindowMs: number;
  /** A lane asks for a part-full request once no item arrived for this long and the event-loop turn ended. */
  batchIdleMs: number;
  /** Full requests of one lane out (or waiting for budget) at once; a part-full one waits for none. */
  batchMaxInFlight: number;
  /** Items waiting in one endpoint's lanes; past it a newcomer gets RATE_LIMITED at once. */
  laneMaxItems: number;
  /** `off`: one item per Braze request everywhere (for comparisons and diagnosis only). */
  batching: 'on' | 'off';
  /** Default deadline for one GraphQL request: the longest it waits for a rate budget or Braze. */
  requestDeadlineMs: number;
  /** Effective limit per rate group: seed default < contract profile < RATE_LIMIT_<GROUP>. */
  rateLimits: Record<RateGroupName, RateLimit>;
  /** Broadcasts: limit per unique audience, on top of messaging.broadcast (10/min). */
  perAudienceLimit: RateLimit;
  budget: {
    /** Share of every limit (0–0.9) left to other systems using the same workspace. */
    headroom: number;
    /** Replicas to assume while Redis is down (each then uses limit ÷ replicas). */
    replicas: number;
    /** No unit is granted this close to a window's end. */
    guardMs: number;
  };
  /** Most a client may ask for with the `x-request-deadline-ms` header. */
  maxRequestDeadlineMs: number;
  /** How long catalog lists (custom events, product ids) are cached. */
  catalogCacheTtlMs: number;
  /** On SIGTERM, keep serving this long with /readyz at 503 before draining (a preStop delay). */
  shutdownDelayMs: number;
  /** Profiles read through /users/export/ids kept this long (0: not cached). */
  userCacheTtlSeconds: number;
  /** How long analytics data series (KPIs, campaign, Canvas… series) are cached. */
  analyticsCacheTtlMs: number;
  /** How long an automatic persisted query (APQ) document is kept; 0 turns APQ off. */
  apqTtlSeconds: number;
  /**
   * The gateway's base URL as Braze can reach it; when set, segment exports ask Braze to call
   * `<publicUrl>/callbacks/segment-export/…` on completion.
   */
  publicUrl: string | undefined;
  /** Circuit breaker per Braze host. */
  breaker: { threshold: number; cooldownMs: number };
  /** Gateway keys (hashed) and whether the gateway runs open. */
  auth: GatewayAuthConfig;
  /** Fair shares of the budget per caller and group (GATEWAY_SHARES, keys' `shares`); undefined: off. */
  shares: Shares | undefined;
  /** Proxies whose X-Forwarded-For is believed for IP allowlists. */
  trustedProxies: BlockList | undefined;
  /** Origins (`scheme://host[:port]`) whose browser pages may call /graphql; none by default. */
  corsOrigins: readonly string[];
  /** Depth, cost, alias, list-length… limits per GraphQL request. */
  limits: LimitOptions;
  /** Introspection: on outside production unless set. */
  introspection: boolean;
  /** The browser playground on GET /graphql: auto (GraphiQL if installed), graphiql, basic or off. */
  playground: 'auto' | 'graphiql' | 'basic' | 'off';
  production: boolean;
  /** Largest /users/track body the packer builds (Braze's cap is 4 MB). */
  maxUpstreamBodyBytes: number;
  /** Largest GraphQL request body accepted. */
  maxRequestBodyBytes: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Simulator-only: latency added to each simulated Braze answer. */
  simulatorLatencyMs: number;
  /** Simulator only: users kept, and raw events/purchases and distinct names kept per user. */
  simulatorMaxUsers: number;
  simulatorMaxHistoryPerUser: number;
  tracing: TracingConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const WINDOW_UNITS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Broadcasts also have a limit per unique audience (docs/braze-facts.md §2 row 6). */
const PER_AUDIENCE_ENV = 'RATE_LIMIT_MESSAGING_BROADCAST_AUDIENCE';
const PER_AUDIENCE_DEFAULT: RateLimit = { limit: 10, windowSec: 60 };

function rateLimitProblem(name: string, raw: string): string {
  return `${name}=${JSON.stringify(raw)} is not valid: expected <count>/<window> with the window in s, m, h or d, e.g. ${name}=50000/1m or ${name}=3000/3s.`;
}

/** Parse `<count>/<window>`, e.g. `50000/1m`, `3000/3s`, `100/d`. */
export function parseRateLimit(raw: string): RateLimit | undefined {
  const m = /^\s*(\d+)\s*\/\s*(\d*)\s*([smhd])\s*$/.exec(raw);
  if (!m) return undefined;
  const limit = Number(m[1]);
  const windowSec = Number(m[2] === '' ? 1 : m[2]) * WINDOW_UNITS[m[3]!]!;
  if (!Number.isSafeInteger(limit) || limit < 1 || windowSec < 1) return undefined;
  return { limit, windowSec };
}

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];

  /** A whole number in [min, max], or the default when unset. */
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return def;
    const n = parseWholeNumber(raw);
    if (n === undefined || n < min || n > max) {
      problems.push(
        `${name}=${JSON.stringify(raw)} is not valid: expected a whole number from ${min} to ${max}.`,
      );
      return def;
    }
    return n;
  };
  const onOff = (name: string, def: 'on' | 'off'): 'on' | 'off' => {
    const raw = str(name)?.toLowerCase();
    if (raw === undefined) return def;
    if (raw === 'on' || raw === 'off') return raw;
    problems.push(`${name}=${JSON.stringify(raw)} is not valid: expected on or off.`);
    return def;
  };
  /** A number in [0, max], or the default when unset. */
  const fraction = (name: string, def: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return def;
    const n = Number(raw.trim());
    if (!Number.isFinite(n) || n < 0 || n > max) {
      problems.push(
        `${name}=${JSON.stringify(raw)} is not valid: expected a number from 0 to ${max}, e.g. 0.1 for 10%.`,
      );
      return def;
    }
    return n;
  };
  const str = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };

  const port = int('PORT', 4000, 0, 65_535);
  const host = str('HOST') ?? '0.0.0.0';

  // Contract profile.
  const contractRaw = str('BRAZE_CONTRACT') ?? 'legacy';
  let contract: ContractName = 'legacy';
  if (isContractName(contractRaw.toLowerCase())) contract = contractRaw.toLowerCase() as ContractName;
  else
    problems.push(
      `BRAZE_CONTRACT=${JSON.stringify(contractRaw)} is not a known contract: expected one of ${CONTRACT_NAMES.join(', ')}.`,
    );

  // Upstream: instance or URL, and the key.
  const apiKey = str('BRAZE_API_KEY');
  const instanceRaw = str('BRAZE_INSTANCE');
  const endpointRaw = str('BRAZE_REST_ENDPOINT');
  let instance: string | undefined;
  let restEndpoint: string | undefined;
  if (instanceRaw !== undefined && endpointRaw !== undefined) {
    problems.push('BRAZE_INSTANCE and BRAZE_REST_ENDPOINT are both set: set one of them.');
  } else if (instanceRaw !== undefined) {
    instance = normaliseInstanceName(instanceRaw);
    restEndpoint = BRAZE_INSTANCES[instance];
    if (restEndpoint === undefined) {
      problems.push(
        `BRAZE_INSTANCE=${JSON.stringify(instanceRaw)} is not a known Braze instance: expected one of ${Object.keys(BRAZE_INSTANCES).join(', ')}, or set BRAZE_REST_ENDPOINT to the full REST URL.`,
      );
    }
  } else if (endpointRaw !== undefined) {
    restEndpoint = parseEndpointUrl(endpointRaw, problems);
  }
  if (apiKey === undefined && restEndpoint !== undefined) {
    problems.push(
      `${instanceRaw !== undefined ? 'BRAZE_INSTANCE' : 'BRAZE_REST_ENDPOINT'} is set but BRAZE_API_KEY is not: set the key, or unset it to run on the embedded simulator.`,
    );
  }
  if (
    apiKey !== undefined &&
    restEndpoint === undefined &&
    instanceRaw === undefined &&
    endpointRaw === undefined
  ) {
    problems.push(
      'BRAZE_API_KEY is set but neither BRAZE_INSTANCE (e.g. US-03) nor BRAZE_REST_ENDPOINT is: a key only works on its own instance.',
    );
  }
  if (apiKey !== undefined && /\s/.test(apiKey)) {
    problems.push('BRAZE_API_KEY contains white space or quotes around it: give the bare key.');
  } else if (apiKey !== undefined && /^["']|["']$/.test(apiKey)) {
    problems.push('BRAZE_API_KEY contains white space or quotes around it: give the bare key.');
  }

  // Rate limits: defaults, then the contract, then RATE_LIMIT_<GROUP>.
  const overrides: Partial<Record<RateGroupName, RateLimit>> = {};
  const knownEnv = new Map(RATE_GROUP_NAMES.map((g) => [rateLimitEnvName(g), g] as const));
  let perAudienceLimit: RateLimit = PER_AUDIENCE_DEFAULT;
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('RATE_LIMIT_') || raw === undefined) continue;
    if (name === PER_AUDIENCE_ENV) {
      const parsed = parseRateLimit(raw);
      if (parsed === undefined) problems.push(rateLimitProblem(name, raw));
      else perAudienceLimit = parsed;
      continue;
    }
    const group = knownEnv.get(name);
    if (group === undefined) {
      problems.push(`${name} names no rate group: expected one of ${[...knownEnv.keys()].join(', ')}.`);
      continue;
    }
    const parsed = parseRateLimit(raw);
    if (parsed === undefined) {
      problems.push(rateLimitProblem(name, raw));
      continue;
    }
    overrides[group] = parsed;
  }

  const redisUrl = str('REDIS_URL');
  const redisProblem = redisUrl === undefined ? undefined : parseRedisUrl(redisUrl);
  if (typeof redisProblem === 'string') problems.push(redisProblem);

  const logLevelRaw = (str('LOG_LEVEL') ?? 'info').toLowerCase();
  const logLevel = (LOG_LEVELS as readonly string[]).includes(logLevelRaw)
    ? (logLevelRaw as Config['logLevel'])
    : (problems.push(
        `LOG_LEVEL=${JSON.stringify(logLevelRaw)} is not valid: expected one of ${LOG_LEVELS.join(', ')}.`,
      ),
      'info');

  const production = env.NODE_ENV === 'production';
  const auth = loadGatewayAuth(env);
  problems.push(...auth.problems);
  const shares = parseShares(
    str('GATEWAY_SHARES'),
    auth.open ? [ANONYMOUS_CALLER] : auth.keys.map((k) => k.name),
    new Map(auth.keys.flatMap((k) => (k.shares === undefined ? [] : [[k.name, k.shares] as const]))),
  );
  problems.push(...shares.problems);
  const proxies = parseTrustedProxies(env);
  problems.push(...proxies.problems);
  const cors = parseCorsOrigins(str('CORS_ORIGINS'));
  problems.push(...cors.problems);
  const limits = limitsFromEnv(env);
  problems.push(...limits.problems);
  const introspection = onOff('GRAPHQL_INTROSPECTION', production ? 'off' : 'on') === 'on';
  const playgroundRaw = (str('PLAYGROUND') ?? (production ? 'off' : 'auto')).toLowerCase();
  const playground = (['auto', 'graphiql', 'basic', 'off'] as const).find((p) => p === playgroundRaw);
  if (playground === undefined) {
    problems.push(
      `PLAYGROUND=${JSON.stringify(playgroundRaw)} is not valid: expected auto, graphiql, basic or off.`,
    );
  }

  const tracing = tracingConfig(
    {
      exporter: str('OTEL_TRACES_EXPORTER'),
      endpoint: str('OTEL_EXPORTER_OTLP_ENDPOINT'),
      tracesEndpoint: str('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
      serviceName: str('OTEL_SERVICE_NAME'),
      sampler: str('OTEL_TRACES_SAMPLER'),
      samplerArg: str('OTEL_TRACES_SAMPLER_ARG'),
    },
    problems,
  );

  const config: Config = {
    port,
    host,
    mode: apiKey === undefined ? 'simulator' : 'braze',
    instance,
    upstream: {
      restEndpoint,
      apiKey,
      connectTimeoutMs: int('UPSTREAM_CONNECT_TIMEOUT_MS', 5_000, 1, 600_000),
      headersTimeoutMs: int('UPSTREAM_HEADERS_TIMEOUT_MS', 30_000, 1, 600_000),
      bodyTimeoutMs: int('UPSTREAM_BODY_TIMEOUT_MS', 30_000, 1, 600_000),
      connections: int('UPSTREAM_CONNECTIONS', 32, 1, 1_024),
    },
    contract,
    workspaceId: str('BRAZE_WORKSPACE') ?? defaultWorkspaceId(restEndpoint, apiKey),
    workspaceFromKey: str('BRAZE_WORKSPACE') === undefined && apiKey !== undefined,
    redisUrl,
    batchWindowMs: int('BATCH_WINDOW_MS', 20, 0, 10_000),
    batchIdleMs: int('BATCH_IDLE_MS', 0, 0, 10_000),
    batchMaxInFlight: int('BATCH_MAX_IN_FLIGHT', 32, 1, 1_000),
    laneMaxItems: int('LANE_MAX_ITEMS', 100_000, 100, 10_000_000),
    batching: onOff('BATCHING', 'on'),
    requestDeadlineMs: int('REQUEST_DEADLINE_MS', 10_000, 100, 600_000),
    rateLimits: effectiveRateLimits(contract, overrides),
    perAudienceLimit,
    budget: {
      headroom: fraction('RATE_BUDGET_HEADROOM', 0, 0.9),
      replicas: int('RATE_BUDGET_REPLICAS', 1, 1, 1_000),
      guardMs: int('RATE_BUDGET_GUARD_MS', 250, 0, 10_000),
    },
    maxRequestDeadlineMs: int('REQUEST_DEADLINE_MAX_MS', 60_000, 100, 3_600_000),
    catalogCacheTtlMs: int('CATALOG_CACHE_TTL_MS', 600_000, 1_000, 86_400_000),
    userCacheTtlSeconds: int('USER_CACHE_TTL_SECONDS', 0, 0, 3_600),
    shutdownDelayMs: int('SHUTDOWN_DELAY_MS', 0, 0, 120_000),
    analyticsCacheTtlMs: int('ANALYTICS_CACHE_TTL_MS', 60_000, 1_000, 86_400_000),
    apqTtlSeconds: int('APQ_TTL_SECONDS', 86_400, 0, 2_592_000),
    publicUrl: parsePublicUrl(str('GATEWAY_PUBLIC_URL'), problems),
    breaker: {
      threshold: int('UPSTREAM_BREAKER_THRESHOLD', 5, 0, 1_000),
      cooldownMs: int('UPSTREAM_BREAKER_COOLDOWN_MS', 5_000, 100, 600_000),
    },
    auth,
    shares: shares.shares,
    trustedProxies: proxies.trusted,
    corsOrigins: cors.origins,
    limits: limits.limits,
    introspection,
    playground: playground ?? 'auto',
    production,
    maxUpstreamBodyBytes: int('MAX_UPSTREAM_BODY_BYTES', 4_000_000, 10_000, 4_000_000),
    maxRequestBodyBytes: int('MAX_REQUEST_BODY_BYTES', 5_000_000, 1_000, 100_000_000),
    logLevel,
    simulatorLatencyMs: int('SIMULATOR_LATENCY_MS', 0, 0, 60_000),
    simulatorMaxUsers: int('SIMULATOR_MAX_USERS', 100_000, 1, 100_000_000),
    simulatorMaxHistoryPerUser: int('SIMULATOR_MAX_HISTORY_PER_USER', 1_000, 1, 1_000_000),
    tracing,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The OTLP/HTTP port collectors listen on, where OTEL_TRACES_EXPORTER=otlp sends by default. */
const OTLP_DEFAULT_ENDPOINT = 'http://localhost:4318';

/**
 * Tracing is on when OTEL_TRACES_EXPORTER says `otlp` or `console`, or, with it unset, when an
 * OTLP endpoint is given; `none` turns it off whatever else is set. The traces endpoint is used
 * as given; the general one gets `/v1/traces` appended, as the OpenTelemetry spec says.
 */
function tracingConfig(
  raw: {
    exporter: string | undefined;
    endpoint: string | undefined;
    tracesEndpoint: string | undefined;
    serviceName: string | undefined;
    sampler: string | undefined;
    samplerArg: string | undefined;
  },
  problems: string[],
): TracingConfig {
  const exporterRaw = raw.exporter?.toLowerCase();
  let exporter: TracingConfig['exporter'] =
    raw.endpoint !== undefined || raw.tracesEndpoint !== undefined ? 'otlp' : 'none';
  if (exporterRaw === 'otlp' || exporterRaw === 'console' || exporterRaw === 'none') exporter = exporterRaw;
  else if (exporterRaw !== undefined) {
    problems.push(
      `OTEL_TRACES_EXPORTER=${JSON.stringify(raw.exporter)} is not valid: expected otlp, console or none.`,
    );
  }
  const httpUrl = (name: string, value: string): string | undefined => {
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
    } catch {
      // reported below
    }
    problems.push(
      `${name}=${JSON.stringify(value)} is not valid: expected an http(s) URL of an OTLP/HTTP collector, e.g. http://otel-collector:4318.`,
    );
    return undefined;
  };
  let otlpTracesUrl = `${OTLP_DEFAULT_ENDPOINT}/v1/traces`;
  if (raw.tracesEndpoint !== undefined) {
    otlpTracesUrl = httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', raw.tracesEndpoint) ?? otlpTracesUrl;
  } else if (raw.endpoint !== undefined) {
    const base = httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', raw.endpoint);
    if (base !== undefined) otlpTracesUrl = `${base.replace(/\/+$/, '')}/v1/traces`;
  }
  const samplerRaw = raw.sampler?.toLowerCase() ?? 'parentbased_always_on';
  const sampler = TRACES_SAMPLERS.find((s) => s === samplerRaw);
  if (sampler === undefined) {
    problems.push(
      `OTEL_TRACES_SAMPLER=${JSON.stringify(raw.sampler)} is not valid: expected one of ${TRACES_SAMPLERS.join(', ')}.`,
    );
  }
  let samplerRatio = 1;
  if (raw.samplerArg !== undefined) {
    const n = Number(raw.samplerArg);
    if (!Number.isFinite(n) || n < 0 || n > 1) {
      problems.push(
        `OTEL_TRACES_SAMPLER_ARG=${JSON.stringify(raw.samplerArg)} is not valid: expected a ratio from 0 to 1, e.g. 0.1 for 10% of traces.`,
      );
    } else samplerRatio = n;
  }
  return {
    exporter,
    otlpTracesUrl,
    serviceName: raw.serviceName ?? 'braze-graphql-gateway',
    sampler: sampler ?? 'parentbased_always_on',
    samplerRatio,
  };
}

function parseEndpointUrl(raw: string, problems: string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(
      `BRAZE_REST_ENDPOINT=${JSON.stringify(raw)} is not a URL: expected e.g. https://rest.iad-03.braze.com.`,
    );
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    problems.push(
      `BRAZE_REST_ENDPOINT=${JSON.stringify(raw)} must use https:// (or http:// for a local stand-in).`,
    );
    return undefined;
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '') {
    problems.push(
      `BRAZE_REST_ENDPOINT=${JSON.stringify(raw)} must be the bare origin, e.g. ${url.origin}, without a path.`,
    );
    return undefined;
  }
  return url.origin;
}

/** GATEWAY_PUBLIC_URL: an http(s) URL, maybe with a path prefix, without query; no trailing slash. */
function parsePublicUrl(raw: string | undefined, problems: string[]): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    problems.push(
      `GATEWAY_PUBLIC_URL=${JSON.stringify(raw)} is not valid: expected the gateway's URL as Braze reaches it, e.g. https://braze-gateway.example.com (a path prefix is allowed, a query is not).`,
    );
    return undefined;
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * Budgets are per Braze workspace. Without BRAZE_WORKSPACE, a workspace is told apart by a short
 * hash of its endpoint and key: replicas sharing a key share a budget, and the key itself never
 * reaches Redis.
 */
function defaultWorkspaceId(restEndpoint: string | undefined, apiKey: string | undefined): string {
  if (apiKey === undefined) return 'simulator';
  return createHash('sha256')
    .update(`${restEndpoint ?? ''}\n${apiKey}`)
    .digest('hex')
    .slice(0, 16);
}
