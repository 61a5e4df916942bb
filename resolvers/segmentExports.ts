import type { Resolvers } from '../src/generated/graphql.js';

/** schema/segmentExports.graphql: one SegmentExportService call each. */
export const segmentExportResolvers: Resolvers = {
  Mutation: {
    startSegmentExport: (_, { input }, ctx) => ctx.segmentExports.start(input),
  },
  Query: {
    segmentExport: (_, { id }, ctx) => ctx.segmentExports.get(id),
  },
};
