import { isScalarType } from 'graphql';
import type { Resolvers } from '../src/generated/graphql.js';
import { analyticsResolvers } from './analytics.js';
import { budgetResolvers } from './budget.js';
import { catalogResolvers } from './catalog.js';
import { catalogConnectionResolvers } from './catalogConnections.js';
import { hygieneResolvers } from './hygiene.js';
import { identityResolvers } from './identity.js';
import { messagingResolvers } from './messaging.js';
import { scalarResolvers } from './scalars.js';
import { scheduleResolvers } from './schedule.js';
import { segmentExportResolvers } from './segmentExports.js';
import { usersResolvers } from './users.js';

/**
 * One resolver map per schema file, merged here. Types that appear in several files (Query,
 * Mutation) get their fields combined; a field defined twice is a bug and fails at start-up.
 */
export function mergeResolvers(maps: readonly Resolvers[]): Resolvers {
  const merged: Record<string, unknown> = {};
  for (const map of maps) {
    for (const [typeName, fields] of Object.entries(map)) {
      const existing = merged[typeName];
      if (existing === undefined) {
        // Copy field maps so merging never edits a module's own object; scalars stay as they are.
        merged[typeName] = isScalarType(fields) ? fields : { ...(fields as object) };
        continue;
      }
      const target = existing as Record<string, unknown>;
      for (const [field, resolver] of Object.entries(fields as Record<string, unknown>)) {
        if (field in target) throw new Error(`Resolver ${typeName}.${field} is defined twice.`);
        target[field] = resolver;
      }
    }
  }
  return merged as Resolvers;
}

export const resolvers: Resolvers = mergeResolvers([
  scalarResolvers,
  usersResolvers,
  identityResolvers,
  catalogResolvers,
  catalogConnectionResolvers,
  messagingResolvers,
  budgetResolvers,
  scheduleResolvers,
  hygieneResolvers,
  analyticsResolvers,
  segmentExportResolvers,
]);
