/**
 * Comparison (a): the common "REST data source" gateway, written for the benchmark. A small
 * Apollo Server 5 with the same `trackEvents` and `users(externalIds)` as the gateway, whose
 * resolvers make one Braze call per item: each event is POSTed on its own to /users/track, each
 * id is read with its own /users/export/ids call. No batching, no rate budget, no retries.
 *
 * Configured like the gateway: BRAZE_API_KEY, BRAZE_REST_ENDPOINT (the simulator), PORT.
 * Prints `{"url": …}`.
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

const endpoint = process.env.BRAZE_REST_ENDPOINT;
const apiKey = process.env.BRAZE_API_KEY;
if (endpoint === undefined || apiKey === undefined) {
  process.stderr.write('naiveApollo: set BRAZE_REST_ENDPOINT and BRAZE_API_KEY\n');
  process.exit(1);
}

interface BrazeAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** What a RESTDataSource subclass boils down to: one fetch per call, JSON in and out. */
class BrazeRest {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
  ) {}

  async post(path: string, body: unknown): Promise<BrazeAnswer> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { message: text };
    }
    return { status: res.status, body: parsed };
  }
}

const braze = new BrazeRest(endpoint, apiKey);

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

async function trackOne(e: TrackEventArg): Promise<ItemResultModel> {
  try {
    const answer = await braze.post('/users/track', { events: [eventObject(e)] });
    if (answer.status >= 200 && answer.status < 300 && answer.body.errors === undefined)
      return { ok: true, error: null };
    return {
      ok: false,
      error: {
        code: answer.status === 429 ? 'RATE_LIMITED' : 'UPSTREAM_ERROR',
        message: String(answer.body.message ?? answer.status),
      },
    };
  } catch (err) {
    return { ok: false, error: { code: 'UPSTREAM_ERROR', message: String(err) } };
  }
}

const FIELDS = ['external_id', 'braze_id', 'email', 'first_name', 'custom_attributes'];

async function readOne(id: string): Promise<BrazeUserModel | null> {
  const answer = await braze.post('/users/export/ids', { external_ids: [id], fields_to_export: FIELDS });
  if (answer.status < 200 || answer.status >= 300) throw new Error(`Braze answered ${answer.status}`);
  const users = answer.body.users as Array<Record<string, unknown>> | undefined;
  const u = users?.[0];
  if (u === undefined) return null;
  return {
    externalId: (u.external_id as string | undefined) ?? null,
    brazeId: (u.braze_id as string | undefined) ?? null,
    email: (u.email as string | undefined) ?? null,
    firstName: (u.first_name as string | undefined) ?? null,
    customAttributes: (u.custom_attributes as Record<string, unknown> | undefined) ?? null,
  };
}

const server = new ApolloServer({
  typeDefs: BASELINE_TYPE_DEFS,
  resolvers: {
    DateTime: DateTimeResolver,
    JSONObject: JSONObjectResolver,
    Query: {
      users: (_: unknown, args: { externalIds: string[] }) => Promise.all(args.externalIds.map(readOne)),
    },
    Mutation: {
      trackEvents: (_: unknown, args: { events: TrackEventArg[] }) => Promise.all(args.events.map(trackOne)),
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
