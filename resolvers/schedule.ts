import type { Resolvers } from '../src/generated/graphql.js';

/** schema/schedule.graphql: one ScheduleService call each. */
export const scheduleResolvers: Resolvers = {
  Mutation: {
    scheduleMessages: (_, { input }, ctx) => ctx.schedules.scheduleMessages(input),
    updateScheduledMessages: (_, { input }, ctx) => ctx.schedules.updateScheduledMessages(input),
    cancelScheduledMessages: (_, { scheduleId }, ctx) => ctx.schedules.cancelScheduledMessages(scheduleId),
    scheduleCampaign: (_, { input }, ctx) => ctx.schedules.scheduleCampaign(input),
    updateScheduledCampaign: (_, { input }, ctx) => ctx.schedules.updateScheduledCampaign(input),
    cancelScheduledCampaign: (_, { campaignId, scheduleId }, ctx) =>
      ctx.schedules.cancelScheduledCampaign(campaignId, scheduleId),
    scheduleCanvas: (_, { input }, ctx) => ctx.schedules.scheduleCanvas(input),
    updateScheduledCanvas: (_, { input }, ctx) => ctx.schedules.updateScheduledCanvas(input),
    cancelScheduledCanvas: (_, { canvasId, scheduleId }, ctx) =>
      ctx.schedules.cancelScheduledCanvas(canvasId, scheduleId),
  },
  Query: {
    scheduledBroadcasts: (_, { endTime }, ctx) => ctx.schedules.scheduledBroadcasts(endTime),
  },
};
