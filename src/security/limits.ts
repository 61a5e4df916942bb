import type { GraphQLError } from 'graphql';
import {
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  type ASTNode,
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import { LimitExceededError, toGraphQLError } from '../errors.js';
import { parseWholeNumber } from '../parseEnv.js';

/**
 * Abuse limits: what one GraphQL request may ask of the gateway before anything runs.
 *
 * Two halves, because graphql-js validation rules never see variable values:
 * - {@link limitValidationRules}: pure `ValidationRule`s on the document's shape (depth, aliases,
 *   root fields, operations per document, directives per field). Give them to Apollo's
 *   `validationRules`; they run with graphql-js' own rules, once per document.
 * - {@link checkRequestLimits}: the limits that depend on variables (query cost, input list
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
function limitError(
  message: string,
  limit: LimitName,
  max: number,
  nodes?: ASTNode | ASTNode[],
): GraphQLError {
  return toGraphQLError(new LimitExceededError(message, limit, max), nodes);
}

function describeOperation(op: OperationDefinitionNode): string {
  return op.name === undefined ? `This ${op.operation}` : `Operation ${JSON.stringify(op.name.value)}`;
}

// ---------------------------------------------------------------------------------------------
// Shape: depth and aliases, no schema needed

interface Shape {
  depth: number;
  aliases: number;
}

type FragmentLookup = (name: string) => FragmentDefinitionNode | undefined;

/** Depth and alias count of a selection set, fragments expanded once each (memoised). */
function shapeOf(
  set: SelectionSetNode,
  fragment: FragmentLookup,
  memo: Map<string, Shape>,
  stack: Set<string>,
): Shape {
  let depth = 0;
  let aliases = 0;
  for (const sel of set.selections) {
    let child: Shape;
    if (sel.kind === Kind.FIELD) {
      if (sel.alias !== undefined) aliases += 1;
      // `__typename` is a leaf resolved without a resolver: it adds no depth.
      if (sel.name.value === '__typename') continue;
      child =
        sel.selectionSet === undefined
          ? { depth: 0, aliases: 0 }
          : shapeOf(sel.selectionSet, fragment, memo, stack);
      depth = Math.max(depth, 1 + child.depth);
    } else {
      child =
        sel.kind === Kind.INLINE_FRAGMENT
          ? shapeOf(sel.selectionSet, fragment, memo, stack)
          : fragmentShape(sel.name.value, fragment, memo, stack);
      depth = Math.max(depth, child.depth);
    }
    aliases += child.aliases;
  }
  return { depth, aliases };
}

function fragmentShape(
  name: string,
  fragment: FragmentLookup,
  memo: Map<string, Shape>,
  stack: Set<string>,
): Shape {
  const known = memo.get(name);
  if (known !== undefined) return known;
  const def = fragment(name);
  // A cycle (refused by graphql-js' NoFragmentCycles) or an unknown fragment adds nothing here.
  if (def === undefined || stack.has(name)) return { depth: 0, aliases: 0 };
  stack.add(name);
  const shape = shapeOf(def.selectionSet, fragment, memo, stack);
  stack.delete(name);
  memo.set(name, shape);
  return shape;
}

/** Response keys and field names selected at the root, through fragments (each fragment once). */
function rootSelections(
  set: SelectionSetNode,
  fragment: FragmentLookup,
): { keys: Set<string>; fieldNames: Set<string> } {
  const keys = new Set<string>();
  const fieldNames = new Set<string>();
  const seen = new Set<string>();
  const walk = (s: SelectionSetNode): void => {
    for (const sel of s.selections) {
      if (sel.kind === Kind.FIELD) {
        keys.add(sel.alias?.value ?? sel.name.value);
        fieldNames.add(sel.name.value);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) walk(sel.selectionSet);
      else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        const def = fragment(sel.name.value);
        if (def !== undefined) walk(def.selectionSet);
      }
    }
  };
  walk(set);
  return { keys, fieldNames };
}

const INTROSPECTION_ROOTS = new Set(['__schema', '__type', '__typename']);

/** One memo per validation (one document): fragment shapes are shared by its operations. */
function shapeMemo(
  context: ValidationContext,
  memos: WeakMap<ValidationContext, Map<string, Shape>>,
): Map<string, Shape> {
  let memo = memos.get(context);
  if (memo === undefined) {
    memo = new Map();
    memos.set(context, memo);
  }
  return memo;
}

// ---------------------------------------------------------------------------------------------
// Validation rules

/**
 * The shape limits as graphql-js validation rules: depth, aliases, root fields, operations per
 * document, directives per field. For Apollo: `validationRules: limitValidationRules(options)`.
 */
