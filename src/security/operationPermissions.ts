import {
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { ForbiddenError } from '../errors.js';
import type { Principal } from './keyStore.js';

/**
 * What an operation needs: the Braze-style permissions its root fields require, checked against
 * the caller's principal before any resolver runs.
 */

// ---------------------------------------------------------------------------------------------
// What an operation needs

/**
 * @throws ForbiddenError naming the missing permission, e.g.
 *   `This gateway key lacks the permission users.delete.`
 */
export function requirePermission(principal: Principal, permission: string): void {
  if (!principal.can(permission)) {
    throw new ForbiddenError(`This gateway key lacks the permission ${permission}.`);
  }
}

/**
 * Like {@link requirePermission} for several at once; the message names every missing one,
 * so a client learns in one round trip what its key needs.
 */
export function requirePermissions(principal: Principal, permissions: Iterable<string>): void {
  const missing = [...new Set(permissions)].filter((p) => !principal.can(p)).sort();
  if (missing.length === 1) requirePermission(principal, missing[0]!);
  if (missing.length > 1) {
    throw new ForbiddenError(`This gateway key lacks the permissions ${missing.join(', ')}.`);
  }
}

/** Root fields anyone may query: introspection, and the federation SDL a router reads. */
export const PUBLIC_ROOT_FIELDS: readonly string[] = ['__schema', '__type', '__typename', '_service'];

/** The permissions an operation needs, from its root fields. */
export interface OperationPermissions {
  /** Sorted, without duplicates. */
  permissions: string[];
  /**
   * Root fields with no entry in the map and not public, as `Type.field` (e.g.
   * `Query._entities`). A server should refuse these: a new field must be mapped before
   * restricted keys can reach it.
   */
  unmapped: string[];
}

/**
 * The permissions an operation needs, before it runs: the root fields of the selected operation
 * (following fragment spreads and inline fragments, looking through aliases) looked up in
 * `fieldPermissions`. A key is `Type.field` (e.g. `Mutation.deleteUsers`) or a bare field name;
 * `Type.field` wins.
 *
 * The operation is the one named `operationName`, or the only one. When that cannot be decided
 * (several and no name, or an unknown name) every operation's fields count: execution will fail
 * anyway, and the check must not be the weak spot. `@skip`/`@include` are ignored for the same
 * reason: a skipped field still needs its permission.
 */
export function operationPermissions(
  document: DocumentNode,
  fieldPermissions: Readonly<Record<string, string>>,
  operationName?: string | null,
  publicFields: readonly string[] = PUBLIC_ROOT_FIELDS,
): OperationPermissions {
  const fragments = new Map(
    document.definitions.flatMap((d) =>
      d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d.selectionSet] as const] : [],
    ),
  );
  const selected = selectedOperations(document, operationName);

  const permissions = new Set<string>();
  const unmapped = new Set<string>();
  for (const op of selected) {
    const typeName =
      op.operation === 'query' ? 'Query' : op.operation === 'mutation' ? 'Mutation' : 'Subscription';
    for (const field of rootFieldNames(op.selectionSet, fragments)) {
      const permission = fieldPermissions[`${typeName}.${field}`] ?? fieldPermissions[field];
      if (permission !== undefined) permissions.add(permission);
      else if (!publicFields.includes(field)) unmapped.add(`${typeName}.${field}`);
    }
  }
  return { permissions: [...permissions].sort(), unmapped: [...unmapped].sort() };
}

/**
 * The permissions an operation needs for fields below the root, from `nestedPermissions` keyed
 * `Type.field` (e.g. `Campaign.details`, which costs a /campaigns/details request under a list
 * that needs only campaigns.list). Needs the schema to know each selection's parent type. Every
 * fragment of the document counts (a fragment unused by the operation fails validation anyway);
 * the operation is chosen as in {@link operationPermissions}.
 */
export function nestedFieldPermissions(
  document: DocumentNode,
  schema: GraphQLSchema,
  nestedPermissions: Readonly<Record<string, string>>,
  operationName?: string | null,
): string[] {
  const permissions = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  const visitor = visitWithTypeInfo(typeInfo, {
    Field(node) {
      const parent = typeInfo.getParentType();
      const permission = parent == null ? undefined : nestedPermissions[`${parent.name}.${node.name.value}`];
      if (permission !== undefined) permissions.add(permission);
    },
  });
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  for (const definition of [...selectedOperations(document, operationName), ...fragments]) {
    visit(definition, visitor);
  }
  return [...permissions].sort();
}

/** The operation named `operationName`, or the only one; every operation when that is undecided. */
function selectedOperations(
  document: DocumentNode,
  operationName: string | null | undefined,
): OperationDefinitionNode[] {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const named =
    operationName === undefined || operationName === null
      ? operations.length === 1
        ? operations
        : []
      : operations.filter((op) => op.name?.value === operationName);
  return named.length === 1 ? named : operations;
}

/** Field names (not aliases) selected at the root, through fragments; each fragment once. */
function rootFieldNames(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, SelectionSetNode>,
  seen = new Set<string>(),
  out = new Set<string>(),
): Set<string> {
  for (const sel of selectionSet.selections) {
    if (sel.kind === Kind.FIELD) out.add(sel.name.value);
    else if (sel.kind === Kind.INLINE_FRAGMENT) rootFieldNames(sel.selectionSet, fragments, seen, out);
    else {
      const name = sel.name.value;
      const fragment = fragments.get(name);
      if (fragment === undefined || seen.has(name)) continue;
      seen.add(name);
      rootFieldNames(fragment, fragments, seen, out);
    }
  }
  return out;
}
