import type { Resolvers } from '../src/generated/graphql.js';

/** schema/identity.graphql: arguments → one UsersService call each. */
export const identityResolvers: Resolvers = {
  Mutation: {
    deleteUsers: (_, { users }, ctx) => ctx.users.deleteUsers(users),
    createUserAliases: (_, { aliases }, ctx) => ctx.users.createUserAliases(aliases),
    identifyUsers: (_, { identifications }, ctx) => ctx.users.identifyUsers(identifications),
    updateUserAliases: (_, { updates }, ctx) => ctx.users.updateUserAliases(updates),
    mergeUsers: (_, { merges }, ctx) => ctx.users.mergeUsers(merges),
    renameExternalIds: (_, { renames }, ctx) => ctx.users.renameExternalIds(renames),
    removeExternalIds: (_, { externalIds }, ctx) => ctx.users.removeExternalIds(externalIds),
  },
};
