import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema, printSubgraphSchema } from '@apollo/subgraph';
import {
  Kind,
  buildSchema as buildSdl,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInputObjectType,
  isListType,
  isObjectType,
  parse,
  printSchema,
  valueFromASTUntyped,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { resolvers } from '../resolvers/index.js';
import { applyRouterDirectives } from '../src/app/routerDirectives.js';
import { buildSchema, loadTypeDefs, subgraphTypeDefs } from '../src/app/schema.js';
import { FIELD_COST, PAGE_SIZE_ARGUMENT, estimateCost } from '../src/security/costLimits.js';
import { DEFAULT_LIMITS } from '../src/security/limits.js';
import { FIELD_PERMISSIONS, NESTED_FIELD_PERMISSIONS } from '../src/security/permissions.js';

/**
 * The router's rules in the subgraph SDL (src/app/routerDirectives.ts) against the tables the
 * gateway enforces itself: permissions (src/security/permissions.ts) and the cost model
 * (src/security/costLimits.ts).
 */

const executable = buildSchema();
const printed = printSubgraphSchema(executable);

/** `Type.field` → its directives in the printed SDL (definitions and extensions together). */
function printedFields(sdl: string): Map<string, FieldDefinitionNode> {
  const fields = new Map<string, FieldDefinitionNode>();
  for (const def of parse(sdl).definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    for (const f of def.fields ?? []) fields.set(`${def.name.value}.${f.name.value}`, f);
  }
  return fields;
}
const fields = printedFields(printed);

/** A directive's arguments as plain values, or undefined when the field lacks it. */
function applied(coordinate: string, name: string): Record<string, unknown> | undefined {
  const field = fields.get(coordinate);
  if (field === undefined) throw new Error(`${coordinate} is not in the printed SDL`);
  const found = field.directives?.filter((d) => d.name.value === name) ?? [];
  expect(found.length, `${coordinate} @${name} applications`).toBeLessThanOrEqual(1);
  return found[0] === undefined ? undefined : args(found[0]);
}

function args(d: ConstDirectiveNode): Record<string, unknown> {
  return Object.fromEntries((d.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
}

const scopesOf = (coordinate: string) => applied(coordinate, 'requiresScopes')?.scopes;

describe('@requiresScopes', () => {
  it('carries every FIELD_PERMISSIONS and NESTED_FIELD_PERMISSIONS entry under its own name', () => {
    for (const [coordinate, permission] of Object.entries({
      ...FIELD_PERMISSIONS,
      ...NESTED_FIELD_PERMISSIONS,
    })) {
      if (coordinate === 'Query._entities') continue; // not in a supergraph: see the entity test
      expect(scopesOf(coordinate), coordinate).toEqual([[permission]]);
    }
  });

  it('is on every root field', () => {
    const roots = [...fields.keys()].filter((c) => c.startsWith('Query.') || c.startsWith('Mutation.'));
    expect(roots.length).toBeGreaterThan(60);
    for (const coordinate of roots) expect(scopesOf(coordinate), coordinate).toBeDefined();
  });

  it("covers entity fetches: Query._entities's permission on every BrazeUser field but the key", () => {
    const brazeUser = [...fields.keys()].filter((c) => c.startsWith('BrazeUser.'));
    expect(brazeUser.length).toBeGreaterThan(20);
    for (const coordinate of brazeUser) {
      expect(scopesOf(coordinate), coordinate).toEqual(
        coordinate === 'BrazeUser.externalId' ? undefined : [[FIELD_PERMISSIONS['Query._entities']]],
      );
    }
  });

  it('holds the names of the tables, checked by hand', () => {
    expect(scopesOf('Mutation.trackEvents')).toEqual([['users.track']]);
    expect(scopesOf('Mutation.deleteUsers')).toEqual([['users.delete']]);
    expect(scopesOf('Query.usersMatching')).toEqual([['users.export.ids']]);
    expect(scopesOf('Query.rateBudget')).toEqual([['budget.read']]);
    expect(scopesOf('Campaign.details')).toEqual([['campaigns.details']]);
    expect(scopesOf('BrazeUser.firstName')).toEqual([['users.export.ids']]);
    expect(scopesOf('Campaign.name')).toBeUndefined();
    expect(printed).toMatch(
      /trackEvents\(events: \[TrackEventInput!\]!\): \[ItemResult!\]! @requiresScopes\(scopes: \[\["users\.track"\]\]\)/,
    );
  });
});

describe('@cost and @listSize', () => {
  it('say what costLimits uses, for every field of every object type', () => {
    let checked = 0;
    for (const type of Object.values(executable.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('_')) continue;
      for (const field of Object.values(type.getFields())) {
        const coordinate = `${type.name}.${field.name}`;
        if (!fields.has(coordinate)) continue; // _entities, _service: added by the subgraph library
        checked += 1;
        const list = isListType(getNullableType(field.type));
        const named = getNamedType(field.type);
        const composite = isCompositeType(named);
        // A leaf costs FIELD_COST; an object FIELD_COST too (the router's default weight for it
        // is 1); a list of objects 0 (the router multiplies a list's own weight by its size).
        const weight = list ? (composite ? 0 : undefined) : composite ? undefined : FIELD_COST;
        expect(applied(coordinate, 'cost'), coordinate).toEqual(
          weight === undefined ? undefined : { weight },
        );
        const pageSize = field.args.find((a) => a.name === PAGE_SIZE_ARGUMENT);
        const sizedFields =
          isObjectType(named) && !list
            ? Object.values(named.getFields())
                .filter((f) => isListType(getNullableType(f.type)))
                .map((f) => f.name)
            : [];
        const expected =
          list && composite
            ? { assumedSize: DEFAULT_LIMITS.defaultListSize }
            : pageSize !== undefined && sizedFields.length > 0
              ? {
                  slicingArguments: [PAGE_SIZE_ARGUMENT],
                  sizedFields,
                  requireOneSlicingArgument: false,
                }
              : undefined;
        expect(applied(coordinate, 'listSize'), coordinate).toEqual(expected);
      }
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('holds the values costLimits uses, checked by hand', () => {
    expect(FIELD_COST).toBe(1);
    expect(DEFAULT_LIMITS.defaultListSize).toBe(10);
    expect(applied('BrazeUser.email', 'cost')).toEqual({ weight: 1 });
    expect(applied('ItemResult.error', 'cost')).toBeUndefined();
    expect(applied('Mutation.trackEvents', 'cost')).toEqual({ weight: 0 });
    expect(applied('Mutation.trackEvents', 'listSize')).toEqual({ assumedSize: 10 });
    expect(applied('Query.campaignsConnection', 'listSize')).toEqual({
      slicingArguments: ['first'],
      sizedFields: ['edges', 'nodes'],
      requireOneSlicingArgument: false,
    });
    expect(applied('Query.emailHardBounces', 'listSize')).toMatchObject({ sizedFields: ['entries'] });
    expect(applied('Campaign.tags', 'cost')).toBeUndefined(); // a list of scalars: 0 by default
    expect(printed).toMatch(/\n {2}email: String @requiresScopes\(.*\) @cost\(weight: 1\)\n/);
  });
});

/**
 * Apollo Router's static estimate (demand control), as its documentation and source describe it,
 * over a composed supergraph: per field `size × (weight + sub-selection) + arguments`; mutations
 * add 10; an input object in the arguments costs 1. A model of the router for this test, not a
 * copy of the gateway's walk.
 */
function routerEstimate(supergraph: GraphQLSchema, query: string, listSize = 100): number {
  const op = parse(query).definitions[0] as OperationDefinitionNode;
  const directiveArgs = (
    node: { astNode?: { directives?: readonly ConstDirectiveNode[] } | null },
    name: string,
  ) => {
    const d = node.astNode?.directives?.find((x) => x.name.value === name);
    return d === undefined ? undefined : args(d);
  };
  const argumentCost = (value: ValueNode, type: GraphQLInputType): number => {
    const nullable = getNullableType(type);
    if (value.kind === Kind.LIST && isListType(nullable)) {
      return value.values.reduce((sum, v) => sum + argumentCost(v, nullable.ofType), 0);
    }
    if (value.kind === Kind.OBJECT && isInputObjectType(nullable)) {
      const inputFields = nullable.getFields();
      return value.fields.reduce((sum, f) => sum + argumentCost(f.value, inputFields[f.name.value]!.type), 1);
    }
    return 0;
  };
  const selection = (
    set: SelectionSetNode,
    parent: GraphQLNamedType,
    sized: { fields: string[]; size: number | undefined } | undefined,
  ): number => {
    let total = 0;
    for (const sel of set.selections) {
      if (sel.kind !== Kind.FIELD) throw new Error('fields only in this model');
      if (sel.name.value === '__typename') continue;
      if (!isObjectType(parent)) throw new Error('objects only in this model');
      const def = parent.getFields()[sel.name.value]!;
      const own = directiveArgs(def, 'listSize');
      let expected: number | undefined;
      for (const name of (own?.slicingArguments as string[] | undefined) ?? []) {
        const given = sel.arguments?.find((a) => a.name.value === name)?.value;
        const value = given ?? def.args.find((a) => a.name === name)?.astNode?.defaultValue;
        if (value?.kind === Kind.INT) expected = Math.max(expected ?? 0, Number(value.value));
      }
      expected ??= own?.assumedSize as number | undefined;
      const named = getNamedType(def.type);
      const instances = !isListType(getNullableType(def.type))
        ? 1
        : ((sized?.fields.includes(def.name) ? sized.size : undefined) ?? expected ?? listSize);
      const weight =
        (directiveArgs(def, 'cost')?.weight as number | undefined) ??
        (directiveArgs(named, 'cost')?.weight as number | undefined) ??
        (isCompositeType(named) ? 1 : 0);
      const sub =
        sel.selectionSet === undefined
          ? 0
          : selection(
              sel.selectionSet,
              named,
              own?.sizedFields === undefined
                ? undefined
                : { fields: own.sizedFields as string[], size: expected },
            );
      const argumentsCost = (sel.arguments ?? []).reduce(
        (sum, a) => sum + argumentCost(a.value, def.args.find((d) => d.name === a.name.value)!.type),
        0,
      );
      total += instances * (weight + sub) + argumentsCost;
    }
    return total;
  };
  const root = supergraph.getRootType(op.operation)!;
  return (op.operation === 'mutation' ? 10 : 0) + selection(op.selectionSet, root, undefined);
}

describe("the router's estimate against the gateway's", () => {
  const composed = composeServices([
    { name: 'braze', typeDefs: parse(printed), url: 'http://localhost:4000/graphql' },
  ]);
  const supergraph = buildSdl(composed.supergraphSdl!);
  const both = (query: string) => ({
    gateway: estimateCost(parse(query), {}, executable),
    router: routerEstimate(supergraph, query),
  });

  it('agrees on objects and scalars; a list costs the router FIELD_COST less, once per list', () => {
    // Gateway: campaignsConnection 1 + nodes (1 + 5 × (id 1 + name 1 + details (1 + name 1)))
    // + pageInfo (1 + 1) = 24. Router: 1 + 5 × 4 + 2 = 23 (nodes' own weight is 0).
    expect(
      both(
        '{ campaignsConnection(first: 5) { nodes { id name details { name } } pageInfo { hasNextPage } } }',
      ),
    ).toEqual({ gateway: 24, router: 23 });
    // No list argument, no `first`: both assume defaultListSize. 1 + 10 × 2 = 21; 10 × 2 = 20.
    expect(both('{ dailyActiveUsers(length: 30) { time value } }')).toEqual({ gateway: 21, router: 20 });
    // A list of scalars under a connection: the gateway counts it 1, the router 0.
    expect(both('{ customEventsConnection(first: 50) { nodes } }')).toEqual({ gateway: 2, router: 1 });
  });

  it('counts input objects in the arguments where the gateway does not', () => {
    // Gateway 1 + 3 = 4; the router adds 1 for the UserRef.
    expect(both('{ user(ref: { externalId: "u" }) { externalId email firstName } }')).toEqual({
      gateway: 4,
      router: 5,
    });
  });

  it('differs where the router cannot size a list by an input list', () => {
    // Gateway: 1 + 1 event × (ok 1 + error (1 + code 1)) = 4. Router: 10 for a mutation,
    // 10 assumed results × 3, and 2 input objects (TrackEventInput, UserRef) = 42.
    expect(
      both(
        'mutation { trackEvents(events: [{ user: { externalId: "u" }, name: "e", time: "2026-01-01T00:00:00Z" }]) { ok error { code } } }',
      ),
    ).toEqual({ gateway: 4, router: 42 });
    // Without `first`, both size the page by the argument's default in the schema (20):
    // gateway 1 + (1 + 20 × 1) = 22; router 1 + 20 = 21 (a list field costs it 1 less).
    expect(both('{ campaignsConnection { nodes { id } } }')).toEqual({ gateway: 22, router: 21 });
  });
});

describe('applyRouterDirectives', () => {
  it('leaves what the executable schema does unchanged: same types, fields and arguments', () => {
    // printSchema shows types, fields, arguments, defaults and directive definitions, not the
    // directives applied to fields: what execution and introspection see.
    const plain = printSchema(buildSchemaFrom(loadTypeDefs()));
    expect(printSchema(executable)).toBe(plain);
    expect(printSubgraphSchema(executable)).not.toBe(printSubgraphSchema(buildSchemaFrom(loadTypeDefs())));
  });

  it('refuses an unmapped root field, and a hand-written router directive', () => {
    const typeDefs = parse('type Query { newField: String }');
    expect(() => applyRouterDirectives(typeDefs, { fieldPermissions: {} })).toThrow(
      'Query.newField has no FIELD_PERMISSIONS entry',
    );
    expect(() =>
      applyRouterDirectives(parse('type Query { a: String @cost(weight: 5) }'), {
        fieldPermissions: { 'Query.a': 'x' },
      }),
    ).toThrow('Query.a carries @cost in schema/');
  });

  it('leaves @requiresScopes out when asked (for @apollo/gateway), and keeps the cost directives', () => {
    const sdl = printSubgraphSchema(buildSchemaFrom(subgraphTypeDefs({ requiresScopes: false })));
    expect(sdl).not.toContain('@requiresScopes(');
    expect(sdl).toContain('@listSize(');
  });
});

/** A subgraph schema from these typeDefs with the gateway's resolvers (and so its scalars). */
function buildSchemaFrom(typeDefs: DocumentNode): GraphQLSchema {
  type SubgraphModule = Parameters<typeof buildSubgraphSchema>[0];
  return buildSubgraphSchema({ typeDefs, resolvers } as unknown as SubgraphModule);
}
