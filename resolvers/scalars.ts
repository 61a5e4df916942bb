import { DateResolver, DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';
import type { Resolvers } from '../src/generated/graphql.js';

export const scalarResolvers: Resolvers = {
  DateTime: DateTimeResolver,
  Date: DateResolver,
  JSONObject: JSONObjectResolver,
};
