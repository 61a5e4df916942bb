import {
  GraphQLError,
  buildSchema as buildSdl,
  getIntrospectionQuery,
  parse,
  specifiedRules,
  validate,
  type GraphQLSchema,
} from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { LimitExceededError, formatError } from '../src/errors.js';
import { buildSchema } from '../src/app/schema.js';
import { checkRequestLimits, estimateCost } from '../src/security/costLimits.js';
import { DEFAULT_LIMITS, limitsFromEnv, type LimitOptions } from '../src/security/limits.js';
import { limitValidationRules } from '../src/security/shapeLimits.js';

/** A small self-referencing schema: deep nesting is one field away. */
const tree = buildSdl(`
  type Node { id: ID!, name: String, parent: Node, children(first: Int): [Node!]! }
  type Query { node(id: ID!): Node, nodes(ids: [ID!]!): [Node]!, roots: [Node!]! }
`);

let gateway: GraphQLSchema;
beforeAll(() => {
  gateway = buildSchema();
});

function check(
  schema: GraphQLSchema,
  query: string,
  options: Partial<LimitOptions> = {},
): readonly GraphQLError[] {
  return validate(schema, parse(query), [...specifiedRules, ...limitValidationRules(options)]);
}

function limitOf(errors: readonly GraphQLError[]): unknown[] {
  return errors.map((e) => e.extensions.limit);
}

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `user-${i}`);

