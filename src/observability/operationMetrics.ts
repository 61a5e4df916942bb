import type { ApolloServerPlugin } from '@apollo/server';
import { Kind } from 'graphql';
import type { Telemetry } from './metrics.js';

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
          if (op === undefined) return;
          const fields = op.selectionSet.selections.flatMap((s) =>
            s.kind === Kind.FIELD ? [s.name.value] : [],
          );
          const distinct = new Set(fields);
          operation = distinct.size === 1 ? [...distinct][0]! : 'multi';
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
