import type { Resolvers } from '../src/generated/graphql.js';

/** schema/catalog.graphql: one CatalogService call each (the service carries the request's deadline). */
export const catalogResolvers: Resolvers = {
  Query: {
    customEvents: (_, __, ctx) => ctx.catalog.customEvents(),
    purchaseProductIds: (_, __, ctx) => ctx.catalog.purchaseProductIds(),
    campaigns: (_, { includeArchived }, ctx) => ctx.catalog.campaigns(includeArchived ?? false),
    campaign: (_, { id }, ctx) => ctx.catalog.campaign(id),
    canvases: (_, { includeArchived }, ctx) => ctx.catalog.canvases(includeArchived ?? false),
    canvas: (_, { id }, ctx) => ctx.catalog.canvas(id),
    segments: (_, __, ctx) => ctx.catalog.segments(),
    segment: (_, { id }, ctx) => ctx.catalog.segment(id),
  },
  // Details under list entries share the operation's loaders with campaign(id:) and the rest.
  Campaign: { details: ({ id }, _, ctx) => ctx.catalog.campaign(id) },
  Canvas: { details: ({ id }, _, ctx) => ctx.catalog.canvas(id) },
  Segment: { details: ({ id }, _, ctx) => ctx.catalog.segment(id) },
};
