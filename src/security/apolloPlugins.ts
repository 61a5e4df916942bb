import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import { ForbiddenError, toGraphQLError } from '../errors.js';
import { ALL_PERMISSIONS, type Principal } from './keyStore.js';
import {
  PUBLIC_ROOT_FIELDS,
  nestedFieldPermissions,
  operationPermissions,
  requirePermissions,
} from './operationPermissions.js';
import { checkRequestLimits } from './costLimits.js';
import type { LimitOptions } from './limits.js';

/**
 * The security checks as Apollo plugins, for a one-line integration in the server. Both run in
 * `didResolveOperation`: after parsing and validation, before any resolver, so a refused request
 * never reaches a batcher or Braze. An error thrown there becomes the whole response; each carries
 * `extensions.http` so the answer has a 4xx status instead of Apollo's default 500.
 */

/**
 * Refuses requests over the variable-dependent limits (cost, input list lengths) with 400.
 * Pair it with `validationRules: limitValidationRules(options)` for the shape limits.
 */
export function requestLimitsPlugin<TContext extends BaseContext>(
  options: Partial<LimitOptions> = {},
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(ctx) {
          const [first] = checkRequestLimits(
            {
              document: ctx.document,
              variables: ctx.request.variables,
              operationName: ctx.request.operationName,
              schema: ctx.schema,
            },
            options,
          );
          if (first !== undefined) throw withHttpStatus(first, 400);
        },
      };
    },
  };
}

export interface PermissionsPluginOptions<TContext> {
  /**
   * Root field → permission, keyed `Type.field` or a bare field name, e.g.
   * `{ 'Mutation.trackEvents': 'users.track', 'Query.users': 'users.export.ids' }`.
   */
  fieldPermissions: Readonly<Record<string, string>>;
  /**
   * Fields below the root that need a permission of their own, keyed `Type.field`, e.g.
   * `{ 'Campaign.details': 'campaigns.details' }`. Checked wherever the operation selects them.
   */
  nestedFieldPermissions?: Readonly<Record<string, string>>;
  /** The caller, as the context function authenticated it. */
  principalOf(context: TContext): Principal;
  /** Root fields that need no permission. Default: introspection and `_service`. */
  publicFields?: readonly string[];
}

/**
 * Refuses, with 403 and before anything runs, an operation whose root fields need a permission
 * the caller's key lacks; the message names every missing permission. A root field missing from
 * the map is refused too (unless the key holds `*`): a new field must be mapped before keys with
 * narrower rights can reach it.
 */
export function permissionsPlugin<TContext extends BaseContext>(
  opts: PermissionsPluginOptions<TContext>,
): ApolloServerPlugin<TContext> {
  const publicFields = opts.publicFields ?? PUBLIC_ROOT_FIELDS;
  const needsOf = documentNeeds(opts, publicFields);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(ctx) {
          const principal = opts.principalOf(ctx.contextValue);
          if (principal.permissions.has(ALL_PERMISSIONS)) return;
          const needs = needsOf(ctx.document, ctx.schema, ctx.request.operationName);
          const needed = needs.root;
          try {
            if (needed.unmapped.length > 0) {
              throw new ForbiddenError(
                `${needed.unmapped.join(', ')} ${needed.unmapped.length > 1 ? 'are' : 'is'} not open to gateway keys with a permission list: use a key with * for ${needed.unmapped.length > 1 ? 'them' : 'it'}.`,
              );
            }
            requirePermissions(principal, [...needed.permissions, ...needs.nested()]);
          } catch (err) {
            if (err instanceof ForbiddenError) {
              throw withHttpStatus(toGraphQLError(err), 403);
            }
            throw err;
          }
        },
      };
    },
  };
}

interface DocumentNeeds {
  root: ReturnType<typeof operationPermissions>;
  /** Worked out when first asked (only once no root field is refused). */
  nested(): readonly string[];
}

/**
 * What an operation needs depends on its document (and the fixed schema and maps) only, and
 * Apollo hands the same parsed document to every request that sends the same query: the walks
 * are done once per document and operation name, as Apollo caches the document itself.
 */
function documentNeeds<TContext>(
  opts: PermissionsPluginOptions<TContext>,
  publicFields: readonly string[],
): (document: DocumentNode, schema: GraphQLSchema, operationName?: string | null) => DocumentNeeds {
  const byDocument = new WeakMap<
    DocumentNode,
    { schema: GraphQLSchema; byName: Map<string, DocumentNeeds> }
  >();
  return (document, schema, operationName) => {
    let entry = byDocument.get(document);
    if (entry === undefined || entry.schema !== schema) {
      entry = { schema, byName: new Map() };
      byDocument.set(document, entry);
    }
    // `\u0000` cannot start a GraphQL name: it stands for "no operation name given".
    const name = operationName ?? '\u0000';
    let needs = entry.byName.get(name);
    if (needs === undefined) {
      let nested: readonly string[] | undefined;
      needs = {
        root: operationPermissions(document, opts.fieldPermissions, operationName, publicFields),
        nested: () =>
          (nested ??=
            opts.nestedFieldPermissions === undefined
              ? []
              : nestedFieldPermissions(document, schema, opts.nestedFieldPermissions, operationName)),
      };
      entry.byName.set(name, needs);
    }
    return needs;
  };
}

/** A copy of `error` whose `extensions.http` sets the response status (Apollo removes it). */
function withHttpStatus(error: GraphQLError, status: number): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    originalError: error.originalError,
    extensions: { ...error.extensions, http: { status } },
  });
}