export function limitValidationRules(overrides: Partial<LimitOptions> = {}): ValidationRule[] {
  const o = resolveLimits(overrides);
  const memos = new WeakMap<ValidationContext, Map<string, Shape>>();

  const depthAndAliases: ValidationRule = (context) => ({
    OperationDefinition(op) {
      const fragment: FragmentLookup = (name) => context.getFragment(name) ?? undefined;
      const shape = shapeOf(op.selectionSet, fragment, shapeMemo(context, memos), new Set());
      const { fieldNames } = rootSelections(op.selectionSet, fragment);
      const introspectionOnly = [...fieldNames].every((n) => INTROSPECTION_ROOTS.has(n));
      const maxDepth = introspectionOnly ? Math.max(o.maxDepth, o.maxIntrospectionDepth) : o.maxDepth;
      if (shape.depth > maxDepth) {
        context.reportError(
          limitError(
            `${describeOperation(op)} nests fields ${shape.depth} levels deep; the limit is ${maxDepth}.`,
            introspectionOnly && maxDepth !== o.maxDepth ? 'maxIntrospectionDepth' : 'maxDepth',
            maxDepth,
            op,
          ),
        );
      }
      if (shape.aliases > o.maxAliases) {
        context.reportError(
          limitError(
            `${describeOperation(op)} uses ${shape.aliases} aliases (fragments expanded); the limit is ${o.maxAliases}.`,
            'maxAliases',
            o.maxAliases,
            op,
          ),
        );
      }
    },
  });

  const rootFields: ValidationRule = (context) => ({
    OperationDefinition(op) {
      const { keys } = rootSelections(op.selectionSet, (name) => context.getFragment(name) ?? undefined);
      if (keys.size > o.maxRootFields) {
        context.reportError(
          limitError(
            `${describeOperation(op)} selects ${keys.size} root fields; the limit is ${o.maxRootFields}. Send several requests instead.`,
            'maxRootFields',
            o.maxRootFields,
            op,
          ),
        );
      }
    },
  });

  const operations: ValidationRule = (context) => ({
    Document(doc) {
      const ops = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
      if (ops.length > o.maxOperations) {
        context.reportError(
          limitError(
            `The document holds ${ops.length} operations; the limit is ${o.maxOperations}. Only the one named by operationName runs: send the others in their own requests.`,
            'maxOperations',
            o.maxOperations,
          ),
        );
      }
    },
  });

  const directives: ValidationRule = (context) => ({
    Field(field) {
      const count = field.directives?.length ?? 0;
      if (count > o.maxDirectivesPerField) {
        context.reportError(
          limitError(
            `Field ${field.name.value} carries ${count} directives; the limit is ${o.maxDirectivesPerField}.`,
            'maxDirectivesPerField',
            o.maxDirectivesPerField,
            field,
          ),
        );
      }
    },
  });

  return [operations, depthAndAliases, rootFields, directives];
}

// ---------------------------------------------------------------------------------------------
// Cost and input lists: need the schema and the variables

/** One request as the server sees it after parsing. */
export interface LimitedRequest {
  document: DocumentNode;
  variables?: Readonly<Record<string, unknown>> | null;
  operationName?: string | null;
  schema: GraphQLSchema;
}

/** The operation that runs: the one named, or the only one; undefined when that is ambiguous. */
export function selectOperation(
  document: DocumentNode,
  operationName?: string | null,
): OperationDefinitionNode | undefined {
  const ops = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  if (operationName === undefined || operationName === null) return ops.length === 1 ? ops[0] : undefined;
  return ops.find((op) => op.name?.value === operationName);
}

interface Walk {
  schema: GraphQLSchema;
  variables: Readonly<Record<string, unknown>>;
  variableDefaults: ReadonlyMap<string, ValueNode>;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  options: LimitOptions;
  fragmentCost: Map<string, number>;
  stack: Set<string>;
  /** First input list over its cap, if any (one is enough to refuse the request). */
  listError?: GraphQLError;
  checkedVariables: Set<string>;
}

function startWalk(req: LimitedRequest, op: OperationDefinitionNode, options: LimitOptions): Walk {
  return {
    schema: req.schema,
    variables: req.variables ?? {},
    variableDefaults: new Map(
      (op.variableDefinitions ?? []).flatMap((v) =>
        v.defaultValue === undefined ? [] : [[v.variable.name.value, v.defaultValue] as const],
      ),
    ),
    fragments: new Map(
      req.document.definitions.flatMap((d) =>
        d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [],
      ),
    ),
    options,
    fragmentCost: new Map(),
    stack: new Set(),
    checkedVariables: new Set(),
  };
}

