import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CONTRACT_NAMES, CONTRACTS, effectiveRateLimits } from '../src/braze/contracts.js';
import { ENDPOINTS, broadcastAudience, isBroadcastBody, type EndpointSpec } from '../src/braze/endpoints.js';
import { DEFAULT_RATE_LIMITS, RATE_GROUP_NAMES } from '../src/budget/groups.js';
import { loadConfig } from '../src/config.js';
import {
  CONTRACT_NAMES as SIM_CONTRACT_NAMES,
  CONTRACTS as SIM_CONTRACTS,
  ENDPOINT_RULES,
  MAX_BODY_BYTES,
  PER_AUDIENCE_LIMIT,
  RATE_GROUPS,
  audienceKey,
  endpointAt,
  groupOf,
  isBroadcast,
  limitsFor,
  type EndpointName as SimEndpointName,
  type EndpointRule,
} from '../src/simulator/brazeRules.js';
import { reply, useSimulators } from './simulatorHarness.js';

/**
 * The simulator holds its own copy of Braze's rules (src/simulator/brazeRules.ts) so that it can
 * check the gateway rather than agree with it (DESIGN.md "Layout"; issue 12). This file keeps
 * that true in three ways:
 *
 * 1. src/simulator imports no runtime value from src/braze, src/budget or src/security.
 * 2. Where the two copies must agree (paths → groups, default limits, contracts, per-request
 *    maxima, the broadcast rule, the per-audience key), they are compared, so a wrong row on
 *    either side fails here. Where they legitimately differ, the difference is spelled out.
 * 3. Over real HTTP, the simulator answers with the limits docs/braze-facts.md §2 states, written
 *    out below from the facts, not read from either table.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SIMULATOR_DIR = path.join(ROOT, 'src', 'simulator');
const GATEWAY_DIRS = ['braze', 'budget', 'security'].map((d) => path.join(ROOT, 'src', d));

interface Offence {
  file: string;
  line: number;
  statement: string;
  why: string;
}

/**
 * Every statement of `source` (a file at `file`) that would load a module of src/braze,
 * src/budget or src/security at run time. Only `import type` / `export type` are allowed:
 * under `verbatimModuleSyntax` even `import { type X }` stays in the output and loads the module.
 */
