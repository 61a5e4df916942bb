import type { ApolloServerPlugin } from '@apollo/server';
import { Kind } from 'graphql';
import type { Telemetry } from './metrics.js';

/**
 * Counts and times each GraphQL operation by its root fields (names from the schema, so the
 * label set stays small whatever clients send), and whether it answered with errors.
 */
export function operationMetricsPlugin<T extends object>(telemetry: Telemetry): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      const startedMs = Date.now();
      let operation = 'unparsed';
      return {
        async didResolveOperation({ operation: op }) {
          if (op === undefined) return;
          const fields = op.selectionSet.selections.flatMap((s) =>
            s.kind === Kind.FIELD ? [s.name.value] : [],
          );
          operation = `${op.operation}:${[...new Set(fields)].sort().join(',') || '-'}`.slice(0, 200);
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
