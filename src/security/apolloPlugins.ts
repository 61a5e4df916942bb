import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';
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
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(ctx) {
          const principal = opts.principalOf(ctx.contextValue);
          if (principal.permissions.has(ALL_PERMISSIONS)) return;
          const needed = operationPermissions(
            ctx.document,
            opts.fieldPermissions,
            ctx.request.operationName,
            publicFields,
          );
          try {
            if (needed.unmapped.length > 0) {
              throw new ForbiddenError(
                `${needed.unmapped.join(', ')} ${needed.unmapped.length > 1 ? 'are' : 'is'} not open to gateway keys with a permission list: use a key with * for ${needed.unmapped.length > 1 ? 'them' : 'it'}.`,
              );
            }
            const nested =
              opts.nestedFieldPermissions === undefined
                ? []
                : nestedFieldPermissions(
                    ctx.document,
                    ctx.schema,
                    opts.nestedFieldPermissions,
                    ctx.request.operationName,
                  );
            requirePermissions(principal, [...needed.permissions, ...nested]);
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

/** A copy of `error` whose `extensions.http` sets the response status (Apollo removes it). */
function withHttpStatus(error: GraphQLError, status: number): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    originalError: error.originalError,
    extensions: { ...error.extensions, http: { status } },
  });
}