function rootType(schema: GraphQLSchema, op: OperationDefinitionNode): GraphQLNamedType | undefined {
  return schema.getRootType(op.operation) ?? undefined;
}

function fieldDef(
  schema: GraphQLSchema,
  parent: GraphQLNamedType | undefined,
  name: string,
): GraphQLField<unknown, unknown> | undefined {
  if (name === '__typename') return TypeNameMetaFieldDef;
  if (parent !== undefined && parent === schema.getQueryType()) {
    if (name === '__schema') return SchemaMetaFieldDef;
    if (name === '__type') return TypeMetaFieldDef;
  }
  if (parent !== undefined && (isObjectType(parent) || isInterfaceType(parent))) {
    return parent.getFields()[name];
  }
  return undefined;
}

/**
 * Cost of a selection set under `parent`. Branches of an abstract type (inline fragments and
 * spreads on different types) are summed, an upper bound rather than the cost of one branch.
 */
function selectionCost(set: SelectionSetNode, parent: GraphQLNamedType | undefined, w: Walk): number {
  let total = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) total += fieldCost(sel, parent, w);
    else if (sel.kind === Kind.INLINE_FRAGMENT) {
      const type = sel.typeCondition === undefined ? parent : w.schema.getType(sel.typeCondition.name.value);
      total += selectionCost(sel.selectionSet, type ?? undefined, w);
    } else total += fragmentCost(sel.name.value, w);
  }
  return total;
}

function fragmentCost(name: string, w: Walk): number {
  const known = w.fragmentCost.get(name);
  if (known !== undefined) return known;
  const def = w.fragments.get(name);
  if (def === undefined || w.stack.has(name)) return 0;
  w.stack.add(name);
  const cost = selectionCost(
    def.selectionSet,
    w.schema.getType(def.typeCondition.name.value) ?? undefined,
    w,
  );
  w.stack.delete(name);
  w.fragmentCost.set(name, cost);
  return cost;
}

function fieldCost(field: FieldNode, parent: GraphQLNamedType | undefined, w: Walk): number {
  const def = fieldDef(w.schema, parent, field.name.value);
  checkArgumentLists(field, parent, def, w);
  if (field.name.value === '__typename') return 0;
  const named = def === undefined ? undefined : getNamedType(def.type);
  const sub =
    field.selectionSet === undefined
      ? 0
      : selectionCost(
          field.selectionSet,
          named !== undefined && isCompositeType(named) ? named : undefined,
          w,
        );
  const returnsList = def !== undefined && isListType(getNullableType(def.type));
  return 1 + (returnsList ? listSize(field, def, w) : 1) * sub;
}

/**
 * The size of the list a field returns, as its arguments imply: the longest list argument
 * (e.g. `users(externalIds:)`, `trackEvents(events:)`), else `defaultListSize`.
 */
function listSize(field: FieldNode, def: GraphQLField<unknown, unknown>, w: Walk): number {
  let size: number | undefined;
  for (const arg of field.arguments ?? []) {
    const argDef = def.args.find((a) => a.name === arg.name.value);
    if (argDef === undefined || !isListType(getNullableType(argDef.type))) continue;
    const n = valueLength(arg.value, w);
    if (n !== undefined) size = Math.max(size ?? 0, n);
  }
  return size ?? w.options.defaultListSize;
}

/** Items in a list argument's value: a literal, a variable, or a variable's default. */
function valueLength(value: ValueNode, w: Walk): number | undefined {
  if (value.kind === Kind.LIST) return value.values.length;
  if (value.kind === Kind.NULL) return 0;
  if (value.kind !== Kind.VARIABLE) return 1; // a single value is coerced to a one-item list
  const name = value.name.value;
  const given = w.variables[name];
  if (Array.isArray(given)) return given.length;
  if (given === null) return 0;
  if (given !== undefined) return 1;
  const fallback = w.variableDefaults.get(name);
  return fallback === undefined ? undefined : valueLength(fallback, w);
}

