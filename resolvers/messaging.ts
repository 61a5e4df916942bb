import type { Resolvers } from '../src/generated/graphql.js';

/** schema/messaging.graphql: one MessagingService call each. */
export const messagingResolvers: Resolvers = {
  Mutation: {
    triggerCampaign: (_, { input }, ctx) => ctx.messaging.triggerCampaign(input),
    triggerCanvas: (_, { input }, ctx) => ctx.messaging.triggerCanvas(input),
    sendMessages: (_, { input }, ctx) => ctx.messaging.sendMessages(input),
    createSendId: (_, { campaignId, sendId }, ctx) => ctx.messaging.createSendId(campaignId, sendId),
    setSubscriptionStatus: (_, { input }, ctx) => ctx.messaging.setSubscriptionStatus(input),
  },
  Query: {
    userSubscriptions: (_, { externalIds }, ctx) => ctx.messaging.userSubscriptions(externalIds),
  },
};
