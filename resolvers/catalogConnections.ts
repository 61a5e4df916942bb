import type { Resolvers } from '../src/generated/graphql.js';

/** schema/catalogConnections.graphql: arguments → one CatalogService call, which validates them. */
export const catalogConnectionResolvers: Resolvers = {
  Query: {
    campaignsConnection: (_, args, ctx) => ctx.catalog.campaignsConnection(args),
    canvasesConnection: (_, args, ctx) => ctx.catalog.canvasesConnection(args),
    segmentsConnection: (_, args, ctx) => ctx.catalog.segmentsConnection(args),
    customEventsConnection: (_, args, ctx) => ctx.catalog.customEventsConnection(args),
    purchaseProductIdsConnection: (_, args, ctx) => ctx.catalog.purchaseProductIdsConnection(args),
  },
};
