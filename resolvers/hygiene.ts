import type { Resolvers } from '../src/generated/graphql.js';

/** schema/hygiene.graphql: one HygieneService call each. */
export const hygieneResolvers: Resolvers = {
  Query: {
    emailHardBounces: (_, args, ctx) => ctx.hygiene.emailHardBounces(args),
    emailUnsubscribes: (_, args, ctx) => ctx.hygiene.emailUnsubscribes(args),
    invalidPhoneNumbers: (_, args, ctx) => ctx.hygiene.invalidPhoneNumbers(args),
  },
  Mutation: {
    setEmailSubscriptionStatus: (_, { emails, state }, ctx) =>
      ctx.hygiene.setEmailSubscriptionStatus(emails, state),
    removeEmailBounces: (_, { emails }, ctx) => ctx.hygiene.removeEmailBounces(emails),
    removeEmailSpam: (_, { emails }, ctx) => ctx.hygiene.removeEmailSpam(emails),
    blocklistEmails: (_, { emails }, ctx) => ctx.hygiene.blocklistEmails(emails),
    removeInvalidPhoneNumbers: (_, { phoneNumbers }, ctx) =>
      ctx.hygiene.removeInvalidPhoneNumbers(phoneNumbers),
  },
};
