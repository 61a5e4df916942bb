import type { ASTNode, GraphQLError, OperationDefinitionNode } from 'graphql';
import { LimitExceededError, toGraphQLError } from '../errors.js';
import { parseWholeNumber } from '../parseEnv.js';

/**
 * Abuse limits: what one GraphQL request may ask of the gateway before anything runs. This file
 * holds the options, their defaults and environment variables, and the error every limit raises.
 *
 * Two halves, because graphql-js validation rules never see variable values:
 * - `limitValidationRules` (./shapeLimits.ts): pure `ValidationRule`s on the document's shape (depth, aliases,
 *   root fields, operations per document, directives per field). Give them to Apollo's
 *   `validationRules`; they run with graphql-js' own rules, once per document.
 * - `checkRequestLimits` (./costLimits.ts): the limits that depend on variables (query cost, input list
 *   lengths), for the operation that will run. Call it after validation and before execution
 *   (Apollo's `didResolveOperation`; see `requestLimitsPlugin` in `./apolloPlugins.ts`).
 *
 * Every rejection is a GraphQLError with `extensions.code` `BAD_USER_INPUT`, a stable
 * `extensions.limit` (the option's name) and `extensions.max`. Its `originalError` is a
 * {@link LimitExceededError}, so the gateway's `formatError` keeps code and fields even where
 * Apollo would relabel a validation error as GRAPHQL_VALIDATION_FAILED.
 *
 * Every walk here follows fragments once each (memoised by name) and stops at fragment cycles,
 * so a document crafted to explode (fragments spreading each other twice, 30 levels down) costs
 * linear time to measure. The document may not have been validated yet: unknown fragments, types
 * and fields are tolerated, never thrown on.
 */

/** Every limit, with its default in {@link DEFAULT_LIMITS}. */
export interface LimitOptions {
  /**
   * Deepest nesting of fields in an operation, fragments followed; a root field is depth 1.
   * `__typename` adds no depth; introspection fields count like any other. Default 12 (the
   * deepest real query on the gateway's schema is 3).
   */
  maxDepth: number;
  /**
   * The depth allowed to an operation whose root fields are all introspection (`__schema`,
   * `__type`): the standard introspection query (graphql-js' `getIntrospectionQuery`, which
   * GraphiQL and codegen send) is 15 deep. It still bounds the `ofType { ofType … }` chain.
   * Default 15.
   */
  maxIntrospectionDepth: number;
  /**
   * Highest estimated cost of the operation that runs: each field costs 1, and a field that
   * returns a list multiplies its sub-selection's cost by the list's size (see
   * {@link estimateCost}). Default 100,000: the largest legitimate request, a 10,000-item list
   * mutation selecting all of `ItemResult`, costs 50,001; 10,000 users with every field and
   * their activity lists would cost about 1,000,000.
   */
  maxCost: number;
  /** List size assumed for a list field whose size no argument tells. Default 10. */
  defaultListSize: number;
  /** Most aliases in one operation, fragments expanded (each spread counts). Default 30. */
  maxAliases: number;
  /** Most distinct root fields (response keys) in one operation. Default 20. */
  maxRootFields: number;
  /**
   * Most operation definitions in one document. Only one of them runs (the one `operationName`
   * selects) but graphql-js parses and validates them all. Default 10.
   */
  maxOperations: number;
  /** Most directives on one field. Default 5. */
  maxDirectivesPerField: number;
  /**
   * Most items in any input list, in literals and variables alike, at any depth of an argument
   * (e.g. `trackEvents(events:)`, or an array inside a JSONObject attribute). Default 10,000.
   */
  maxListItems: number;
  /**
   * Per-argument caps on the argument's own list, keyed `Type.field.argument`
   * (e.g. `{ "Query.users.externalIds": 1000 }`); lists nested inside it keep `maxListItems`.
   */
  maxListItemsByArgument: Readonly<Record<string, number>>;
}

export const DEFAULT_LIMITS: Readonly<LimitOptions> = Object.freeze({
  maxDepth: 12,
  maxIntrospectionDepth: 15,
  maxCost: 100_000,
  defaultListSize: 10,
  maxAliases: 30,
  maxRootFields: 20,
  maxOperations: 10,
  maxDirectivesPerField: 5,
  maxListItems: 10_000,
  maxListItemsByArgument: Object.freeze({}),
});

/** The stable names in `extensions.limit`. */
export type LimitName = Exclude<keyof LimitOptions, 'defaultListSize' | 'maxListItemsByArgument'>;

/** The defaults with `overrides` applied. */
export function resolveLimits(overrides: Partial<LimitOptions> = {}): LimitOptions {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_LIMITS, ...defined };
}

/** A request over one of the limits; `formatError` turns it into `BAD_USER_INPUT`. */
export function limitError(
  message: string,
  limit: LimitName,
  max: number,
  nodes?: ASTNode | ASTNode[],
): GraphQLError {
  return toGraphQLError(new LimitExceededError(message, limit, max), nodes);
}

export function describeOperation(op: OperationDefinitionNode): string {
  return op.name === undefined ? `This ${op.operation}` : `Operation ${JSON.stringify(op.name.value)}`;
}

// ---------------------------------------------------------------------------------------------
// Configuration

type Env = Readonly<Record<string, string | undefined>>;

/** The environment variable for each limit that can be set from the environment. */
export const LIMIT_ENV: Readonly<Record<Exclude<keyof LimitOptions, 'maxListItemsByArgument'>, string>> = {
  maxDepth: 'GRAPHQL_MAX_DEPTH',
  maxIntrospectionDepth: 'GRAPHQL_MAX_INTROSPECTION_DEPTH',
  maxCost: 'GRAPHQL_MAX_COST',
  defaultListSize: 'GRAPHQL_DEFAULT_LIST_SIZE',
  maxAliases: 'GRAPHQL_MAX_ALIASES',
  maxRootFields: 'GRAPHQL_MAX_ROOT_FIELDS',
  maxOperations: 'GRAPHQL_MAX_OPERATIONS',
  maxDirectivesPerField: 'GRAPHQL_MAX_DIRECTIVES_PER_FIELD',
  maxListItems: 'GRAPHQL_MAX_LIST_ITEMS',
};

/**
 * The limits from the environment (each `GRAPHQL_MAX_…` in {@link LIMIT_ENV}; unset means the
 * default), with one config-style message per bad value, for the caller's ConfigError.
 */
export function limitsFromEnv(env: Env): { limits: LimitOptions; problems: string[] } {
  const problems: string[] = [];
  const overrides: Partial<LimitOptions> = {};
  for (const [option, name] of Object.entries(LIMIT_ENV) as Array<[keyof typeof LIMIT_ENV, string]>) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    const n = parseWholeNumber(raw);
    if (n === undefined || n < 1) {
      problems.push(
        `${name}=${JSON.stringify(env[name])} is not valid: expected a whole number of at least 1 (default ${DEFAULT_LIMITS[option]}).`,
      );
      continue;
    }
    overrides[option] = n;
  }
  return { limits: resolveLimits(overrides), problems };
}
