/**
 * Ceiling (c): a bare Apollo Server 5 over the same schema slice as the gateway, answering
 * without any upstream call: `trackEvents` returns `ok` for every item, `users` returns one
 * constant user per id. What is left is Apollo's own cost for the request shape (HTTP, JSON,
 * parse, validate, coerce the variables, execute, serialise). Prints `{"url": …}`.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';
import {
  BASELINE_TYPE_DEFS,
  listenPort,
  type BrazeUserModel,
  type ItemResultModel,
  type TrackEventArg,
} from './schema.js';

const OK: ItemResultModel = { ok: true, error: null };

const server = new ApolloServer({
  typeDefs: BASELINE_TYPE_DEFS,
  resolvers: {
    DateTime: DateTimeResolver,
    JSONObject: JSONObjectResolver,
    Query: {
      users: (_: unknown, args: { externalIds: string[] }): BrazeUserModel[] =>
        args.externalIds.map((id) => ({
          externalId: id,
          brazeId: null,
          email: null,
          firstName: 'Ana',
          customAttributes: { plan: 'pro' },
        })),
    },
    Mutation: {
      trackEvents: (_: unknown, args: { events: TrackEventArg[] }): ItemResultModel[] =>
        args.events.map(() => OK),
    },
  },
});

const { url } = await startStandaloneServer(server, { listen: { port: listenPort(), host: '127.0.0.1' } });
process.stdout.write(`${JSON.stringify({ url })}\n`);

const stop = (): void => {
  void server.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
