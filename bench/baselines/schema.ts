/**
 * The slice of the gateway's public schema the baselines serve: `trackEvents` and
 * `users(externalIds)`, with the same input and result types, so every server under test parses,
 * validates and coerces the same request.
 */
export const BASELINE_TYPE_DEFS = /* GraphQL */ `
  scalar DateTime
  scalar JSONObject

  input UserAliasInput {
    name: String!
    label: String!
  }

  input UserRef {
    externalId: ID
    brazeId: ID
    alias: UserAliasInput
  }

  input TrackEventInput {
    user: UserRef!
    name: String!
    time: DateTime!
    appId: String
    properties: JSONObject
    updateExistingOnly: Boolean
  }

  type ItemError {
    code: String!
    message: String!
    retryAfter: Int
  }

  type ItemResult {
    ok: Boolean!
    error: ItemError
  }

  type BrazeUser {
    externalId: ID
    brazeId: ID
    email: String
    firstName: String
    customAttributes: JSONObject
  }

  type Query {
    users(externalIds: [ID!]!): [BrazeUser]!
  }

  type Mutation {
    trackEvents(events: [TrackEventInput!]!): [ItemResult!]!
  }
`;

export interface TrackEventArg {
  user: {
    externalId?: string | null;
    brazeId?: string | null;
    alias?: { name: string; label: string } | null;
  };
  name: string;
  time: Date;
  appId?: string | null;
  properties?: Record<string, unknown> | null;
  updateExistingOnly?: boolean | null;
}

export interface ItemResultModel {
  ok: boolean;
  error: { code: string; message: string } | null;
}

export interface BrazeUserModel {
  externalId: string | null;
  brazeId: string | null;
  email: string | null;
  firstName: string | null;
  customAttributes: Record<string, unknown> | null;
}

/** `PORT` from the environment (0: a free port); the baselines listen on loopback only. */
export function listenPort(): number {
  return Number(process.env.PORT ?? 0);
}
