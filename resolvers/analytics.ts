import type { Resolvers } from '../src/generated/graphql.js';

/** schema/analytics.graphql: one AnalyticsService call each (the service carries the request's deadline). */
export const analyticsResolvers: Resolvers = {
  Query: {
    dailyActiveUsers: (_, args, ctx) => ctx.analytics.dailyActiveUsers(args),
    monthlyActiveUsers: (_, args, ctx) => ctx.analytics.monthlyActiveUsers(args),
    newUsers: (_, args, ctx) => ctx.analytics.newUsers(args),
    uninstalls: (_, args, ctx) => ctx.analytics.uninstalls(args),
    sessionSeries: (_, args, ctx) => ctx.analytics.sessionSeries(args),
    customEventSeries: (_, args, ctx) => ctx.analytics.customEventSeries(args),
    segmentSizeSeries: (_, args, ctx) => ctx.analytics.segmentSizeSeries(args),
    campaignSeries: (_, args, ctx) => ctx.analytics.campaignSeries(args),
    sendSeries: (_, args, ctx) => ctx.analytics.sendSeries(args),
    canvasSeries: (_, args, ctx) => ctx.analytics.canvasSeries(args),
    canvasSummary: (_, args, ctx) => ctx.analytics.canvasSummary(args),
  },
};
