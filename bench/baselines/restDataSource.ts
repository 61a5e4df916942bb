/**
 * The peer (issue 15): what a competent team writes by hand without a gateway. Apollo Server 5
 * with the same `trackEvents` and `users(externalIds)` and a `@apollo/datasource-rest`
 * RESTDataSource per request. A list is cut into Braze-sized chunks (75 events per /users/track,
 * 50 ids per /users/export/ids) sent at once with `Promise.all`; each item's result comes from
 * Braze's `errors[]` (`input_array`, `index`). What it does not have: batching across GraphQL
 * requests, a rate budget, retries, deadlines.
 *
 * Configured like the gateway: BRAZE_API_KEY, BRAZE_REST_ENDPOINT (the simulator), PORT.
 * Prints `{"url": …}`.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { RESTDataSource, type AugmentedRequest } from '@apollo/datasource-rest';
import { DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';
import {
  BASELINE_TYPE_DEFS,
  listenPort,
  type BrazeUserModel,
  type ItemResultModel,
  type TrackEventArg,
} from './schema.js';

const endpoint = process.env.BRAZE_REST_ENDPOINT;
const apiKey = process.env.BRAZE_API_KEY;
if (endpoint === undefined || apiKey === undefined) {
  process.stderr.write('restDataSource: set BRAZE_REST_ENDPOINT and BRAZE_API_KEY\n');
  process.exit(1);
}

const EVENTS_PER_REQUEST = 75;
const IDS_PER_REQUEST = 50;
const FIELDS = ['external_id', 'braze_id', 'email', 'first_name', 'custom_attributes'];
const OK: ItemResultModel = { ok: true, error: null };

interface TrackAnswer {
  message?: string;
  errors?: Array<{ type?: string; input_array?: string; index?: number }>;
}
interface ExportAnswer {
  users?: Array<Record<string, unknown>>;
}

class BrazeAPI extends RESTDataSource {
  override baseURL = endpoint!.endsWith('/') ? endpoint : `${endpoint}/`;

  override willSendRequest(_path: string, request: AugmentedRequest): void {
    request.headers.authorization = `Bearer ${apiKey!}`;
  }

  track(events: Array<Record<string, unknown>>): Promise<TrackAnswer> {
    return this.post<TrackAnswer>('users/track', { body: { events } });
  }

  exportIds(ids: string[]): Promise<ExportAnswer> {
    return this.post<ExportAnswer>('users/export/ids', {
      body: { external_ids: ids, fields_to_export: FIELDS },
    });
  }
}

interface Context {
  braze: BrazeAPI;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function eventObject(e: TrackEventArg): Record<string, unknown> {
  const out: Record<string, unknown> = { name: e.name, time: e.time.toISOString() };
  if (e.user.externalId != null) out.external_id = e.user.externalId;
  if (e.user.brazeId != null) out.braze_id = e.user.brazeId;
  if (e.user.alias != null)
    out.user_alias = { alias_name: e.user.alias.name, alias_label: e.user.alias.label };
  if (e.appId != null) out.app_id = e.appId;
  if (e.properties != null) out.properties = e.properties;
  if (e.updateExistingOnly != null) out._update_existing_only = e.updateExistingOnly;
  return out;
}

/** One chunk's results: ok, unless Braze named the item in `errors[]` or refused the request. */
async function trackChunk(braze: BrazeAPI, chunk: TrackEventArg[]): Promise<ItemResultModel[]> {
  try {
    const answer = await braze.track(chunk.map(eventObject));
    const results = chunk.map((): ItemResultModel => OK);
    for (const err of answer.errors ?? []) {
      if (err.input_array === 'events' && typeof err.index === 'number' && err.index < chunk.length)
        results[err.index] = { ok: false, error: { code: 'BAD_USER_INPUT', message: String(err.type) } };
    }
    return results;
  } catch (err) {
    // RESTDataSource throws a GraphQLError for a non-2xx answer: every item of the chunk fails.
    const status = (err as { extensions?: { response?: { status?: number } } }).extensions?.response?.status;
    const error = { code: status === 429 ? 'RATE_LIMITED' : 'UPSTREAM_ERROR', message: String(err) };
    return chunk.map(() => ({ ok: false, error }));
  }
}

async function readChunk(braze: BrazeAPI, ids: string[]): Promise<Array<BrazeUserModel | null>> {
  const answer = await braze.exportIds(ids);
  const byId = new Map<string, Record<string, unknown>>();
  for (const u of answer.users ?? []) byId.set(String(u.external_id), u);
  return ids.map((id) => {
    const u = byId.get(id);
    if (u === undefined) return null;
    return {
      externalId: (u.external_id as string | undefined) ?? null,
      brazeId: (u.braze_id as string | undefined) ?? null,
      email: (u.email as string | undefined) ?? null,
      firstName: (u.first_name as string | undefined) ?? null,
      customAttributes: (u.custom_attributes as Record<string, unknown> | undefined) ?? null,
    };
  });
}

const server = new ApolloServer<Context>({
  typeDefs: BASELINE_TYPE_DEFS,
  resolvers: {
    DateTime: DateTimeResolver,
    JSONObject: JSONObjectResolver,
    Query: {
      users: async (_: unknown, args: { externalIds: string[] }, ctx: Context) =>
        (
          await Promise.all(chunks(args.externalIds, IDS_PER_REQUEST).map((c) => readChunk(ctx.braze, c)))
        ).flat(),
    },
    Mutation: {
      trackEvents: async (_: unknown, args: { events: TrackEventArg[] }, ctx: Context) =>
        (
          await Promise.all(chunks(args.events, EVENTS_PER_REQUEST).map((c) => trackChunk(ctx.braze, c)))
        ).flat(),
    },
  },
});

const { url } = await startStandaloneServer(server, {
  listen: { port: listenPort(), host: '127.0.0.1' },
  context: async () => ({ braze: new BrazeAPI() }),
});
process.stdout.write(`${JSON.stringify({ url })}\n`);

const stop = (): void => {
  void server.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
