import {
  Kind,
  parse,
  visit,
  type ConstDirectiveNode,
  type ConstValueNode,
  type DefinitionNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type InputValueDefinitionNode,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
  type TypeNode,
} from 'graphql';
import { FIELD_COST, PAGE_SIZE_ARGUMENT } from '../security/costLimits.js';
import { DEFAULT_LIMITS } from '../security/limits.js';
import { FIELD_PERMISSIONS, NESTED_FIELD_PERMISSIONS } from '../security/permissions.js';

/**
 * The rules a router can enforce before a request reaches this subgraph, written into the SDL
 * from the tables the gateway enforces itself, so the two never disagree:
 *
 * - `@requiresScopes` (Apollo Router authorization): the Braze-style permission of
 *   `FIELD_PERMISSIONS` on every root field, of `NESTED_FIELD_PERMISSIONS` on the fields below
 *   the root that cost a Braze request of their own (`Campaign.details`), and of
 *   `Query._entities` on every field an entity fetch asks this subgraph for (see
 *   {@link entityScopes}).
 * - `@cost` / `@listSize` (Apollo demand control, IBM cost spec): the gateway's cost model of
 *   src/security/costLimits.ts, as far as the router's can say it (see {@link costDirectives}).
 *
 * The gateway keeps checking both itself: behind a router every request arrives with the router's
 * one gateway key, so the router is where each client's own scopes can be checked, and a costly
 * operation refused before it is planned. These directives only annotate the schema; nothing the
 * executable schema does depends on them.
 */

/** Directives that come from the tables only: a hand-written one in schema/ is refused. */
const GENERATED = ['requiresScopes', 'cost', 'listSize'] as const;

export interface RouterDirectiveOptions {
  /** Root field (`Type.field`) → permission. Default: the gateway's `FIELD_PERMISSIONS`. */
  fieldPermissions?: Readonly<Record<string, string>>;
  /** Field below the root → permission. Default: `NESTED_FIELD_PERMISSIONS`. */
  nestedFieldPermissions?: Readonly<Record<string, string>>;
  /**
   * Write `@requiresScopes` (default true). A supergraph linking the requiresScopes spec
   * (`for: SECURITY`) is refused by what cannot enforce it: `@apollo/gateway`, and Apollo Router
   * without a GraphOS license. `false` is for those (a test through @apollo/gateway,
   * `schema:print --without-scopes`).
   */
  requiresScopes?: boolean;
  /** The list size the gateway assumes when nothing tells it. Default: `DEFAULT_LIMITS.defaultListSize`. */
  defaultListSize?: number;
}

/** The typeDefs with the router's directives added to their field definitions. */
export function applyRouterDirectives(
  typeDefs: DocumentNode,
  options: RouterDirectiveOptions = {},
): DocumentNode {
  const fieldPermissions = options.fieldPermissions ?? FIELD_PERMISSIONS;
  const nestedPermissions = options.nestedFieldPermissions ?? NESTED_FIELD_PERMISSIONS;
  const defaultListSize = options.defaultListSize ?? DEFAULT_LIMITS.defaultListSize;
  const types = describeTypes(typeDefs.definitions);

  const withDirectives = (node: ObjectTypeDefinitionNode | ObjectTypeExtensionNode) => {
    const typeName = node.name.value;
    const fields = node.fields?.map((field) => {
      const coordinate = `${typeName}.${field.name.value}`;
      for (const d of field.directives ?? []) {
        if ((GENERATED as readonly string[]).includes(d.name.value)) {
          throw new Error(
            `${coordinate} carries @${d.name.value} in schema/: router directives are generated from the gateway's tables (src/app/routerDirectives.ts).`,
          );
        }
      }
      const scopes =
        options.requiresScopes === false
          ? []
          : fieldScopes({ coordinate, typeName, field, fieldPermissions, nestedPermissions, types });
      const added = [
        ...(scopes.length === 0 ? [] : [directive('requiresScopes', { scopes: [scopes] })]),
        ...costDirectives({ field, types, defaultListSize }),
      ];
      return added.length === 0 ? field : { ...field, directives: [...(field.directives ?? []), ...added] };
    });
    return { ...node, fields };
  };

  return visit(typeDefs, {
    ObjectTypeDefinition: withDirectives,
    ObjectTypeExtension: withDirectives,
  });
}

// ---------------------------------------------------------------------------------------------
// Scopes

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);
const ENTITIES = 'Query._entities';

