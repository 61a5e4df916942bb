import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Telemetry } from './metrics.js';

/**
 * The bounded name of an operation for metrics and span names: the root field's name (from the
 * schema: validation has run) when the operation selects one root field, `multi` when it selects
 * several (or only fragments). Never a client-chosen name.
 */
export function operationLabel(op: OperationDefinitionNode): string {
  // Apollo reuses a query's parsed document: each operation's label is worked out once.
  let label = labels.get(op);
  if (label === undefined) {
    const fields = op.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
    const distinct = new Set(fields);
    label = distinct.size === 1 ? [...distinct][0]! : 'multi';
    labels.set(op, label);
  }
  return label;
}

const labels = new WeakMap<OperationDefinitionNode, string>();

/**
 * Counts and times each GraphQL operation, and whether it answered with errors, labelled from a
 * bounded vocabulary whatever clients send: the root field's name (from the schema: validation
 * has run) when the operation selects one root field, `multi` when it selects several (or only
 * fragments), `unparsed` when it never got as far as a resolved operation.
 */
export function operationMetricsPlugin<T extends object>(telemetry: Telemetry): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      const startedMs = Date.now();
      let operation = 'unparsed';
      return {
        async didResolveOperation({ operation: op }) {
          if (op !== undefined) operation = operationLabel(op);
        },
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          telemetry.graphql(
            operation,
            errors === undefined ? 'ok' : 'error',
            (Date.now() - startedMs) / 1000,
          );
        },
      };
    },
  };
}