describe('depth', () => {
  it('refuses a query 50 levels deep built from fragments on a self-referencing type', () => {
    // node, 48 parents, id: 50 fields on one path. Level k spreads level k+1, so the nesting only
    // shows once the fragments are followed.
    const fragments = Array.from(
      { length: 48 },
      (_, i) => `fragment L${i} on Node { parent { ${i < 47 ? `...L${i + 1}` : 'id'} } }`,
    );
    const errors = check(tree, `query Deep { node(id: "1") { ...L0 } } ${fragments.join('\n')}`);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toBe('Operation "Deep" nests fields 50 levels deep; the limit is 12.');
    expect(errors[0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', limit: 'maxDepth', max: 12 });
  });

  it('refuses the introspection ofType chain 50 levels deep', () => {
    const chain = `${'ofType { '.repeat(48)}name${' }'.repeat(48)}`;
    const errors = check(gateway, `{ __type(name: "BrazeUser") { ${chain} } }`);
    expect(errors.map((e) => e.message)).toEqual([
      'This query nests fields 50 levels deep; the limit is 15.',
    ]);
    expect(limitOf(errors)).toEqual(['maxIntrospectionDepth']);
  });

  it('lets the standard introspection query (GraphiQL, codegen) through', () => {
    expect(check(gateway, getIntrospectionQuery({ inputValueDeprecation: true, oneOf: true }))).toEqual([]);
  });

  it('does not count __typename as a level, and counts introspection inside a normal query', () => {
    const eleven = `${'parent { '.repeat(10)}id${' }'.repeat(10)}`;
    expect(check(tree, `{ node(id: "1") { ${eleven} } }`)).toEqual([]); // 12 levels
    const withTypename = `${'parent { '.repeat(10)}id __typename${' }'.repeat(10)}`;
    expect(check(tree, `{ node(id: "1") { ${withTypename} } }`)).toEqual([]);
    const thirteen = `${'parent { '.repeat(11)}id${' }'.repeat(11)}`;
    expect(limitOf(check(tree, `{ node(id: "1") { ${thirteen} } }`))).toEqual(['maxDepth']);
    // Introspection fields under a data field count against maxDepth, not the introspection allowance.
    expect(
      limitOf(
        check(
          tree,
          `{ node(id: "1") { id } __type(name: "Node") { ${'ofType { '.repeat(12)}name${' }'.repeat(12)} } }`,
        ),
      ),
    ).toEqual(['maxDepth']);
  });

  it('measures an exponential fragment tree in linear time', () => {
    // Each fragment spreads the next one twice: 2^40 paths if followed naively.
    const fragments = Array.from(
      { length: 40 },
      (_, i) =>
        `fragment F${i} on Node { children { ${i < 39 ? `...F${i + 1} a${i}: parent { ...F${i + 1} }` : 'id'} } }`,
    );
    const started = performance.now();
    const errors = check(tree, `{ roots { ...F0 } } ${fragments.join('\n')}`);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(limitOf(errors)).toEqual(['maxDepth', 'maxAliases']);
    // Every expanded alias counts: 2^39 - 1 of them.
    expect(errors[1]!.message).toMatch(/uses 549755813887 aliases/);
  });
});

describe('aliases, root fields, operations, directives', () => {
  it('refuses aliases over the cap, counting each fragment spread', () => {
    const aliases = (n: number): string => Array.from({ length: n }, (_, i) => `a${i}: id`).join(' ');
    expect(check(tree, `{ node(id: "1") { ${aliases(30)} } }`)).toEqual([]);
    const errors = check(tree, `{ node(id: "1") { ${aliases(31)} } }`);
    expect(errors.map((e) => e.message)).toEqual([
      'This query uses 31 aliases (fragments expanded); the limit is 30.',
    ]);
    // 4 spreads of a 10-alias fragment: 40 aliases.
    const viaFragments = check(
      tree,
      `{ a: node(id: "1") { ...F } b: node(id: "2") { ...F } c: node(id: "3") { ...F } d: node(id: "4") { ...F } }
       fragment F on Node { ${aliases(9)} }`,
    );
    expect(limitOf(viaFragments)).toEqual(['maxAliases']);
    expect(viaFragments[0]!.message).toMatch(/uses 40 aliases/);
  });

  it('refuses too many root fields', () => {
    const roots = Array.from({ length: 21 }, (_, i) => `r${i}: node(id: "${i}") { id }`).join(' ');
    const errors = check(tree, `{ ${roots} }`, { maxAliases: 100 });
    expect(errors.map((e) => e.message)).toEqual([
      'This query selects 21 root fields; the limit is 20. Send several requests instead.',
    ]);
  });

  it('allows several named operations in a document, within the cap', () => {
    const ops = (n: number): string =>
      Array.from({ length: n }, (_, i) => `query Q${i} { node(id: "${i}") { id } }`).join('\n');
    expect(check(tree, ops(10))).toEqual([]);
    const errors = check(tree, ops(11));
    expect(limitOf(errors)).toEqual(['maxOperations']);
    expect(errors[0]!.message).toMatch(
      /^The document holds 11 operations; the limit is 10\. Only the one named/,
    );
  });

  it('refuses too many directives on one field', () => {
    const six = Array.from({ length: 6 }, () => '@include(if: true)').join(' ');
    // graphql-js refuses the repeated directive too; ours names the limit.
    expect(limitOf(check(tree, `{ roots { id ${six} } }`))).toContain('maxDirectivesPerField');
  });

  it('keeps BAD_USER_INPUT and the limit name through formatError, even once Apollo relabels it', () => {
    const [error] = check(tree, `{ node(id: "1") { ${`${'parent { '.repeat(12)}id${' }'.repeat(12)}`} } }`);
    expect(error!.originalError).toBeInstanceOf(LimitExceededError);
    // Apollo relabels validation errors GRAPHQL_VALIDATION_FAILED, keeping this originalError.
    const relabelled = new GraphQLError(error!.message, {
      originalError: error!.originalError,
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    const formatted = formatError(
      { message: relabelled.message, extensions: relabelled.extensions },
      relabelled,
    );
    expect(formatted.extensions).toEqual({ code: 'BAD_USER_INPUT', limit: 'maxDepth', max: 12 });
  });
});

describe('cost', () => {
  it('multiplies by the length of a list argument: users(externalIds: 120 ids)', () => {
    const literal = parse(`{ users(externalIds: ${JSON.stringify(ids(120))}) { email firstName } }`);
    expect(estimateCost(literal, {}, gateway)).toBe(1 + 120 * 2);
    const byVariable = parse('query Q($ids: [ID!]!) { users(externalIds: $ids) { email firstName } }');
    expect(estimateCost(byVariable, { ids: ids(120) }, gateway)).toBe(241);
    // Nested lists with no size argument count the default size (10): customEvents { name count }.
    const nested = parse(
      'query Q($ids: [ID!]!) { users(externalIds: $ids) { email customEvents { name count } } }',
    );
    expect(estimateCost(nested, { ids: ids(120) }, gateway)).toBe(1 + 120 * (1 + (1 + 10 * 2)));
  });

  it("counts a connection's lists by its `first`, not the default size, and only right under it", () => {
    const q = (first: string) =>
      parse(
        `query Q($n: Int = 7) { campaignsConnection(first: ${first}) { nodes { id name channels } edges { cursor } } }`,
      );
    // campaignsConnection 1 + [nodes 1 + n × (id, name, channels: 3)] + [edges 1 + n × cursor 1]
    expect(estimateCost(q('100'), {}, gateway)).toBe(1 + (1 + 100 * 3) + (1 + 100 * 1));
    expect(estimateCost(q('$n'), { n: 50 }, gateway)).toBe(1 + (1 + 50 * 3) + (1 + 50));
    expect(estimateCost(q('$n'), {}, gateway)).toBe(1 + (1 + 7 * 3) + (1 + 7));
  });

  it('uses the variable default, and the default list size when nothing tells', () => {
    const withDefault = parse(
      'query Q($ids: [ID!]! = ["a", "b", "c"]) { users(externalIds: $ids) { email } }',
    );
    expect(estimateCost(withDefault, {}, gateway)).toBe(1 + 3);
    expect(estimateCost(parse('{ roots { id name } }'), {}, tree)).toBe(1 + 10 * 2);
    expect(estimateCost(parse('{ roots { id name } }'), {}, tree, { defaultListSize: 100 })).toBe(201);
    expect(estimateCost(parse('{ __typename roots { __typename id } }'), {}, tree)).toBe(1 + 10);
  });

  it('counts fragments once per use, for the selected operation', () => {
    const doc = parse(`
      query A($ids: [ID!]!) { users(externalIds: $ids) { ...U } one: user(ref: { externalId: "x" }) { ...U } }
      query B { rateBudget { group } }
      fragment U on BrazeUser { email firstName lastName }
    `);
    expect(estimateCost(doc, { ids: ids(50) }, gateway, { operationName: 'A' })).toBe(1 + 50 * 3 + 1 + 3);
    expect(estimateCost(doc, {}, gateway, { operationName: 'B' })).toBe(1 + 10);
    expect(estimateCost(doc, {}, gateway)).toBe(0); // no operation selected: nothing runs
  });

  it('refuses an operation over maxCost', () => {
    const doc = parse(`query Big($ids: [ID!]!) {
      users(externalIds: $ids) { email firstName lastName customEvents { name first last count } purchases { name count } }
    }`);
    const within = checkRequestLimits({ document: doc, variables: { ids: ids(500) }, schema: gateway });
    expect(within).toEqual([]);
    const errors = checkRequestLimits({ document: doc, variables: { ids: ids(5_000) }, schema: gateway });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/^Operation "Big" is estimated to cost 325001; the limit is 100000\./);
    expect(errors[0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', limit: 'maxCost', max: 100_000 });
  });

  it('lets the largest legitimate write through: 10,000 events selecting all of ItemResult', () => {
    const doc = parse(
      'mutation T($events: [TrackEventInput!]!) { trackEvents(events: $events) { ok error { code message retryAfter } } }',
    );
    const events = Array.from({ length: 10_000 }, (_, i) => ({
      user: { externalId: `u${i}` },
      name: 'checkout',
      time: '2026-03-01T10:00:00Z',
    }));
    expect(estimateCost(doc, { events }, gateway)).toBe(50_001);
    expect(checkRequestLimits({ document: doc, variables: { events }, schema: gateway })).toEqual([]);
  });
});

describe('input lists', () => {
  const track = parse('mutation T($events: [TrackEventInput!]!) { trackEvents(events: $events) { ok } }');
  const event = (i: number, properties?: unknown) => ({
    user: { externalId: `u${i}` },
    name: 'checkout',
    time: '2026-03-01T10:00:00Z',
    properties,
  });

  it('refuses a variable list over the cap before anything runs', () => {
    const events = Array.from({ length: 10_001 }, (_, i) => event(i));
    const errors = checkRequestLimits({ document: track, variables: { events }, schema: gateway });
    expect(errors.map((e) => e.message)).toEqual([
      'Argument trackEvents(events:) holds a list of 10001 items; the limit is 10000. Split the request.',
    ]);
    expect(errors[0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', limit: 'maxListItems', max: 10_000 });
  });

  it('refuses a literal list over the cap, and names where a nested one is', () => {
    const literal = parse(`{ users(externalIds: ${JSON.stringify(ids(101))}) { email } }`);
    expect(
      checkRequestLimits({ document: literal, schema: gateway }, { maxListItems: 100 }).map((e) => e.message),
    ).toEqual([
      'Argument users(externalIds:) holds a list of 101 items; the limit is 100. Split the request.',
    ]);

    const nested = [event(0), event(1, { tags: Array.from({ length: 101 }, (_, i) => i) })];
    const errors = checkRequestLimits(
      { document: track, variables: { events: nested }, schema: gateway },
      { maxListItems: 100 },
    );
    expect(errors.map((e) => e.message)).toEqual([
      'Argument trackEvents(events:) holds a list of 101 items at events[1].properties.tags; the limit is 100. Split the request.',
    ]);
  });

  it('applies a per-argument cap to that argument only', () => {
    const doc = parse('query Q($ids: [ID!]!) { users(externalIds: $ids) { email } }');
    const options = { maxListItemsByArgument: { 'Query.users.externalIds': 200 } };
    expect(
      checkRequestLimits({ document: doc, variables: { ids: ids(200) }, schema: gateway }, options),
    ).toEqual([]);
    const errors = checkRequestLimits(
      { document: doc, variables: { ids: ids(201) }, schema: gateway },
      options,
    );
    expect(errors.map((e) => e.extensions.max)).toEqual([200]);
  });

  it('passes legitimate requests', () => {
    const doc = parse(`
      query Q($ids: [ID!]!) { users(externalIds: $ids) { ...U } user(ref: { alias: { name: "n", label: "l" } }) { ...U } }
      fragment U on BrazeUser { externalId email customAttributes customEvents { name count } aliases { name label } }
    `);
    expect(check(gateway, print(doc))).toEqual([]);
    expect(checkRequestLimits({ document: doc, variables: { ids: ids(120) }, schema: gateway })).toEqual([]);
    const events = Array.from({ length: 2_000 }, (_, i) => event(i, { cart: [1, 2, 3] }));
    expect(checkRequestLimits({ document: track, variables: { events }, schema: gateway })).toEqual([]);
  });

  it('reads limits from the environment, one message per bad value', () => {
    const { limits, problems } = limitsFromEnv({
      GRAPHQL_MAX_DEPTH: '8',
      GRAPHQL_MAX_COST: '250_000',
      GRAPHQL_MAX_LIST_ITEMS: 'lots',
      GRAPHQL_MAX_ALIASES: '0',
    });
    expect(limits).toMatchObject({ maxDepth: 8, maxCost: 250_000, maxListItems: 10_000, maxAliases: 30 });
    expect(problems).toEqual([
      'GRAPHQL_MAX_ALIASES="0" is not valid: expected a whole number of at least 1 (default 30).',
      'GRAPHQL_MAX_LIST_ITEMS="lots" is not valid: expected a whole number of at least 1 (default 10000).',
    ]);
  });

  it('documents its defaults', () => {
    expect(DEFAULT_LIMITS).toMatchObject({
      maxDepth: 12,
      maxCost: 100_000,
      defaultListSize: 10,
      maxAliases: 30,
      maxListItems: 10_000,
    });
  });
});

function print(doc: ReturnType<typeof parse>): string {
  return doc.loc?.source.body ?? '';
}
