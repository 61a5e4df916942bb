/**
 * The operations the playground opens with, one tab each. Each is a named operation (GraphiQL
 * titles its tabs after the name) with variables that work against the embedded simulator.
 * `test/playground.handler.test.ts` validates every one against the gateway's schema, so a schema
 * change that breaks an example fails a test instead of greeting a new user with an error.
 */

/** One pre-filled playground tab. */
export interface PlaygroundExample {
  /** The operation, in GraphQL. */
  query: string;
  /** Variables as a JavaScript value (shown as pretty JSON). */
  variables?: Readonly<Record<string, unknown>>;
}

export const DEFAULT_EXAMPLES: readonly PlaygroundExample[] = [
  {
    query: `# Custom events, batched with other callers' into few
# Braze requests. One result per event, in order.
mutation TrackEvents($events: [TrackEventInput!]!) {
  trackEvents(events: $events) {
    ok
    error {
      code
      message
      retryAfter
    }
  }
}
`,
    variables: {
      events: [
        {
          user: { externalId: 'user-1' },
          name: 'checkout_started',
          time: '2026-03-01T10:15:00Z',
          properties: { cart_value: 42.5, items: 3 },
        },
        {
          user: { alias: { name: 'anon-42', label: 'device_id' } },
          name: 'app_opened',
          time: '2026-03-01T10:16:00Z',
        },
      ],
    },
  },
  {
    query: `# Standard and custom attributes; Braze's operators
# work too: {"inc": 1}, {"add": [...]}, null to unset.
mutation SetUserAttributes($updates: [UserAttributesInput!]!) {
  setUserAttributes(updates: $updates) {
    ok
    error {
      code
      message
    }
  }
}
`,
    variables: {
      updates: [
        {
          user: { externalId: 'user-1' },
          attributes: { first_name: 'Ada', email: 'ada@example.com', loyalty_points: { inc: 10 } },
        },
      ],
    },
  },
  {
    query: `# One user by externalId, brazeId, alias, email or phone;
# null when Braze knows no such user.
query User($ref: UserRef!) {
  user(ref: $ref) {
    externalId
    brazeId
    email
    firstName
    lastName
    country
    customAttributes
    customEvents {
      name
      count
      last
    }
  }
}
`,
    variables: { ref: { externalId: 'user-1' } },
  },
  {
    query: `# Backoffice lookup: every profile Braze has for an email
# (several profiles may share one; user(ref:) returns the first).
query ByEmail($ref: UserRef!) {
  usersMatching(ref: $ref) {
    externalId
    email
    firstName
    lastName
  }
}
`,
    variables: { ref: { email: 'ada@example.com' } },
  },
  {
    query: `# Several users in one call, in order;
# null where Braze knows no such user.
query Users($ids: [ID!]!) {
  users(externalIds: $ids) {
    externalId
    email
    firstName
    totalRevenue
  }
}
`,
    variables: { ids: ['user-1', 'user-2', 'no-such-user'] },
  },
  {
    query: `# Daily active users for the last 30 days, one point a
# day. Cached (ANALYTICS_CACHE_TTL_MS) and shared by replicas.
query DailyActiveUsers($length: Int!) {
  dailyActiveUsers(length: $length) {
    time
    value
  }
}
`,
    variables: { length: 30 },
  },
];
