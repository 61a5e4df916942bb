import type { Resolvers } from '../src/generated/graphql.js';

/** schema/users.graphql: arguments → one UsersService call; Braze's snake_case → the schema's camelCase. */
export const usersResolvers: Resolvers = {
  Mutation: {
    trackEvents: (_, { events }, ctx) => ctx.users.trackEvents(events),
    trackPurchases: (_, { purchases }, ctx) => ctx.users.trackPurchases(purchases),
    setUserAttributes: (_, { updates }, ctx) => ctx.users.setUserAttributes(updates),
  },
  Query: {
    user: (_, { ref }, ctx) => ctx.users.user(ref),
    users: (_, { externalIds }, ctx) => ctx.users.users(externalIds),
  },
  BrazeUser: {
    // The reference carries the key field as the supergraph sent it (camelCase), not Braze's shape.
    __resolveReference: (ref, ctx) => {
      const externalId = (ref as { externalId?: unknown }).externalId;
      return typeof externalId === 'string' ? ctx.users.user({ externalId }) : null;
    },
    externalId: (u) => u.external_id ?? null,
    brazeId: (u) => u.braze_id ?? null,
    aliases: (u) => (u.user_aliases ?? []).map((a) => ({ name: a.alias_name, label: a.alias_label })),
    email: (u) => u.email ?? null,
    phone: (u) => u.phone ?? null,
    firstName: (u) => u.first_name ?? null,
    lastName: (u) => u.last_name ?? null,
    country: (u) => u.country ?? null,
    homeCity: (u) => u.home_city ?? null,
    language: (u) => u.language ?? null,
    timeZone: (u) => u.time_zone ?? null,
    dateOfBirth: (u) => u.dob ?? null,
    gender: (u) => u.gender ?? null,
    emailSubscribe: (u) => u.email_subscribe ?? null,
    pushSubscribe: (u) => u.push_subscribe ?? null,
    createdAt: (u) => (u.created_at === undefined ? null : new Date(u.created_at)),
    totalRevenue: (u) => u.total_revenue ?? null,
    customAttributes: (u) => u.custom_attributes ?? null,
    customEvents: (u) => (u.custom_events ?? []).map(summary),
    purchases: (u) => (u.purchases ?? []).map(summary),
  },
};

function summary(s: { name: string; first?: string; last?: string; count: number }) {
  return {
    name: s.name,
    first: s.first === undefined ? null : new Date(s.first),
    last: s.last === undefined ? null : new Date(s.last),
    count: s.count,
  };
}
