import { DEFAULT_RATE_LIMITS, RATE_GROUP_NAMES, rateLimitEnvName } from './budget/groups.js';
import { DEFAULT_LIMITS, LIMIT_ENV } from './security/limits.js';

/**
 * Every environment variable the gateway reads, one row each: its name, its default as a user
 * sees it, one line of meaning, and whether it is a secret. The README's configuration table and
 * `npm start -- --help` are rendered from this table, and a test fails when the README, the
 * table or the code that reads the environment drift apart. Parsing lives in config.ts (and the
 * modules it calls), all with the one number parser of parseEnv.ts.
 */
export interface EnvVar {
  name: string;
  /** The default as shown to a user (`(none)` when unset means "off" or "not used"). */
  default: string;
  doc: string;
  /** Never printed with a value, never logged. */
  secret?: boolean;
}

const rateGroups = RATE_GROUP_NAMES.map((g) => {
  const { limit, windowSec } = DEFAULT_RATE_LIMITS[g];
  const window =
    windowSec % 86_400 === 0
      ? `${windowSec / 86_400}d`
      : windowSec % 3_600 === 0
        ? `${windowSec / 3_600}h`
        : windowSec % 60 === 0
          ? `${windowSec / 60}m`
          : `${windowSec}s`;
  return `\`${rateLimitEnvName(g).slice('RATE_LIMIT_'.length)}\` (${limit}/${window})`;
}).join(', ');

const LIMIT_DOCS: Record<keyof typeof LIMIT_ENV, string> = {
  maxDepth: 'Deepest field nesting of an operation, fragments followed.',
  maxIntrospectionDepth: 'Depth allowed to introspection-only operations.',
  maxCost: 'Most estimated cost of an operation (each field 1, times the lists above it).',
  defaultListSize: 'List size the cost estimate assumes when a list argument is unknown.',
  maxAliases: 'Most aliases in an operation.',
  maxRootFields: 'Most root fields in an operation.',
  maxOperations: 'Most operations in one document.',
  maxDirectivesPerField: 'Most directives on one field.',
  maxListItems: 'Most items in one list argument (events, users…).',
};

