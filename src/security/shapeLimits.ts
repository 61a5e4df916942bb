import {
  Kind,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { describeOperation, limitError, resolveLimits, type LimitOptions } from './limits.js';

/**
 * The limits on a document's shape (depth, aliases, root fields, operations, directives): pure
 * graphql-js validation rules, no variables needed. Walks follow each fragment once.
 */

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
