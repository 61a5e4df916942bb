import type { Resolvers } from '../src/generated/graphql.js';

/** schema/catalog.graphql: one CatalogService call each, within the request's deadline. */
export const catalogResolvers: Resolvers = {
  Query: {
    customEvents: (_, __, ctx) => ctx.catalog.customEvents(ctx.deadlineMs),
    purchaseProductIds: (_, __, ctx) => ctx.catalog.purchaseProductIds(ctx.deadlineMs),
    campaigns: (_, { includeArchived }, ctx) =>
      ctx.catalog.campaigns(includeArchived ?? false, ctx.deadlineMs),
    campaign: (_, { id }, ctx) => ctx.catalog.campaign(id, ctx.deadlineMs),
    canvases: (_, { includeArchived }, ctx) => ctx.catalog.canvases(includeArchived ?? false, ctx.deadlineMs),
    canvas: (_, { id }, ctx) => ctx.catalog.canvas(id, ctx.deadlineMs),
    segments: (_, __, ctx) => ctx.catalog.segments(ctx.deadlineMs),
    segment: (_, { id }, ctx) => ctx.catalog.segment(id, ctx.deadlineMs),
  },
};