/** The scopes a field needs (all of them: one AND group), sorted; empty when none. */
function fieldScopes(args: {
  coordinate: string;
  typeName: string;
  field: FieldDefinitionNode;
  fieldPermissions: Readonly<Record<string, string>>;
  nestedPermissions: Readonly<Record<string, string>>;
  types: TypeFacts;
}): string[] {
  const { coordinate, typeName, field, fieldPermissions, nestedPermissions, types } = args;
  const scopes = new Set<string>();
  if (ROOT_TYPES.has(typeName)) {
    const permission = fieldPermissions[coordinate];
    // The gateway refuses an unmapped root field to every key without `*`; a router must not be
    // told less. Map it in src/security/permissions.ts.
    if (permission === undefined) {
      throw new Error(`${coordinate} has no FIELD_PERMISSIONS entry (src/security/permissions.ts).`);
    }
    scopes.add(permission);
  }
  const nested = nestedPermissions[coordinate];
  if (nested !== undefined) scopes.add(nested);
  const entity = entityScopes(typeName, field.name.value, fieldPermissions, types);
  if (entity !== undefined) scopes.add(entity);
  return [...scopes].sort();
}

/**
 * Entity fetches. A router resolves `{ accounts { braze { firstName } } }` by sending
 * `_entities(representations:)` to this subgraph, a root field that exists only in the subgraph
 * (the supergraph has no `Query._entities` to carry a scope). What a router checks is the
 * client's selection: so the scope of `Query._entities` goes on every field of an entity type
 * that this subgraph resolves, which is what a fetch asks for. The key fields (`externalId`) stay
 * free: the referencing subgraph holds them, selecting only them costs this subgraph nothing, and
 * a scope there would bind every subgraph that declares the key. `Query.user` and friends need the
 * same permission at the root anyway.
 */
function entityScopes(
  typeName: string,
  fieldName: string,
  fieldPermissions: Readonly<Record<string, string>>,
  types: TypeFacts,
): string | undefined {
  const keyFields = types.entityKeyFields.get(typeName);
  if (keyFields === undefined || keyFields.has(fieldName)) return undefined;
  const permission = fieldPermissions[ENTITIES];
  if (permission === undefined) {
    throw new Error(`${typeName} is an entity but ${ENTITIES} has no FIELD_PERMISSIONS entry.`);
  }
  return permission;
}

// ---------------------------------------------------------------------------------------------
// Cost

/**
 * The gateway's cost (src/security/costLimits.ts): every field costs FIELD_COST, plus, for a field
 * with a sub-selection, that selection's cost times the field's list size (1 for a non-list);
 * the size is the longest list argument, else the enclosing connection's `first`, else
 * `defaultListSize`.
 *
 * The router's (Apollo demand control): every field costs `size × (weight + sub-selection)`, where
 * the weight is the field's `@cost`, else its type's, else 1 for an object and 0 for a scalar or
 * enum; the size comes from an enclosing field's `@listSize(sizedFields:)`, else the field's own
 * `@listSize` (a slicing argument, else `assumedSize`), else the router's `list_size`. It adds 10
 * to a mutation and 1 for each input object in the arguments.
 *
 * So, field by field:
 * - a non-list scalar or enum: `@cost(weight: FIELD_COST)`, equal (the router would say 0);
 * - a non-list object: equal at the router's default weight 1 (`@cost` only if FIELD_COST differs);
 * - a list of objects: `@cost(weight: 0)`, so the router counts `size × sub` where the gateway
 *   counts `FIELD_COST + size × sub` (its own weight would be multiplied by the size: 0 is the
 *   closest the router can get, FIELD_COST below ours); a list of scalars costs the router 0 where
 *   the gateway counts FIELD_COST;
 * - a field with an Int `first` returning an object: `@listSize(slicingArguments: ["first"],
 *   sizedFields: <every list field of that object>)`, the gateway's connection rule. When the
 *   client leaves `first` out, the router takes its schema default where the gateway takes
 *   `defaultListSize`;
 * - every list of objects: `@listSize(assumedSize: defaultListSize)`. The gateway sizes a list
 *   with a list argument (`users(externalIds:)`, `trackEvents(events:)`) by that argument's length;
 *   the router cannot (composition accepts only Int slicing arguments), so it assumes
 *   `defaultListSize` there too, and counts the input objects of the argument instead.
 */