function gatewayRuntimeImports(file: string, source: string): Offence[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true);
  const offences: Offence[] = [];
  const intoGateway = (specifier: string): boolean => {
    if (!specifier.startsWith('.')) return false;
    const target = path.resolve(path.dirname(file), specifier);
    return GATEWAY_DIRS.some((dir) => target === dir || target.startsWith(dir + path.sep));
  };
  const offend = (node: ts.Node, why: string): void => {
    offences.push({
      file: path.relative(ROOT, file),
      line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1,
      statement: node.getText(sf).replace(/\s+/g, ' '),
      why,
    });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      if (intoGateway(node.moduleSpecifier.text) && node.importClause?.isTypeOnly !== true) {
        offend(
          node,
          node.importClause === undefined
            ? 'a side-effect import runs the module'
            : 'only `import type` is allowed (an inline `type` still loads the module)',
        );
      }
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      if (intoGateway(node.moduleSpecifier.text) && !node.isTypeOnly) {
        offend(node, 'only `export type` is allowed');
      }
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      if (intoGateway(node.moduleReference.expression.text) && !node.isTypeOnly) {
        offend(node, '`import = require()` loads the module');
      }
    } else if (ts.isCallExpression(node)) {
      const [arg] = node.arguments;
      const loads =
        node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require');
      if (loads && arg !== undefined && ts.isStringLiteralLike(arg) && intoGateway(arg.text)) {
        offend(node, 'a dynamic import or require() loads the module');
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return offences;
}

function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return tsFilesUnder(full);
    return entry.isFile() && entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('src/simulator imports no runtime value from the gateway', () => {
  it('the checker flags every way of loading a gateway module and lets `import type` through', () => {
    const routeFile = path.join(SIMULATOR_DIR, 'routes', 'example.ts');
    const flagged = (source: string, file = path.join(SIMULATOR_DIR, 'example.ts')): string[] =>
      gatewayRuntimeImports(file, source).map((o) => o.why);

    expect(flagged("import { ENDPOINTS } from '../braze/endpoints.js';")).toHaveLength(1);
    expect(flagged("import { type EndpointName, ENDPOINTS } from '../braze/endpoints.js';")).toHaveLength(1);
    expect(flagged("import { type EndpointName } from '../braze/endpoints.js';")).toHaveLength(1);
    expect(flagged("import * as groups from '../budget/groups.js';")).toHaveLength(1);
    expect(flagged("import '../security/keys.js';")).toEqual(['a side-effect import runs the module']);
    expect(flagged("export { CONTRACTS } from '../braze/contracts.js';")).toHaveLength(1);
    expect(flagged("export * from '../budget/index.js';")).toHaveLength(1);
    expect(flagged("const g = await import('../budget/groups.js');")).toHaveLength(1);
    expect(flagged("import groups = require('../budget/groups.js');")).toHaveLength(1);
    expect(flagged("import { ENDPOINTS } from '../../braze/endpoints.js';", routeFile)).toHaveLength(1);
    expect(flagged("import { X } from '../braze';")).toHaveLength(1);

    expect(flagged("import type { WireUserAlias } from '../braze/wire.js';")).toEqual([]);
    expect(flagged("import type { WireExportedUser } from '../../braze/wire.js';", routeFile)).toEqual([]);
    expect(flagged("export type { RateLimit } from '../budget/groups.js';")).toEqual([]);
    expect(flagged("type Endpoints = typeof import('../braze/endpoints.js');")).toEqual([]);
    expect(flagged("import { ROUTES } from './routes/index.js';")).toEqual([]);
    // Not the gateway's folders: src/simulator's own files, and a sibling with a similar name.
    expect(flagged("import { x } from '../brazeRules.js';", routeFile)).toEqual([]);
    expect(flagged("import { x } from '../braze-old/endpoints.js';")).toEqual([]);
  });

  it('holds for every file of src/simulator', () => {
    const files = tsFilesUnder(SIMULATOR_DIR);
    // The scan must see the simulator, or it would pass on nothing.
    expect(files.map((f) => path.relative(SIMULATOR_DIR, f))).toEqual(
      expect.arrayContaining([
        'server.ts',
        'brazeRules.ts',
        'rateLimits.ts',
        path.join('routes', 'index.ts'),
      ]),
    );
    const offences = files.flatMap((f) => gatewayRuntimeImports(f, readFileSync(f, 'utf8')));
    expect(offences).toEqual([]);
  });
});

/** The gateway's row for a path, if it has one. */
function gatewayRow(p: string): EndpointSpec | undefined {
  return (Object.values(ENDPOINTS) as EndpointSpec[]).find((spec) => spec.path === p);
}

/** The simulator's row for a path, if it has one. */
function simRow(p: string): EndpointRule | undefined {
  const name = endpointAt(p);
  return name === undefined ? undefined : ENDPOINT_RULES[name];
}

/**
 * Where the simulator's rows say more than the gateway's, and why that is no disagreement. Each
 * entry names the exact values on both sides, so a change on either side still fails.
 */
const KNOWN_PAGE_SIZE_DIFFERENCES: Record<string, { gateway: number | undefined; sim: number; why: string }> =
  {
    '/purchases/product_list': {
      gateway: undefined,
      sim: 250,
      why: 'Braze documents no page size (docs/braze-facts.md §3.17): the simulator must pick one, the gateway pages until a short (or empty) page',
    },
    '/subscription/user/status': {
      gateway: undefined,
      sim: 100,
      why: 'the page is the `limit` query parameter (at most and by default 100, §3.16); the gateway sends limit=100 from messaging/service.ts rather than from its table',
    },
  };

describe("the simulator's rules agree with the gateway's tables", () => {
  it('knows the same rate groups', () => {
    expect([...RATE_GROUPS].sort()).toEqual([...RATE_GROUP_NAMES].sort());
  });

  it('gives every group the same default limit and window under every contract', () => {
    expect([...SIM_CONTRACT_NAMES].sort()).toEqual([...CONTRACT_NAMES].sort());
    expect(limitsFor('legacy')).toEqual({ ...DEFAULT_RATE_LIMITS });
    for (const contract of CONTRACT_NAMES) {
      expect({ contract, limits: limitsFor(contract) }).toEqual({
        contract,
        limits: effectiveRateLimits(contract),
      });
    }
  });

  it('gives /users/track the same per-request maxima under every contract', () => {
    for (const contract of CONTRACT_NAMES) {
      expect({ contract, track: SIM_CONTRACTS[contract].track }).toEqual({
        contract,
        track: CONTRACTS[contract].track,
      });
    }
  });

  it('maps every gateway endpoint to the same method, group, default limit, broadcast group and maximum', () => {
    const legacyLimits = limitsFor('legacy');
    for (const spec of Object.values(ENDPOINTS) as EndpointSpec[]) {
      const sim = simRow(spec.path);
      expect(sim, `the simulator has no row for ${spec.path}`).toBeDefined();
      if (sim === undefined) continue;
      expect({ path: spec.path, method: sim.method, group: sim.group }).toEqual({
        path: spec.path,
        method: spec.method,
        group: spec.group,
      });
      expect({ path: spec.path, limit: legacyLimits[sim.group] }).toEqual({
        path: spec.path,
        limit: DEFAULT_RATE_LIMITS[spec.group],
      });
      // Broadcast-capable on both sides, or on neither; the broadcast group is always the one.
      expect({
        path: spec.path,
        broadcastGroup: sim.broadcasts === true ? 'messaging.broadcast' : undefined,
      }).toEqual({ path: spec.path, broadcastGroup: spec.broadcastGroup });
      // Both leave /users/track's maximum to the contract and give /sends/id/create none.
      expect({ path: spec.path, max: sim.maxPerRequest }).toEqual({ path: spec.path, max: spec.maxItems });
      // Data series: the same longest `length` (100 units; Canvases 14 days).
      expect({ path: spec.path, length: sim.seriesMaxLength }).toEqual({
        path: spec.path,
        length: spec.seriesMaxLength,
      });
      const known = KNOWN_PAGE_SIZE_DIFFERENCES[spec.path];
      if (known === undefined) {
        expect({ path: spec.path, pageSize: sim.pageSize }).toEqual({
          path: spec.path,
          pageSize: spec.pageSize,
        });
      } else {
        expect({ path: spec.path, gateway: spec.pageSize, sim: sim.pageSize }).toEqual({
          path: spec.path,
          gateway: known.gateway,
          sim: known.sim,
        });
      }
    }
  });

  it('simulates no endpoint the gateway does not know', () => {
    // The simulator may one day answer more paths than the gateway calls; today the two lists match.
    const extra = Object.values(ENDPOINT_RULES)
      .map((r) => r.path)
      .filter((p) => gatewayRow(p) === undefined);
    expect(extra).toEqual([]);
  });

  it('uses the same per-audience broadcast limit by default', () => {
    expect(loadConfig({}).perAudienceLimit).toEqual({ ...PER_AUDIENCE_LIMIT });
  });

  it("keeps the gateway's largest upstream body within the simulator's 4 MB", () => {
    // "4 MB" (docs/braze-facts.md §2, "Payload size"): the simulator accepts 4 MiB, the gateway
    // stops at 4,000,000 bytes, below either reading. A difference by design: the gateway must
    // never send what Braze could refuse.
    expect(MAX_BODY_BYTES).toBe(4 * 1024 * 1024);
    expect(loadConfig({}).maxUpstreamBodyBytes).toBeLessThanOrEqual(MAX_BODY_BYTES);
  });
});

const EMAIL = { email: { app_id: 'app', subject: 'Hi', body: 'Hello' } };
const ALIAS = { alias_name: 'dev-42', alias_label: 'device_id' };
const FILTERS = {
  AND: [{ custom_attribute: { custom_attribute_name: 'plan', comparison: 'equals', value: 'pro' } }],
};
const FILTERS_REORDERED = {
  AND: [{ custom_attribute: { value: 'pro', comparison: 'equals', custom_attribute_name: 'plan' } }],
};

/**
 * Messaging bodies with what docs/braze-facts.md §2 row 6 and §3.11–§3.13 make of them: a broadcast
 * targets a segment, filters (a connected `audience`) or everyone (`broadcast: true`) and names
 * nobody; a body that names users is not a broadcast, whatever segment or audience narrows it.
 * A null `segment_id` or `audience` is absent on both sides (JSON null targets nothing).
 */
const CASES: ReadonlyArray<{
  endpoint: SimEndpointName;
  body: unknown;
  broadcast: boolean;
  what: string;
  /** The group, where it is not the broadcast group for a broadcast body (else `default`). */
  group?: string;
}> = [
  {
    endpoint: 'messages.send',
    body: { segment_id: null, audience: null, messages: {} },
    broadcast: false,
    what: 'a null segment_id and audience name no target: not a broadcast',
  },
  {
    endpoint: 'messages.send',
    body: { external_user_ids: ['u-1'], messages: EMAIL },
    broadcast: false,
    what: 'named users',
  },
  {
    endpoint: 'messages.send',
    body: { user_aliases: [ALIAS], messages: EMAIL },
    broadcast: false,
    what: 'named aliases',
  },
  {
    endpoint: 'messages.send',
    body: { external_user_ids: ['u-1'], segment_id: 'seg-1', campaign_id: 'c-1', messages: EMAIL },
    broadcast: false,
    what: 'named users narrowed by a segment_id',
  },
  {
    endpoint: 'messages.send',
    body: { user_aliases: [ALIAS], audience: FILTERS, messages: EMAIL },
    broadcast: false,
    what: 'named aliases narrowed by an audience',
  },
  {
    endpoint: 'messages.send',
    body: { broadcast: false, external_user_ids: ['u-1'], segment_id: 'seg-1', messages: EMAIL },
    broadcast: false,
    what: 'named users, broadcast: false, with a segment_id',
  },
  {
    endpoint: 'messages.send',
    body: { broadcast: true, segment_id: 'seg-1', campaign_id: 'c-1', messages: EMAIL },
    broadcast: true,
    what: 'a segment',
  },
  {
    endpoint: 'messages.send',
    body: { broadcast: true, audience: FILTERS, messages: EMAIL },
    broadcast: true,
    what: 'a connected audience',
  },
  {
    endpoint: 'messages.send',
    body: { broadcast: true, messages: EMAIL },
    broadcast: true,
    what: 'everyone',
  },
  {
    endpoint: 'messages.send',
    body: { broadcast: true, external_user_ids: [], user_aliases: [], segment_id: 'seg-1', messages: EMAIL },
    broadcast: true,
    what: 'a segment, with empty recipient lists',
  },
  {
    endpoint: 'messages.send',
    body: { segment_id: 'seg-1', messages: EMAIL },
    broadcast: true,
    what: 'a segment without broadcast: true (Braze refuses it, but it targets a segment)',
  },
  { endpoint: 'messages.send', body: undefined, broadcast: false, what: 'an empty body' },
  { endpoint: 'messages.send', body: ['seg-1'], broadcast: false, what: 'an array body' },
  { endpoint: 'messages.send', body: 'broadcast', broadcast: false, what: 'a string body' },
  {
    endpoint: 'campaigns.trigger.send',
    body: { campaign_id: 'c-1', recipients: [{ external_user_id: 'u-1' }] },
    broadcast: false,
    what: 'named recipients',
  },
  {
    endpoint: 'campaigns.trigger.send',
    body: { campaign_id: 'c-1', recipients: [{ user_alias: ALIAS }], audience: FILTERS },
    broadcast: false,
    what: 'named recipients narrowed by an audience',
  },
  {
    endpoint: 'campaigns.trigger.send',
    body: { campaign_id: 'c-1', broadcast: false, audience: null, recipients: [{ external_user_id: 'u-1' }] },
    broadcast: false,
    what: "the facts' own example: named recipients, broadcast: false, audience: null",
  },
  {
    endpoint: 'campaigns.trigger.send',
    body: { campaign_id: 'c-1', broadcast: true },
    broadcast: true,
    what: "the campaign's whole audience",
  },
  {
    endpoint: 'campaigns.trigger.send',
    body: { campaign_id: 'c-1', broadcast: true, audience: FILTERS, recipients: [] },
    broadcast: true,
    what: 'a connected audience, with an empty recipient list',
  },
  {
    endpoint: 'canvas.trigger.send',
    body: { canvas_id: 'cv-1', recipients: [{ email: 'a@example.com', prioritization: ['identified'] }] },
    broadcast: false,
    what: 'a named email recipient',
  },
  {
    endpoint: 'canvas.trigger.send',
    body: { canvas_id: 'cv-1', broadcast: true, audience: FILTERS },
    broadcast: true,
    what: 'a connected audience',
  }, // Scheduled sends (§3.18): the scheduled-trigger creates follow the live rule (§2 row 6).
  {
    endpoint: 'campaigns.trigger.schedule.create',
    body: {
      campaign_id: 'c-1',
      broadcast: true,
      audience: FILTERS,
      schedule: { time: '2026-03-02T09:00:00', in_local_time: true },
    },
    broadcast: true,
    what: 'a scheduled broadcast to a connected audience',
  },
  {
    endpoint: 'canvas.trigger.schedule.create',
    body: { canvas_id: 'cv-1', broadcast: true, schedule: { time: '2026-03-02T09:00:00Z' } },
    broadcast: true,
    what: "a scheduled broadcast to the Canvas's whole audience",
  },
  {
    endpoint: 'campaigns.trigger.schedule.create',
    body: {
      campaign_id: 'c-1',
      recipients: [{ external_user_id: 'u-1' }],
      audience: FILTERS,
      schedule: { time: '2026-03-02T09:00:00', in_local_time: true },
    },
    broadcast: false,
    what: 'a scheduled send to named recipients narrowed by an audience',
  },
  {
    endpoint: 'messages.schedule.create',
    body: {
      external_user_ids: ['u-1'],
      segment_id: 'seg-1',
      messages: EMAIL,
      schedule: { time: '2026-03-02T09:00:00', in_local_time: true },
    },
    broadcast: false,
    what: 'a scheduled message to named users narrowed by a segment',
  },
  {
    endpoint: 'messages.schedule.create',
    body: {
      broadcast: true,
      segment_id: 'seg-1',
      campaign_id: 'c-1',
      messages: EMAIL,
      schedule: { time: '2026-03-02T09:00:00', in_local_time: true },
    },
    broadcast: true,
    group: 'default',
    what: 'a scheduled message to a segment: a broadcast body, but row 8 lists /messages/schedule/create and row 6 does not (C-16)',
  },
];

function gatewayGroupOf(endpoint: SimEndpointName, body: unknown): string {
  const spec: EndpointSpec = ENDPOINTS[endpoint];
  return spec.broadcastGroup !== undefined && isBroadcastBody(body) ? spec.broadcastGroup : spec.group;
}

describe('the broadcast rule (docs/braze-facts.md §2 row 6)', () => {
  it('classifies each body as the facts say, on both sides, into the same group', () => {
    for (const c of CASES) {
      expect({ what: c.what, sim: isBroadcast(c.body), gateway: isBroadcastBody(c.body) }).toEqual({
        what: c.what,
        sim: c.broadcast,
        gateway: c.broadcast,
      });
      const group = c.group ?? (c.broadcast ? 'messaging.broadcast' : 'default');
      expect({
        what: c.what,
        sim: groupOf(c.endpoint, c.body),
        gateway: gatewayGroupOf(c.endpoint, c.body),
      }).toEqual({ what: c.what, sim: group, gateway: group });
      // Only a broadcast has an audience, and so a per-audience window.
      expect({
        what: c.what,
        sim: audienceKey(c.body) !== undefined,
        gateway: broadcastAudience(c.body) !== undefined,
      }).toEqual({ what: c.what, sim: c.broadcast, gateway: c.broadcast });
    }
  });

  it('puts two broadcasts in the same unique audience exactly when the facts do, on both sides', () => {
    const base = { broadcast: true, campaign_id: 'c-1', segment_id: 'seg-1', messages: EMAIL };
    const same: Array<[unknown, unknown, string]> = [
      [
        base,
        { ...base, messages: { sms: { body: 'other text' } } },
        'the message is not part of the audience',
      ],
      [base, { messages: EMAIL, segment_id: 'seg-1', campaign_id: 'c-1', broadcast: true }, 'key order'],
      [
        { broadcast: true, campaign_id: 'c-1', audience: FILTERS },
        { broadcast: true, campaign_id: 'c-1', audience: FILTERS_REORDERED },
        'key order inside the connected audience',
      ],
      [{ ...base, send_id: 'a' }, { ...base, send_id: 'b' }, 'the send id is not part of the audience'],
    ];
    const different: Array<[unknown, unknown, string]> = [
      [base, { ...base, campaign_id: 'c-2' }, 'another campaign'],
      [base, { ...base, segment_id: 'seg-2' }, 'another segment'],
      [base, { broadcast: true, segment_id: 'seg-1', messages: EMAIL }, 'no campaign'],
      [
        { broadcast: true, campaign_id: 'c-1', audience: FILTERS },
        { broadcast: true, campaign_id: 'c-1', audience: { ...FILTERS, OR: [] } },
        'other filters',
      ],
      [
        { broadcast: true, campaign_id: 'c-1', audience: FILTERS },
        { broadcast: true, campaign_id: 'c-1', audience: FILTERS, segment_id: 'seg-1' },
        'a segment on top of the same filters',
      ],
      [
        { broadcast: true, campaign_id: 'x' },
        { broadcast: true, canvas_id: 'x' },
        'a campaign and a Canvas with one id',
      ],
    ];
    const pairs = [
      ...same.map(([a, b, what]) => ({ a, b, what, equal: true })),
      ...different.map(([a, b, what]) => ({ a, b, what, equal: false })),
    ];
    for (const { a, b, what, equal } of pairs) {
      expect({ what, sim: audienceKey(a) === audienceKey(b) }).toEqual({ what, sim: equal });
      expect({ what, gateway: broadcastAudience(a) === broadcastAudience(b) }).toEqual({
        what,
        gateway: equal,
      });
    }
  });
});

/**
 * docs/braze-facts.md §2, written out here from the facts (not read from either table): each
 * simulated path's default limit and window under the `legacy` (seed) contract. Messaging paths
 * are sent a body that names nobody and does not broadcast, so they count in `default`.
 */
const FACTS_LIMITS: Readonly<Record<string, readonly [limit: number, windowSec: number, bucket: string]>> = {
  '/users/track': [50_000, 60, 'row 1'], // the seed's value
  '/users/export/ids': [2_500, 60, 'row 2'], // the seed's value
  '/events/list': [1_000, 3_600, 'row 3'], // shared
  '/purchases/product_list': [1_000, 3_600, 'row 3'],
  '/users/delete': [20_000, 60, 'row 4'], // shared
  '/users/alias/new': [20_000, 60, 'row 4'],
  '/users/alias/update': [20_000, 60, 'row 4'],
  '/users/identify': [20_000, 60, 'row 4'],
  '/users/merge': [20_000, 60, 'row 4'],
  '/users/external_ids/rename': [1_000, 60, 'row 5, rename'], // a bucket each (C-3)
  '/users/external_ids/remove': [1_000, 60, 'row 5, remove'],
  '/sends/id/create': [100, 86_400, 'row 7'],
  '/subscription/status/set': [5_000, 60, 'row 9'], // shared by v1 and v2
  '/v2/subscription/status/set': [5_000, 60, 'row 9'],
  '/messages/send': [250_000, 3_600, 'row 8'], // not a broadcast
  '/campaigns/trigger/send': [250_000, 3_600, 'row 8'],
  '/canvas/trigger/send': [250_000, 3_600, 'row 8'],
  '/subscription/user/status': [250_000, 3_600, 'row 8'],
  '/campaigns/list': [250_000, 3_600, 'row 8'],
  '/campaigns/details': [250_000, 3_600, 'row 8'],
  '/canvas/list': [250_000, 3_600, 'row 8'],
  '/canvas/details': [250_000, 3_600, 'row 8'],
  '/segments/list': [250_000, 3_600, 'row 8'],
  '/segments/details': [250_000, 3_600, 'row 8'],
  '/messages/schedule/create': [250_000, 3_600, 'row 8'],
  '/messages/schedule/update': [250_000, 3_600, 'row 8'],
  '/messages/schedule/delete': [250_000, 3_600, 'row 8'],
  '/campaigns/trigger/schedule/create': [250_000, 3_600, 'row 8'], // not a broadcast
  '/campaigns/trigger/schedule/update': [250_000, 3_600, 'row 8'],
  '/campaigns/trigger/schedule/delete': [250_000, 3_600, 'row 8'],
  '/canvas/trigger/schedule/create': [250_000, 3_600, 'row 8'], // not a broadcast
  '/canvas/trigger/schedule/update': [250_000, 3_600, 'row 8'],
  '/canvas/trigger/schedule/delete': [250_000, 3_600, 'row 8'],
  '/messages/scheduled_broadcasts': [250_000, 3_600, 'row 8'],
  '/email/hard_bounces': [250_000, 3_600, 'row 8'],
  '/email/unsubscribes': [250_000, 3_600, 'row 8'],
  '/email/status': [250_000, 3_600, 'row 8'],
  '/email/bounce/remove': [250_000, 3_600, 'row 8'],
  '/email/spam/remove': [250_000, 3_600, 'row 8'],
  '/email/blocklist': [250_000, 3_600, 'row 8'],
  '/sms/invalid_phone_numbers': [250_000, 3_600, 'row 8'],
  '/sms/invalid_phone_numbers/remove': [250_000, 3_600, 'row 8'],
  '/kpi/dau/data_series': [250_000, 3_600, 'row 8'],
  '/kpi/mau/data_series': [250_000, 3_600, 'row 8'],
  '/kpi/new_users/data_series': [250_000, 3_600, 'row 8'],
  '/kpi/uninstalls/data_series': [250_000, 3_600, 'row 8'],
  '/sessions/data_series': [250_000, 3_600, 'row 8'],
  '/events/data_series': [250_000, 3_600, 'row 8'],
  '/segments/data_series': [250_000, 3_600, 'row 8'],
  '/sends/data_series': [250_000, 3_600, 'row 8'],
  '/canvas/data_series': [250_000, 3_600, 'row 8'],
  '/canvas/data_summary': [250_000, 3_600, 'row 8'],
  '/users/export/segment': [250_000, 3_600, 'row 8'],
  '/campaigns/data_series': [50_000, 60, 'row 10, campaign analytics'], // a bucket of its own
};

const KEY = 'sim-rules-key';
// 2026-03-01T10:00:30.500Z: mid-minute, mid-hour, mid-day.
const T0 = Date.UTC(2026, 2, 1, 10, 0, 30, 500);
/** `X-RateLimit-Reset` at T0 for a clock-aligned window of `windowSec` (docs/braze-facts.md §4.2). */
const RESET_AT_T0: Readonly<Record<number, string>> = {
  3: String(Date.UTC(2026, 2, 1, 10, 0, 33) / 1000),
  60: String(Date.UTC(2026, 2, 1, 10, 1, 0) / 1000),
  3_600: String(Date.UTC(2026, 2, 1, 11, 0, 0) / 1000),
  86_400: String(Date.UTC(2026, 2, 2, 0, 0, 0) / 1000),
};

describe('over HTTP, the simulator answers with the limits the facts state', () => {
  const h = useSimulators(KEY, T0);

  async function call(url: string, p: string, method: string, body?: unknown) {
    const res = await fetch(`${url}${p}`, {
      method,
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
      ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
    });
    return reply(res);
  }

  it('states a fact for every path it simulates', () => {
    expect(
      Object.values(ENDPOINT_RULES)
        .map((r) => r.path)
        .sort(),
    ).toEqual(Object.keys(FACTS_LIMITS).sort());
  });

  it("counts each path in its group's shared window, with the group's limit and clock-aligned reset", async () => {
    const usedPerBucket = new Map<string, number>();
    for (const rule of Object.values(ENDPOINT_RULES) as EndpointRule[]) {
      const [limit, windowSec, bucket] = FACTS_LIMITS[rule.path]!;
      // Paths of one bucket share one counter (rows 3, 4, 8, 9); a request that then fails
      // validation still counts.
      const used = (usedPerBucket.get(bucket) ?? 0) + 1;
      usedPerBucket.set(bucket, used);
      const r = await call(h.sim.url, rule.path, rule.method);
      expect({
        path: rule.path,
        limit: r.headers.get('x-ratelimit-limit'),
        remaining: r.headers.get('x-ratelimit-remaining'),
        reset: r.headers.get('x-ratelimit-reset'),
      }).toEqual({
        path: rule.path,
        limit: String(limit),
        remaining: String(limit - used),
        reset: RESET_AT_T0[windowSec],
      });
    }
  });

  it('counts a broadcast (live or scheduled) in the 250/min broadcast bucket, named sends with a segment or audience in row 8', async () => {
    const campaign = h.sim.catalog.campaigns.find((c) => c.isApiCampaign)!.id;
    const segment = h.sim.catalog.segments[0]!.id;
    const send = async (p: string, body: unknown) => {
      const r = await call(h.sim.url, p, 'POST', body);
      return {
        status: r.status,
        limit: r.headers.get('x-ratelimit-limit'),
        reset: r.headers.get('x-ratelimit-reset'),
      };
    };
    const row8 = { status: 201, limit: '250000', reset: RESET_AT_T0[3_600] };
    expect((await send('/users/track', { attributes: [{ external_id: 'u-1' }] })).status).toBe(201);

    const named = { external_user_ids: ['u-1'], segment_id: segment, campaign_id: campaign, messages: EMAIL };
    expect(await send('/messages/send', named)).toEqual(row8);
    // Named recipients narrowed by a connected audience: not a broadcast either.
    const recipients = [{ external_user_id: 'u-1' }];
    expect(
      await send('/campaigns/trigger/send', { campaign_id: campaign, recipients, audience: FILTERS }),
    ).toEqual(row8);
    // No unique audience was charged.
    expect(h.sim.broadcastAudienceStats().audiencesInWindow).toBe(0);

    const broadcast = { broadcast: true, segment_id: segment, campaign_id: campaign, messages: EMAIL };
    expect(await send('/messages/send', broadcast)).toEqual({
      status: 201,
      limit: '250',
      reset: RESET_AT_T0[60],
    });
    expect(h.sim.broadcastAudienceStats()).toMatchObject({ limit: 10, windowSec: 60, audiencesInWindow: 1 });

    // Scheduled (§3.18): named recipients in row 8, a scheduled trigger broadcast in row 6 and
    // its own unique audience; /messages/schedule/create in row 8 even to a segment (C-16).
    const schedule = { time: '2026-03-02T09:00:00', in_local_time: true };
    const scheduledNamed = { campaign_id: campaign, recipients, audience: FILTERS, schedule };
    expect(await send('/campaigns/trigger/schedule/create', scheduledNamed)).toEqual(row8);
    const scheduledBroadcast = { campaign_id: campaign, broadcast: true, audience: FILTERS, schedule };
    expect(await send('/campaigns/trigger/schedule/create', scheduledBroadcast)).toEqual({
      status: 201,
      limit: '250',
      reset: RESET_AT_T0[60],
    });
    expect(h.sim.broadcastAudienceStats().audiencesInWindow).toBe(2);
    expect(await send('/messages/schedule/create', { ...broadcast, schedule })).toEqual(row8);
    expect(h.sim.broadcastAudienceStats().audiencesInWindow).toBe(2);
    expect(h.sim.requests.map((q) => q.group)).toEqual([
      'users.track',
      'default',
      'default',
      'messaging.broadcast',
      'default',
      'messaging.broadcast',
      'default',
    ]);
  });

  it('applies each contract model to /users/track (docs/braze-facts.md §2 row 1, C-10)', async () => {
    for (const contract of ['current', 'mau'] as const) {
      const s = await h.start({ contract });
      const r = await call(s.url, '/users/track', 'POST', {});
      expect({
        contract,
        limit: r.headers.get('x-ratelimit-limit'),
        reset: r.headers.get('x-ratelimit-reset'),
      }).toEqual({ contract, limit: '3000', reset: RESET_AT_T0[3] });
    }
  });
});