export const ENV_VARS: readonly EnvVar[] = [
  { name: 'PORT', default: '4000', doc: 'HTTP port.' },
  { name: 'HOST', default: '0.0.0.0', doc: 'Interface to listen on.' },
  {
    name: 'BRAZE_API_KEY',
    default: '(none)',
    doc: 'Braze REST API key. **Unset → the embedded simulator.** Never logged.',
    secret: true,
  },
  {
    name: 'BRAZE_INSTANCE',
    default: '(none)',
    doc: '`US-01`…`US-08`, `US-10`, `EU-01`, `EU-02`, `AU-01`, `ID-01`, `JP-01`, `KR-01`.',
  },
  {
    name: 'BRAZE_REST_ENDPOINT',
    default: '(none)',
    doc: 'Full REST URL instead of an instance, e.g. `https://rest.iad-03.braze.com`.',
  },
  {
    name: 'BRAZE_CONTRACT',
    default: 'legacy',
    doc: '`legacy` (75 events + 75 purchases + 75 attributes per `/users/track`, 50,000/min), `current` (75 objects in total, 3,000 per 3 s), `mau` (50 objects in total, 3,000 per 3 s).',
  },
  {
    name: 'BRAZE_WORKSPACE',
    default: 'hash of endpoint and key',
    doc: 'Names the Braze workspace in rate-budget keys (set it when several keys share a workspace).',
  },
  {
    name: 'REDIS_URL',
    default: '(none)',
    doc: 'Redis for the rate budget and caches shared by replicas: one node (`redis://[:password@]host:6379[/db]`, `rediss://…`), a Redis Cluster (`redis+cluster://host:port,host:port[?password=…]`) or Sentinel (`redis+sentinel://host:port,host:port?name=mymaster[&password=…][&sentinelPassword=…][&db=N]`). See Redis and replicas.',
  },
  {
    name: 'RATE_LIMIT_<GROUP>',
    default: 'seed defaults',
    doc: `Per-group limit as \`<count>/<window>\`, window in \`s\`, \`m\`, \`h\` or \`d\`, e.g. \`RATE_LIMIT_USERS_TRACK=3000/3s\`. Groups: ${rateGroups}.`,
  },
  {
    name: 'RATE_LIMIT_MESSAGING_BROADCAST_AUDIENCE',
    default: '10/1m',
    doc: 'Broadcast sends per unique audience, on top of `messaging.broadcast`.',
  },
  {
    name: 'RATE_BUDGET_HEADROOM',
    default: '0',
    doc: 'Share of every limit (0–0.9) left to other systems using the workspace.',
  },
  {
    name: 'RATE_BUDGET_REPLICAS',
    default: '1',
    doc: 'Replica count: while Redis is down each replica uses limit ÷ this.',
  },
  {
    name: 'RATE_BUDGET_GUARD_MS',
    default: '250',
    doc: "No budget unit is granted this close to a window's end (at most a tenth of the window), so a request cannot reach Braze in the next window.",
  },
  {
    name: 'BATCH_WINDOW_MS',
    default: '20',
    doc: 'Longest the oldest waiting item of a lane lingers for company before its Braze request is asked for (0–10000).',
  },
  {
    name: 'BATCH_IDLE_MS',
    default: '0',
    doc: "A lane asks for a part-full request once no item arrived for this long and the event loop's current turn has ended (0–10000).",
  },
  {
    name: 'BATCH_MAX_IN_FLIGHT',
    default: '32',
    doc: 'Full requests of one lane out (or waiting for budget) at once; a part-full request waits while any is out. As many as UPSTREAM_CONNECTIONS by default: with 8, 50 callers of 50-id reads waited on each other (31k ids/s; 47k with 32 in one run).',
  },
  {
    name: 'LANE_MAX_ITEMS',
    default: '100000',
    doc: "Items waiting in one endpoint's lanes; past it a newcomer gets `RATE_LIMITED` at once.",
  },
  {
    name: 'BATCHING',
    default: 'on',
    doc: '`off`: one item per Braze request (for comparisons and diagnosis only).',
  },
  {
    name: 'REQUEST_DEADLINE_MS',
    default: '10000',
    doc: 'Longest a GraphQL request waits for Braze (and for rate budget); a caller may send `x-request-deadline-ms` (floored at 100 ms, capped by `REQUEST_DEADLINE_MAX_MS`).',
  },
  {
    name: 'REQUEST_DEADLINE_MAX_MS',
    default: '60000',
    doc: 'Most a caller may ask for with `x-request-deadline-ms`.',
  },
  { name: 'UPSTREAM_CONNECT_TIMEOUT_MS', default: '5000', doc: 'Connect timeout to Braze.' },
  { name: 'UPSTREAM_HEADERS_TIMEOUT_MS', default: '30000', doc: 'Time to the response headers.' },
  { name: 'UPSTREAM_BODY_TIMEOUT_MS', default: '30000', doc: 'Time between response body chunks.' },
  { name: 'UPSTREAM_CONNECTIONS', default: '32', doc: 'Keep-alive connections to the Braze host.' },
  {
    name: 'UPSTREAM_BREAKER_THRESHOLD',
    default: '5',
    doc: 'Consecutive failures that open the circuit to Braze (0 turns the breaker off).',
  },
  {
    name: 'UPSTREAM_BREAKER_COOLDOWN_MS',
    default: '5000',
    doc: 'How long an open circuit fails fast before one trial call.',
  },
  {
    name: 'MAX_UPSTREAM_BODY_BYTES',
    default: '4000000',
    doc: 'Largest `/users/track` body built (Braze accepts 4 MB).',
  },
  {
    name: 'MAX_REQUEST_BODY_BYTES',
    default: '5000000',
    doc: 'Largest GraphQL request body accepted (413 above).',
  },
  {
    name: 'CATALOG_CACHE_TTL_MS',
    default: '600000',
    doc: 'How long catalog list pages (campaigns, Canvases, segments, event names, product ids) and campaign, Canvas and segment details are cached (shared through Redis when configured).',
  },
  {
    name: 'SHUTDOWN_DELAY_MS',
    default: '0',
    doc: 'On SIGTERM, keep serving this long while `/readyz` already answers 503 (so load balancers stop sending), then drain. Match it to a Kubernetes preStop delay.',
  },
  {
    name: 'USER_CACHE_TTL_SECONDS',
    default: '0',
    doc: 'Profiles read by `user`/`users` kept this many seconds (shared through Redis when configured); 0 = off. Reads may then lag writes by up to this much (see Users by email and phone).',
  },
  {
    name: 'ANALYTICS_CACHE_TTL_MS',
    default: '60000',
    doc: 'How long analytics series (KPIs, campaign, Canvas, segment, send, session and event series) are cached, per query arguments, shared through Redis when configured (see Analytics).',
  },
  {
    name: 'APQ_TTL_SECONDS',
    default: '86400',
    doc: 'How long a document registered by automatic persisted queries (APQ) is kept, shared through Redis when configured (at most 2592000); 0 = APQ off, clients then send full queries (see Running in production).',
  },
  {
    name: 'GATEWAY_PUBLIC_URL',
    default: '(none)',
    doc: "The gateway's URL as Braze can reach it, e.g. `https://braze-gateway.example.com`: segment exports then ask Braze to call the gateway back when done, so their status turns `COMPLETED` (see Segment exports).",
  },
  {
    name: 'GATEWAY_KEYS',
    default: '(none)',
    doc: 'Gateway keys, one `name:sha256:permissions[:allowIps]` per line or `;`-separated (only hashes: see Security).',
    secret: true,
  },
  {
    name: 'GATEWAY_KEYS_FILE',
    default: '(none)',
    doc: 'A JSON file of gateway keys (`name`, `sha256`, `permissions`, `allowIps`, `shares`).',
  },
  {
    name: 'GATEWAY_SHARES',
    default: '(none)',
    doc: 'Fair shares of the rate budget per caller (key name, or `anonymous` when open) and group, e.g. `frontend:users.track=70,*=50; backoffice-bulk:users.track=30`; unlisted callers weigh 1. Off when none is set (see Fair shares).',
  },
  {
    name: 'GATEWAY_ALLOW_ANONYMOUS',
    default: 'false',
    doc: '`true` lets the gateway run open (no keys) with `NODE_ENV=production`.',
  },
  {
    name: 'GATEWAY_TRUSTED_PROXIES',
    default: '(none)',
    doc: 'Addresses or CIDRs whose `X-Forwarded-For` is believed for IP allowlists.',
  },
  {
    name: 'CORS_ORIGINS',
    default: '(none)',
    doc: 'Comma-separated exact origins (`scheme://host[:port]`) whose browser pages may call `/graphql`, e.g. `https://app.example.com,http://localhost:5173`; none: no cross-origin access (see Browser frontends).',
  },
  {
    name: 'NODE_ENV',
    default: '(none)',
    doc: '`production`: introspection and playground off by default, open access refused.',
  },
  { name: 'GRAPHQL_INTROSPECTION', default: 'on (off in production)', doc: '`on` or `off`.' },
  {
    name: 'PLAYGROUND',
    default: 'auto (off in production)',
    doc: 'The browser playground on `GET /graphql`: `auto`, `graphiql`, `basic` or `off`.',
  },
  ...(Object.entries(LIMIT_ENV) as Array<[keyof typeof LIMIT_ENV, string]>).map(([option, name]) => ({
    name,
    default: String(DEFAULT_LIMITS[option]),
    doc: LIMIT_DOCS[option],
  })),
  {
    name: 'LOG_LEVEL',
    default: 'info',
    doc: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`.',
  },
  {
    name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    default: '(none)',
    doc: 'An OpenTelemetry collector (OTLP/HTTP), e.g. `http://otel-collector:4318`: **set → tracing on**, spans sent to `<endpoint>/v1/traces` (see Tracing). Unset (and no `OTEL_TRACES_EXPORTER`): tracing off, the SDK not even loaded.',
  },
  {
    name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    default: '(none)',
    doc: 'The full OTLP/HTTP traces URL instead (used as given); also turns tracing on.',
  },
  {
    name: 'OTEL_TRACES_EXPORTER',
    default: 'otlp if an endpoint is set, else none',
    doc: '`otlp` (to the endpoint above, `http://localhost:4318` when none is set), `console` (spans on stdout, to have a look) or `none` (tracing off whatever else is set).',
  },
  {
    name: 'OTEL_SERVICE_NAME',
    default: 'braze-graphql-gateway',
    doc: "The spans' `service.name`.",
  },
  {
    name: 'OTEL_TRACES_SAMPLER',
    default: 'parentbased_always_on',
    doc: "Which traces are kept: `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio`, `always_on`, `always_off` or `traceidratio`. `parentbased_…` follows the sampled flag of a caller's `traceparent`.",
  },
  {
    name: 'OTEL_TRACES_SAMPLER_ARG',
    default: '1',
    doc: 'The share of new traces the `…traceidratio` samplers keep (0–1), e.g. `0.1`.',
  },
  {
    name: 'SIMULATOR_LATENCY_MS',
    default: '0',
    doc: 'Simulator only: delay added to each simulated Braze answer.',
  },
  {
    name: 'SIMULATOR_MAX_USERS',
    default: '100000',
    doc: 'Simulator only: users kept in memory; beyond it the user created longest ago is forgotten, so a long-running simulator stays within bounded memory.',
  },
  {
    name: 'SIMULATOR_MAX_HISTORY_PER_USER',
    default: '1000',
    doc: 'Simulator only: raw events and purchases kept per user (each; trimmed back to it an eighth at a time), and distinct event names and product ids counted per user; oldest first beyond it.',
  },
];

/** The README's configuration table (Markdown). */
export function renderEnvTable(): string {
  // A value in code font; a default said in words ("seed defaults", "(none)") as plain text.
  const shown = (d: string) => (d.startsWith('(') || d.includes(' ') ? d : `\`${d}\``);
  const rows = ENV_VARS.map((v) => `| \`${v.name}\` | ${shown(v.default)} | ${v.doc} |`);
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** `--help`: the same table as plain text. */
export function renderEnvHelp(): string {
  const width = Math.max(...ENV_VARS.map((v) => v.name.length));
  const plain = (s: string) => s.replace(/\*\*|`/g, '');
  return [
    'braze-graphql-gateway: a GraphQL gateway over the Braze REST API.',
    'Configured by environment variables (default in brackets):',
    '',
    ...ENV_VARS.map((v) => `  ${v.name.padEnd(width)}  ${plain(v.doc)} [${plain(v.default)}]`),
    '',
  ].join('\n');
}
