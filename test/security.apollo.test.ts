import { ApolloServer, HeaderMap } from '@apollo/server';
import { buildSchema as buildSdl } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatError } from '../src/errors.js';
import { permissionsPlugin, requestLimitsPlugin } from '../src/security/apolloPlugins.js';
import { authenticate } from '../src/security/authentication.js';
import { hashGatewayKey, parseGatewayKeys, type Principal } from '../src/security/keyStore.js';
import { limitValidationRules } from '../src/security/shapeLimits.js';

/**
 * The security pieces wired into a real Apollo Server the way the gateway will wire them:
 * shape rules in `validationRules`, the plugins, and the gateway's own `formatError`. Checks the
 * HTTP status and `extensions` a client sees, and that refused operations never reach a resolver.
 */

const schema = buildSdl(`
  type Item { ok: Boolean!, next: Item }
  type Query { users(externalIds: [ID!]!): [Item]!, rateBudget: [Item!]!, _entities: [Item] }
  type Mutation { trackEvents(events: [String!]!): [Item!]!, deleteUsers(users: [ID!]!): [Item!]! }
`);

const KEY = 'bgw_apollo-test-key-000000000000000000000000000';
const { keys } = parseGatewayKeys({ GATEWAY_KEYS: `tracker:${hashGatewayKey(KEY)}:users.track,budget.read` });

interface Ctx {
  principal: Principal;
}

let server: ApolloServer<Ctx>;
let resolved = 0;

beforeAll(async () => {
  const rootValue = {
    users: (args: { externalIds: string[] }) => args.externalIds.map(() => ((resolved += 1), { ok: true })),
    rateBudget: () => ((resolved += 1), [{ ok: true }]),
    trackEvents: (args: { events: string[] }) => args.events.map(() => ((resolved += 1), { ok: true })),
    deleteUsers: () => ((resolved += 1), []),
  };
  server = new ApolloServer<Ctx>({
    schema,
    rootValue,
    formatError,
    validationRules: limitValidationRules(),
    plugins: [
      permissionsPlugin<Ctx>({
        fieldPermissions: {
          'Mutation.trackEvents': 'users.track',
          'Mutation.deleteUsers': 'users.delete',
          'Query.users': 'users.export.ids',
          'Query.rateBudget': 'budget.read',
        },
        principalOf: (ctx) => ctx.principal,
      }),
      requestLimitsPlugin<Ctx>({ maxListItems: 100 }),
    ],
  });
  await server.start();
});

afterAll(async () => {
  await server.stop();
});

async function post(
  body: { query: string; variables?: Record<string, unknown>; operationName?: string },
  principal = authenticate(keys, `Bearer ${KEY}`, '127.0.0.1'),
): Promise<{ status: number; errors: Array<{ message: string; extensions?: Record<string, unknown> }> }> {
  const result = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: {
      method: 'POST',
      headers: new HeaderMap([['content-type', 'application/json']]),
      search: '',
      body,
    },
    context: async () => ({ principal }),
  });
  if (result.body.kind !== 'complete') throw new Error('expected a complete body');
  const parsed = JSON.parse(result.body.string) as { errors?: [] };
  return { status: result.status ?? 200, errors: parsed.errors ?? [] };
}

describe('in Apollo Server', () => {
  it('runs an allowed operation', async () => {
    const before = resolved;
    const res = await post({ query: 'mutation { trackEvents(events: ["a", "b"]) { ok } }' });
    expect(res).toEqual({ status: 200, errors: [] });
    expect(resolved - before).toBe(2);
  });

  it('refuses a missing permission with 403 FORBIDDEN, before any resolver', async () => {
    const before = resolved;
    const res = await post({
      query: 'mutation { trackEvents(events: ["a"]) { ok } gone: deleteUsers(users: ["x"]) { ok } }',
    });
    expect(res.status).toBe(403);
    expect(res.errors).toEqual([
      {
        message: 'This gateway key lacks the permission users.delete.',
        extensions: { code: 'FORBIDDEN' },
      },
    ]);
    expect(resolved).toBe(before);
  });

  it('refuses an unmapped root field to a key with a permission list', async () => {
    const res = await post({ query: '{ _entities { ok } }' });
    expect(res.status).toBe(403);
    expect(res.errors[0]!.message).toMatch(
      /^Query._entities is not open to gateway keys with a permission list/,
    );
    const anonymous = await post({ query: '{ _entities { ok } }' }, authenticate([], undefined, undefined));
    expect(anonymous.status).toBe(200);
  });

  it('refuses a shape limit with 400 BAD_USER_INPUT and the limit name', async () => {
    const res = await post({ query: `{ rateBudget { ${'next { '.repeat(12)}ok${' }'.repeat(12)} } }` });
    expect(res.status).toBe(400);
    expect(res.errors).toEqual([
      {
        message: 'This query nests fields 14 levels deep; the limit is 12.',
        locations: [{ line: 1, column: 1 }],
        extensions: { code: 'BAD_USER_INPUT', limit: 'maxDepth', max: 12 },
      },
    ]);
  });

  it('refuses an over-long variable list with 400 BAD_USER_INPUT, before any resolver', async () => {
    const before = resolved;
    const events = Array.from({ length: 101 }, (_, i) => `e${i}`);
    const res = await post({
      query: 'mutation T($events: [String!]!) { trackEvents(events: $events) { ok } }',
      variables: { events },
    });
    expect(res.status).toBe(400);
    expect(res.errors[0]).toMatchObject({
      message:
        'Argument trackEvents(events:) holds a list of 101 items; the limit is 100. Split the request.',
      extensions: { code: 'BAD_USER_INPUT', limit: 'maxListItems', max: 100 },
    });
    expect(resolved).toBe(before);
  });
});
