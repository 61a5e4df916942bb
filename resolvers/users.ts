import type { Resolvers } from '../src/generated/graphql.js';
import { exportFieldsFor } from '../src/users/exportFields.js';
import type { BrazeUserModel } from '../src/users/exportShape.js';

/** schema/users.graphql: arguments (and, for reads, the selected fields) → one UsersService call. */
export const usersResolvers: Resolvers = {
  Mutation: {
    trackEvents: (_, { events }, ctx) => ctx.users.trackEvents(events),
    trackPurchases: (_, { purchases }, ctx) => ctx.users.trackPurchases(purchases),
    setUserAttributes: (_, { updates }, ctx) => ctx.users.setUserAttributes(updates),
  },
  Query: {
    user: (_, { ref }, ctx, info) => ctx.users.user(ref, exportFieldsFor(info)),
    // An entry may be its own Error: graphql-js reports it at that index (null there), the rest resolve.
    users: (_, by, ctx, info) =>
      ctx.users.users(by, exportFieldsFor(info)) as Promise<Array<BrazeUserModel | null>>,
    usersMatching: (_, { ref }, ctx, info) => ctx.users.usersMatching(ref, exportFieldsFor(info)),
  },
  BrazeUser: {
    // The reference carries the key field as the supergraph sent it; `info` is the _entities
    // field, whose `... on BrazeUser` selection says what to export.
    __resolveReference: (ref, ctx, info) => {
      const externalId = (ref as { externalId?: unknown }).externalId;
      return typeof externalId === 'string' ? ctx.users.user({ externalId }, exportFieldsFor(info)) : null;
    },
  },
};