function costDirectives(args: {
  field: FieldDefinitionNode;
  types: TypeFacts;
  defaultListSize: number;
}): ConstDirectiveNode[] {
  const { field, types, defaultListSize } = args;
  const { list, named } = unwrap(field.type);
  const composite = types.composite.has(named);
  const out: ConstDirectiveNode[] = [];
  if (!list && !composite) out.push(directive('cost', { weight: FIELD_COST }));
  if (!list && composite && FIELD_COST !== ROUTER_OBJECT_WEIGHT) {
    out.push(directive('cost', { weight: FIELD_COST }));
  }
  if (list && composite) {
    out.push(directive('cost', { weight: 0 }));
    out.push(directive('listSize', { assumedSize: defaultListSize }));
  }
  const pageSize = field.arguments?.find((a) => a.name.value === PAGE_SIZE_ARGUMENT);
  const sizedFields = types.listFields.get(named) ?? [];
  if (!list && composite && pageSize !== undefined && isInt(pageSize) && sizedFields.length > 0) {
    out.push(
      directive('listSize', {
        slicingArguments: [PAGE_SIZE_ARGUMENT],
        sizedFields,
        // `first: null` (or a variable left unset) must not fail the router's estimate: the
        // gateway falls back to defaultListSize there, as each sized field's own @listSize says.
        requireOneSlicingArgument: false,
      }),
    );
  }
  return out;
}

/** The router's weight for an object field without `@cost`. */
const ROUTER_OBJECT_WEIGHT = 1;

function isInt(arg: InputValueDefinitionNode): boolean {
  const type = arg.type.kind === Kind.NON_NULL_TYPE ? arg.type.type : arg.type;
  return type.kind === Kind.NAMED_TYPE && type.name.value === 'Int';
}

function unwrap(type: TypeNode): { list: boolean; named: string } {
  let list = false;
  let t = type;
  while (t.kind !== Kind.NAMED_TYPE) {
    if (t.kind === Kind.LIST_TYPE) list = true;
    t = t.type;
  }
  return { list, named: t.name.value };
}

// ---------------------------------------------------------------------------------------------
// What the typeDefs say about their types

interface TypeFacts {
  /** Object, interface and union names: fields of these types have sub-selections. */
  composite: Set<string>;
  /** Object or interface name → its list fields, definitions and extensions together, in order. */
  listFields: Map<string, string[]>;
  /** Entity type → the top-level fields of its resolvable `@key`s. */
  entityKeyFields: Map<string, Set<string>>;
}

function describeTypes(definitions: readonly DefinitionNode[]): TypeFacts {
  const facts: TypeFacts = { composite: new Set(), listFields: new Map(), entityKeyFields: new Map() };
  for (const def of definitions) {
    switch (def.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION:
      case Kind.INTERFACE_TYPE_DEFINITION:
      case Kind.INTERFACE_TYPE_EXTENSION: {
        const name = def.name.value;
        facts.composite.add(name);
        const lists = facts.listFields.get(name) ?? [];
        for (const f of def.fields ?? []) if (unwrap(f.type).list) lists.push(f.name.value);
        facts.listFields.set(name, lists);
        for (const key of def.directives ?? []) {
          if (key.name.value !== 'key') continue;
          // `resolvable: false`: another subgraph's stub of the entity, fetched from none here.
          const resolvable = argument(key, 'resolvable');
          if (resolvable?.kind === Kind.BOOLEAN && !resolvable.value) continue;
          const fields = argument(key, 'fields');
          if (fields?.kind !== Kind.STRING) continue;
          const known = facts.entityKeyFields.get(name) ?? new Set<string>();
          for (const f of topLevelFields(fields.value)) known.add(f);
          facts.entityKeyFields.set(name, known);
        }
        break;
      }
      case Kind.UNION_TYPE_DEFINITION:
      case Kind.UNION_TYPE_EXTENSION:
        facts.composite.add(def.name.value);
        break;
      default:
        break;
    }
  }
  return facts;
}

function argument(d: ConstDirectiveNode, name: string): ConstValueNode | undefined {
  return d.arguments?.find((a) => a.name.value === name)?.value;
}

/** `"id organization { id }"` → id, organization. */
function topLevelFields(fieldSet: string): string[] {
  const op = parse(`{ ${fieldSet} }`).definitions[0];
  if (op?.kind !== Kind.OPERATION_DEFINITION) return [];
  return op.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
}

// ---------------------------------------------------------------------------------------------
// AST

type Plain = string | number | boolean | readonly Plain[];

function directive(name: string, args: Readonly<Record<string, Plain>>): ConstDirectiveNode {
  return {
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: name },
    arguments: Object.entries(args).map(([argName, value]) => ({
      kind: Kind.ARGUMENT,
      name: { kind: Kind.NAME, value: argName },
      value: constValue(value),
    })),
  };
}

function constValue(value: Plain): ConstValueNode {
  if (typeof value === 'string') return { kind: Kind.STRING, value };
  if (typeof value === 'boolean') return { kind: Kind.BOOLEAN, value };
  if (typeof value === 'number') return { kind: Kind.INT, value: String(value) };
  return { kind: Kind.LIST, values: value.map(constValue) };
}
