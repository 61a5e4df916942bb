import type { Resolvers } from '../src/generated/graphql.js';

/** schema/budget.graphql */
export const budgetResolvers: Resolvers = {
  Query: {
    rateBudget: async (_, __, ctx) =>
      (await ctx.budget.snapshot()).map((g) => ({
        ...g,
        mode: g.mode === 'shared' ? 'SHARED' : g.mode === 'fallback' ? 'FALLBACK' : 'MEMORY',
      })),
  },
};
