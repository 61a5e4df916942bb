import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginInlineTrace } from '@apollo/server/plugin/inlineTrace';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { GraphQLError } from 'graphql';
import type { Config } from '../config.js';
import type { GatewayContext } from './context.js';
import { formatError } from '../errors.js';
import type { Logger } from '../observability/log.js';
import type { PromMetrics } from '../observability/metrics.js';
import { operationMetricsPlugin } from '../observability/operationMetrics.js';
import { operationTracingPlugin } from '../observability/operationTracing.js';
import { tracingOn } from '../observability/spans.js';
import { FIELD_PERMISSIONS, NESTED_FIELD_PERMISSIONS } from '../security/permissions.js';
import { buildSchema } from './schema.js';
import { permissionsPlugin, requestLimitsPlugin } from '../security/apolloPlugins.js';
import { limitValidationRules } from '../security/shapeLimits.js';

export interface ApolloParts {
  /**
   * Where automatic persisted queries live (GatewayCore.persistedQueries: Redis-shared), or false
   * to refuse them (PERSISTED_QUERY_NOT_SUPPORTED). Unset: Apollo's per-process default.
   */
  persistedQueries?: KeyValueCache<string> | false;
}

/**
 * Apollo Server as the gateway runs it: the schema, masked errors, CSRF prevention, the request
 * limits and permission checks, operation metrics, and no CDN landing page. Driven over node:http
 * by src/http (executeHTTPGraphQLRequest), so it is started here and stopped by the gateway.
 */
export async function startApollo(
  config: Config,
  log: Logger,
  metrics: PromMetrics,
  parts: ApolloParts = {},
): Promise<ApolloServer<GatewayContext>> {
  const apollo = new ApolloServer<GatewayContext>({
    schema: buildSchema(),
    formatError,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    introspection: config.introspection,
    logger: log,
    // The gateway owns shutdown: lanes must drain before Apollo stops.
    stopOnTerminationSignals: false,
    // Bounds the work of parsing, which comes before every other check.
    parseOptions: { maxTokens: 50_000 },
    validationRules: limitValidationRules(config.limits),
    ...(parts.persistedQueries === undefined
      ? {}
      : { persistedQueries: parts.persistedQueries === false ? false : { cache: parts.persistedQueries } }),
    plugins: [
      // The playground is ours (served offline); Apollo's landing page would load from a CDN.
      ApolloServerPluginLandingPageDisabled(),
      // No field carries a cache hint (answers are per caller, often personal data): Apollo's
      // cache-control plugin would run a hook on every resolved field only to conclude
      // `no-store`, which the /graphql route now sets itself (src/http/graphql.ts).
      ApolloServerPluginCacheControlDisabled(),
      // Federated traces (ftv1) for GraphOS through the router: an error keeps its code
      // (RATE_LIMITED, UPSTREAM_ERROR…) so GraphOS can tell throttling from failures; its
      // message stays masked, as it may hold a caller's input.
      ApolloServerPluginInlineTrace({
        includeErrors: {
          transform: (err) =>
            new GraphQLError('<masked>', {
              extensions: { code: err.extensions.code ?? 'INTERNAL_SERVER_ERROR' },
            }),
        },
      }),
      operationMetricsPlugin(metrics),
      ...(tracingOn() ? [operationTracingPlugin<GatewayContext>()] : []),
      permissionsPlugin<GatewayContext>({
        fieldPermissions: FIELD_PERMISSIONS,
        nestedFieldPermissions: NESTED_FIELD_PERMISSIONS,
        principalOf: (ctx) => ctx.principal,
      }),
      requestLimitsPlugin<GatewayContext>(config.limits),
    ],
  });
  await apollo.start();
  return apollo;
}
