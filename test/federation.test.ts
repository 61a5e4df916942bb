import { composeServices } from '@apollo/composition';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subgraphTypeDefs } from '../src/app/schema.js';
import { startStack, type Stack } from './helpers.js';

/**
 * The gateway as a Federation 2 subgraph: composed with a small "accounts" subgraph that owns a
 * User and links it to BrazeUser by externalId, and queried through @apollo/gateway.
 *
 * @apollo/gateway enforces no @requiresScopes and so, rightly, refuses a supergraph that links
 * the requiresScopes spec `for: SECURITY` (Apollo Router enforces it). The supergraph it runs
 * here is composed from the subgraph's typeDefs without them; @cost and @listSize stay (their
 * spec is linked without a purpose: a gateway that ignores them may run it).
 */

const ACCOUNTS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type User @key(fields: "id") {
    id: ID!
    name: String!
    braze: BrazeUser
  }
  type BrazeUser @key(fields: "externalId", resolvable: false) {
    externalId: ID
  }
  type Query {
    accounts(n: Int!): [User!]!
  }
`;

let stack: Stack;
let accounts: { url: string; stop: () => Promise<void> };
let supergraph: ApolloServer;
let supergraphUrl: string;

beforeAll(async () => {
  stack = await startStack();
  // 120 users the gateway knows (acct-0 … acct-119).
  await stack.gql('mutation ($u: [UserAttributesInput!]!) { setUserAttributes(updates: $u) { ok } }', {
    u: Array.from({ length: 120 }, (_, i) => ({
      user: { externalId: `acct-${i}` },
      attributes: { first_name: `N${i}` },
    })),
  });

  const accountsServer = new ApolloServer({
    schema: buildSubgraphSchema({
      typeDefs: parse(ACCOUNTS_SDL),
      resolvers: {
        Query: {
          accounts: (_: unknown, { n }: { n: number }) =>
            Array.from({ length: n }, (_, i) => ({ id: `acct-${i}`, name: `Account ${i}` })),
        },
        User: { braze: (u: { id: string }) => ({ __typename: 'BrazeUser', externalId: u.id }) },
      },
    }),
  });
  const { url } = await startStandaloneServer(accountsServer, { listen: { port: 0, host: '127.0.0.1' } });
  accounts = { url, stop: () => accountsServer.stop() };

  const composed = compose({ requiresScopes: false });
  supergraph = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: composed }) });
  const started = await startStandaloneServer(supergraph, { listen: { port: 0, host: '127.0.0.1' } });
  supergraphUrl = started.url;
});

function compose(options: { requiresScopes: boolean }): string {
  const composed = composeServices([
    { name: 'braze', typeDefs: subgraphTypeDefs(options), url: stack.gw.url },
    { name: 'accounts', typeDefs: parse(ACCOUNTS_SDL), url: accounts.url },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  return composed.supergraphSdl;
}

afterAll(async () => {
  await supergraph?.stop();
  await accounts?.stop();
  await stack?.close();
});

async function query<T>(q: string): Promise<{ data?: T; errors?: unknown[] }> {
  const res = await fetch(supergraphUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: q }),
  });
  return (await res.json()) as { data?: T; errors?: unknown[] };
}

describe('federation', () => {
  it('composes with another subgraph and serves _service', async () => {
    const res = await stack.gql<{ _service: { sdl: string } }>('{ _service { sdl } }');
    expect(res.body.data!._service.sdl).toMatch(/type BrazeUser\s+@key\(fields: "externalId"\)/);
  });

  it('composes with the router directives; @apollo/gateway refuses the @requiresScopes it cannot enforce', async () => {
    const full = compose({ requiresScopes: true });
    expect(full).toContain('@requiresScopes(scopes: [["users.export.ids"]])');
    await expect(new ApolloGateway({ supergraphSdl: full }).load()).rejects.toThrow(
      'feature https://specs.apollo.dev/requiresScopes/v0.1 is for: SECURITY but is unsupported',
    );
    // What it runs in the other tests: the cost spec without the scopes.
    const withoutScopes = compose({ requiresScopes: false });
    expect(withoutScopes).not.toContain('requiresScopes');
    expect(withoutScopes).toMatch(/firstName: String .*@cost\(weight: 1\)/);
  });

  it('resolves 120 BrazeUser references through 3 batched export requests', async () => {
    const before = stack.sim.count('/users/export/ids');
    const res = await query<{
      accounts: Array<{ id: string; name: string; braze: { firstName: string } | null }>;
    }>('{ accounts(n: 120) { id name braze { externalId firstName } } }');
    expect(res.errors).toBeUndefined();
    expect(res.data!.accounts).toHaveLength(120);
    res.data!.accounts.forEach((a, i) =>
      expect(a.braze).toEqual({ externalId: `acct-${i}`, firstName: `N${i}` }),
    );
    const exports = stack.sim.requests.filter((r) => r.path === '/users/export/ids').slice(-3);
    expect(stack.sim.count('/users/export/ids') - before).toBe(3);
    expect(exports.map((r) => (r.body as { external_ids: string[] }).external_ids.length)).toEqual([
      50, 50, 20,
    ]);
    // Only what the supergraph query selected was exported.
    expect((exports[0]!.body as { fields_to_export: string[] }).fields_to_export).toContain('first_name');
    expect((exports[0]!.body as { fields_to_export: string[] }).fields_to_export).not.toContain(
      'custom_events',
    );
  });
});
