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
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { describeOperation, limitError, resolveLimits, type LimitOptions } from './limits.js';

/**
 * The limits that need the schema and the variables: input list lengths and estimated cost, for
 * the operation that will run (called after validation, before execution).
 */

/**
 * What one selected field costs on its own (`__typename` costs 0). A field returning a list adds
 * its sub-selection's cost times the list's size. Exported for the `@cost` weights the subgraph
 * SDL carries for a router (src/app/routerDirectives.ts).
 */
export const FIELD_COST = 1;

/**
 * The argument that sizes a connection: the lists right under a field taking it (`edges`,
 * `nodes`, `entries`) hold that many entries. Exported for the router's `@listSize`.
 */
export const PAGE_SIZE_ARGUMENT = 'first';

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
  /**
   * A connection's `first`, for the lists right under it (`edges`, `nodes`) that take no list
   * argument of their own; undefined elsewhere.
   */
  pageSize: number | undefined;
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
    pageSize: undefined,
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
  // A fragment costs more under a connection asked for more entries: memoised per page size.
  const memo = `${name}|${w.pageSize ?? ''}`;
  const known = w.fragmentCost.get(memo);
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
  w.fragmentCost.set(memo, cost);
  return cost;
}

function fieldCost(field: FieldNode, parent: GraphQLNamedType | undefined, w: Walk): number {
  const def = fieldDef(w.schema, parent, field.name.value);
  checkArgumentLists(field, parent, def, w);
  if (field.name.value === '__typename') return 0;
  const named = def === undefined ? undefined : getNamedType(def.type);
  const returnsList = def !== undefined && isListType(getNullableType(def.type));
  const size = returnsList ? listSize(field, def, w) : 1;
  // Under a connection (a field with `first`), its lists hold `first` entries; below a list,
  // that no longer holds.
  const outer = w.pageSize;
  w.pageSize = returnsList ? undefined : firstOf(field, def, w);
  const sub =
    field.selectionSet === undefined
      ? 0
      : selectionCost(
          field.selectionSet,
          named !== undefined && isCompositeType(named) ? named : undefined,
          w,
        );
  w.pageSize = outer;
  return FIELD_COST + size * sub;
}

/**
 * A connection field's `first`: the literal, the variable, the variable's default, else the
 * argument's default in the schema (what the resolver will use: `campaignsConnection { … }`
 * pages by its declared default, not by `defaultListSize`); undefined for a field without one.
 */
function firstOf(
  field: FieldNode,
  def: GraphQLField<unknown, unknown> | undefined,
  w: Walk,
): number | undefined {
  const declared = def?.args.find((a) => a.name === PAGE_SIZE_ARGUMENT)?.defaultValue;
  const schemaDefault = typeof declared === 'number' ? declared : undefined;
  const arg = field.arguments?.find((a) => a.name.value === PAGE_SIZE_ARGUMENT);
  if (arg === undefined) return schemaDefault;
  let value: ValueNode | undefined = arg.value;
  if (value.kind === Kind.VARIABLE) {
    const given = w.variables[value.name.value];
    if (typeof given === 'number') return given;
    value = w.variableDefaults.get(value.name.value);
  }
  return value?.kind === Kind.INT ? Number(value.value) : schemaDefault;
}

/**
 * The size of the list a field returns, as its arguments imply: the longest list argument
 * (e.g. `users(externalIds:)`, `trackEvents(events:)`), else the enclosing connection's `first`
 * (`campaignsConnection(first: 100) { nodes { … } }`), else `defaultListSize`.
 */
function listSize(field: FieldNode, def: GraphQLField<unknown, unknown>, w: Walk): number {
  let size: number | undefined;
  for (const arg of field.arguments ?? []) {
    const argDef = def.args.find((a) => a.name === arg.name.value);
    if (argDef === undefined || !isListType(getNullableType(argDef.type))) continue;
    const n = valueLength(arg.value, w);
    if (n !== undefined) size = Math.max(size ?? 0, n);
  }
  return size ?? w.pageSize ?? w.options.defaultListSize;
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

/**
 * A list over its cap, found below the value being visited: `suffix` is the path from there
 * (`[3].properties.tags`), put together only for the list found rather than for every item
 * visited (a list of 100 events holds a thousand values).
 */
type Found = { length: number; suffix: string; cap: number };

function oversizedLiteral(arg: ArgumentNode, topCap: number, w: Walk): Oversized | undefined {
  const nested = w.options.maxListItems;
  const visitNode = (value: ValueNode, cap: number): Found | undefined => {
    switch (value.kind) {
      case Kind.LIST: {
        if (value.values.length > cap) return { length: value.values.length, suffix: '', cap };
        for (let i = 0; i < value.values.length; i++) {
          const hit = visitNode(value.values[i]!, nested);
          if (hit !== undefined) return { ...hit, suffix: `[${i}]${hit.suffix}` };
        }
        return undefined;
      }
      case Kind.OBJECT:
        for (const f of value.fields) {
          const hit = visitNode(f.value, nested);
          if (hit !== undefined) return { ...hit, suffix: `.${f.name.value}${hit.suffix}` };
        }
        return undefined;
      case Kind.VARIABLE: {
        const name = value.name.value;
        if (name in w.variables) {
          // A variable used twice is checked once: its value is the same each time.
          if (w.checkedVariables.has(`${name}@${cap}`)) return undefined;
          w.checkedVariables.add(`${name}@${cap}`);
          return visitJson(w.variables[name], cap);
        }
        const fallback = w.variableDefaults.get(name);
        return fallback === undefined ? undefined : visitNode(fallback, cap);
      }
      default:
        return undefined;
    }
  };
  const visitJson = (value: unknown, cap: number): Found | undefined => {
    if (Array.isArray(value)) {
      if (value.length > cap) return { length: value.length, suffix: '', cap };
      for (let i = 0; i < value.length; i++) {
        const hit = visitJson(value[i], nested);
        if (hit !== undefined) return { ...hit, suffix: `[${i}]${hit.suffix}` };
      }
      return undefined;
    }
    if (value !== null && typeof value === 'object') {
      const object = value as Record<string, unknown>;
      for (const k of Object.keys(object)) {
        const hit = visitJson(object[k], nested);
        if (hit !== undefined) return { ...hit, suffix: `.${k}${hit.suffix}` };
      }
    }
    return undefined;
  };
  const found = visitNode(arg.value, topCap);
  return found === undefined
    ? undefined
    : { length: found.length, path: `${arg.name.value}${found.suffix}`, cap: found.cap };
}

/** A server passes the same overrides with every request: they are resolved once. */
const resolved = new WeakMap<Partial<LimitOptions>, LimitOptions>();

function resolvedLimits(overrides: Partial<LimitOptions>): LimitOptions {
  let options = resolved.get(overrides);
  if (options === undefined) {
    options = resolveLimits(overrides);
    resolved.set(overrides, options);
  }
  return options;
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
  const options = resolvedLimits(overrides);
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
