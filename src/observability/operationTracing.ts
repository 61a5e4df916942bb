import type { ApolloServerPlugin } from '@apollo/server';
import { operationLabel } from './operationMetrics.js';
import { nameOperation, operationFailed } from './spans.js';

/**
 * Tracing on: names the request's server span after its GraphQL operation once Apollo has
 * resolved it (`mutation trackEvents`, with its type, the bounded label the metrics use and the
 * client's operation name), and marks it failed with the first error's code when the answer
 * carries GraphQL errors. Apollo runs inside the request's span (src/http/graphql.ts), so the
 * span is the active one here. Not installed while tracing is off.
 */
export function operationTracingPlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, operationName }) {
          if (operation === undefined) return;
          nameOperation({
            label: operationLabel(operation),
            type: operation.operation,
            name: operationName ?? undefined,
          });
        },
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const first = response.body.singleResult.errors?.[0];
          if (first === undefined) return;
          const code = first.extensions?.code;
          operationFailed(typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR');
        },
      };
    },
  };
}