/** Checks every list in a field's arguments against its cap; keeps the first violation. */
function checkArgumentLists(
  field: FieldNode,
  parent: GraphQLNamedType | undefined,
  def: GraphQLField<unknown, unknown> | undefined,
  w: Walk,
): void {
  if (w.listError !== undefined) return;
  for (const arg of field.arguments ?? []) {
    const argName = arg.name.value;
    const key = `${parent?.name ?? '?'}.${def?.name ?? field.name.value}.${argName}`;
    const ownCap = w.options.maxListItemsByArgument[key];
    const where = `${field.name.value}(${argName}:)`;
    const found = oversizedLiteral(arg, ownCap ?? w.options.maxListItems, w);
    if (found !== undefined) {
      const { length, path, cap } = found;
      const at = path === argName ? '' : ` at ${path}`;
      w.listError = limitError(
        `Argument ${where} holds a list of ${length} items${at}; the limit is ${cap}. Split the request.`,
        'maxListItems',
        cap,
        arg,
      );
      return;
    }
  }
}

type Oversized = { length: number; path: string; cap: number };

function oversizedLiteral(arg: ArgumentNode, topCap: number, w: Walk): Oversized | undefined {
  const nested = w.options.maxListItems;
  const visitNode = (value: ValueNode, path: string, cap: number): Oversized | undefined => {
    switch (value.kind) {
      case Kind.LIST: {
        if (value.values.length > cap) return { length: value.values.length, path, cap };
        for (let i = 0; i < value.values.length; i++) {
          const hit = visitNode(value.values[i]!, `${path}[${i}]`, nested);
          if (hit !== undefined) return hit;
        }
        return undefined;
      }
      case Kind.OBJECT:
        for (const f of value.fields) {
          const hit = visitNode(f.value, `${path}.${f.name.value}`, nested);
          if (hit !== undefined) return hit;
        }
        return undefined;
      case Kind.VARIABLE: {
        const name = value.name.value;
        if (name in w.variables) {
          // A variable used twice is checked once: its value is the same each time.
          if (w.checkedVariables.has(`${name}@${cap}`)) return undefined;
          w.checkedVariables.add(`${name}@${cap}`);
          return visitJson(w.variables[name], path, cap);
        }
        const fallback = w.variableDefaults.get(name);
        return fallback === undefined ? undefined : visitNode(fallback, path, cap);
      }
      default:
        return undefined;
    }
  };
  const visitJson = (value: unknown, path: string, cap: number): Oversized | undefined => {
    if (Array.isArray(value)) {
      if (value.length > cap) return { length: value.length, path, cap };
      for (let i = 0; i < value.length; i++) {
        const hit = visitJson(value[i], `${path}[${i}]`, nested);
        if (hit !== undefined) return hit;
      }
      return undefined;
    }
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        const hit = visitJson(v, `${path}.${k}`, nested);
        if (hit !== undefined) return hit;
      }
    }
    return undefined;
  };
  return visitNode(arg.value, arg.name.value, topCap);
}

/**
 * The estimated cost of the operation that runs (`operationName`, or the only one): each field
 * costs 1 (`__typename` 0); a field returning a list multiplies its sub-selection's cost by the
 * list's size, taken from the longest list argument (literal, variable or the variable's
 * default), else `defaultListSize`. So `users(externalIds: <120 ids>) { email firstName }` costs
 * 1 + 120 × 2 = 241. Returns 0 when no operation can be selected.
 */
export function estimateCost(
  document: DocumentNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  schema: GraphQLSchema,
  options: { operationName?: string | null; defaultListSize?: number } = {},
): number {
  const op = selectOperation(document, options.operationName);
  if (op === undefined) return 0;
  const limits = resolveLimits({ defaultListSize: options.defaultListSize });
  const w = startWalk({ document, variables, schema }, op, limits);
  return selectionCost(op.selectionSet, rootType(schema, op), w);
}

/**
 * The limits that need the variables, for the operation that runs: input list lengths, then
 * cost. Returns the errors (empty when the request is within every limit); the server answers
 * them instead of executing. When no operation can be selected it returns none: execution
 * reports that itself, and runs nothing.
 */
export function checkRequestLimits(
  req: LimitedRequest,
  overrides: Partial<LimitOptions> = {},
): GraphQLError[] {
  const op = selectOperation(req.document, req.operationName);
  if (op === undefined) return [];
  const options = resolveLimits(overrides);
  const w = startWalk(req, op, options);
  const cost = selectionCost(op.selectionSet, rootType(req.schema, op), w);
  const errors: GraphQLError[] = [];
  if (w.listError !== undefined) errors.push(w.listError);
  if (cost > options.maxCost) {
    errors.push(
      limitError(
        `${describeOperation(op)} is estimated to cost ${Math.round(cost)}; the limit is ${options.maxCost}. Each field counts 1, times the size of every list above it: select fewer fields or send fewer items per request.`,
        'maxCost',
        options.maxCost,
        op,
      ),
    );
  }
  return errors;
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
