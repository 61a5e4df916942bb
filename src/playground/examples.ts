/**
 * The operations the playground opens with, one tab each. Each is a named operation (GraphiQL
 * titles its tabs after the name) with variables that work against the embedded simulator.
 * `test/playground.handler.test.ts` validates every one against the gateway's schema, so a schema
 * change that breaks an example fails a test instead of greeting a new user with an error.
 */

type Variables = Readonly<Record<string, unknown>>;

/** One pre-filled playground tab. */
export interface PlaygroundExample {
  /** The operation, in GraphQL. */
  query: string;
  /**
   * Variables as a JavaScript value (shown as pretty JSON), or a function of the time the page is
   * served, for a time that must stay ahead of the clock (a schedule for tomorrow).
   */
  variables?: Variables | ((now: Date) => Variables);
}

/** An example's variables as served at `now`. */
export function variablesAt(example: PlaygroundExample, now: Date): Variables | undefined {
  const v = example.variables;
  return typeof v === 'function' ? v(now) : v;
}

/** Tomorrow's date (UTC) at 9:00, written in UTC form: with inLocalTime, 9:00 on each user's clock. */
export function tomorrowAtNine(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 9)).toISOString();
}

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

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
    query: `# The first 20 campaigns edited in the last week, newest
# first. For the next 20, pass pageInfo.endCursor as $after.
# (The simulator's sample campaigns were last edited on
# 2026-02-10: move $since before that to list them.)
query RecentCampaigns($since: DateTime!, $after: String) {
  campaignsConnection(
    first: 20
    after: $after
    lastEditedAfter: $since
    sortDirection: DESC
  ) {
    nodes {
      id
      name
      lastEdited
      isApiCampaign
      details {
        channels
        lastSent
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
    totalCount
  }
}
`,
    // A week before the gateway started: the page is rendered once, at start-up.
    variables: { since: new Date(Date.now() - WEEK_MS).toISOString(), after: null },
  },
  {
    query: `# Schedule a message for tomorrow at 9:00 in each user's
# own time zone. Keep scheduleId to update or cancel it.
mutation ScheduleMessage($input: ScheduleMessagesInput!) {
  scheduleMessages(input: $input) {
    scheduleId
    dispatchId
  }
}
`,
    variables: (now) => ({
      input: {
        externalUserIds: ['user-1', 'user-2'],
        messages: {
          email: {
            app_id: 'app-1',
            subject: 'Good morning',
            body: 'Your weekly summary is ready.',
            from: 'Us <us@example.com>',
          },
        },
        schedule: { time: tomorrowAtNine(now), inLocalTime: true },
      },
    }),
  },
  {
    query: `# Hard bounces of the last 7 days, newest first, one page
# (Braze's limit/offset: pass nextOffset back as offset).
query HardBounces($since: Date!, $offset: Int) {
  emailHardBounces(startDate: $since, first: 100, offset: $offset) {
    entries {
      email
      hardBouncedAt
    }
    pageInfo {
      hasNextPage
      nextOffset
    }
  }
}
`,
    // Seven days before the gateway started (the range ends tomorrow by default).
    variables: { since: new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10), offset: 0 },
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
