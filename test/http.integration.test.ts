import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACK_EVENTS, event, startStack, type Stack } from './helpers.js';

/** What a client sees for malformed requests: a clear error with a code, and a live server. */

let stack: Stack;
let tried = 0;

/** `depth` levels of {"n": …} around `leaf`. */
function nest(depth: number, leaf: unknown): unknown {
  return depth === 0 ? leaf : { n: nest(depth - 1, leaf) };
}
beforeAll(async () => {
  stack = await startStack({ env: { MAX_REQUEST_BODY_BYTES: '200000' } });
});
afterAll(async () => {
  await stack.close();
});

async function post(body: string, contentType = 'application/json') {
  const res = await fetch(stack.gw.url, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    json: JSON.parse(text) as {
      data?: unknown;
      errors?: Array<{ message: string; extensions?: { code?: string } }>;
    },
  };
}

describe('bad requests', () => {
  const cases: Array<[string, string, number, string, RegExp]> = [
    ['broken JSON', '{"query": "mutation {', 400, 'BAD_USER_INPUT', /not valid JSON/],
    [
      'an unknown field',
      JSON.stringify({ query: '{ nope }' }),
      400,
      'GRAPHQL_VALIDATION_FAILED',
      /Cannot query field "nope"/,
    ],
    [
      'a syntax error',
      JSON.stringify({ query: 'mutation { trackEvents(' }),
      400,
      'GRAPHQL_PARSE_FAILED',
      /Syntax Error/,
    ],
    [
      'a DateTime that is not one',
      JSON.stringify({
        query: TRACK_EVENTS,
        variables: { events: [event('u', 'e', { time: 'yesterday' })] },
      }),
      400,
      'BAD_USER_INPUT',
      /time/,
    ],
    [
      'null where a value is required',
      JSON.stringify({ query: TRACK_EVENTS, variables: { events: [{ ...event('u'), name: null }] } }),
      400,
      'BAD_USER_INPUT',
      /name/,
    ],
    [
      'properties that are not an object',
      JSON.stringify({
        query: TRACK_EVENTS,
        variables: { events: [event('u', 'e', { properties: [1, 2] })] },
      }),
      400,
      'BAD_USER_INPUT',
      /properties/,
    ],
    [
      'an unknown input field',
      JSON.stringify({ query: TRACK_EVENTS, variables: { events: [event('u', 'e', { colour: 'red' })] } }),
      400,
      'BAD_USER_INPUT',
      /colour/,
    ],
  ];
  const variables = (events: unknown) => JSON.stringify({ query: TRACK_EVENTS, variables: { events } });
  const q = (query: string) => JSON.stringify({ query });
  cases.push(
    ['an empty body', '', 400, 'BAD_REQUEST', /POST body|missing|empty/i],
    ['a JSON array body', '[1,2]', 400, 'BAD_REQUEST', /./],
    ['a JSON string body', '"mutation"', 400, 'BAD_REQUEST', /./],
    ['no query', JSON.stringify({ variables: {} }), 400, 'BAD_REQUEST', /query/i],
    ['a query that is a number', JSON.stringify({ query: 42 }), 400, 'BAD_REQUEST', /string/i],
    [
      'variables that are a string',
      JSON.stringify({ query: TRACK_EVENTS, variables: 'x' }),
      400,
      'BAD_REQUEST',
      /variables/i,
    ],
    [
      'events that are not a list',
      variables({ user: { externalId: 'u' } }),
      400,
      'BAD_USER_INPUT',
      /user|name|time/,
    ],
    [
      'a number where a string is required',
      variables([event('u', 'e', { name: 42 })]),
      400,
      'BAD_USER_INPUT',
      /name/,
    ],
    [
      'a string where an object is required',
      variables([{ ...event('u'), user: 'u' }]),
      400,
      'BAD_USER_INPUT',
      /user/,
    ],
    [
      'a date-time without a zone',
      variables([event('u', 'e', { time: '2026-03-01 10:15' })]),
      400,
      'BAD_USER_INPUT',
      /time/,
    ],
    [
      'a date that does not exist',
      variables([event('u', 'e', { time: '2026-02-30T10:00:00Z' })]),
      400,
      'BAD_USER_INPUT',
      /time/,
    ],
    [
      'properties that are a string',
      variables([event('u', 'e', { properties: 'x' })]),
      400,
      'BAD_USER_INPUT',
      /properties/,
    ],
    [
      'updateExistingOnly that is a string',
      variables([event('u', 'e', { updateExistingOnly: 'yes' })]),
      400,
      'BAD_USER_INPUT',
      /updateExistingOnly/,
    ],
    ['a missing variable', JSON.stringify({ query: TRACK_EVENTS }), 400, 'BAD_USER_INPUT', /events/],
    [
      'an unknown argument',
      q('mutation { trackEvents(events: [], colour: 1) { ok } }'),
      400,
      'GRAPHQL_VALIDATION_FAILED',
      /colour/,
    ],
    ['a subscription operation', q('subscription { x }'), 200, 'BAD_USER_INPUT', /subscription/i],
    [
      'an unknown type in a fragment',
      q('{ ...F } fragment F on Nope { a }'),
      400,
      'GRAPHQL_VALIDATION_FAILED',
      /Nope/,
    ],
    [
      'a missing selection on an object',
      q('{ user(ref: { externalId: "u" }) }'),
      400,
      'GRAPHQL_VALIDATION_FAILED',
      /selection/,
    ],
    [
      'two anonymous operations',
      q('{ __typename } { __typename }'),
      400,
      'GRAPHQL_VALIDATION_FAILED',
      /anonymous/i,
    ],
    [
      'an unknown operationName',
      JSON.stringify({ query: 'query A { __typename }', operationName: 'B' }),
      400,
      'OPERATION_RESOLUTION_FAILURE',
      /B/,
    ],
    [
      'a fragment cycle',
      q('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }'),
      400,
      'GRAPHQL_VALIDATION_FAILED',
      /spread/i,
    ],
    [
      'an unterminated string',
      q('{ user(ref: { externalId: "u }) { externalId } }'),
      400,
      'GRAPHQL_PARSE_FAILED',
      /Unterminated/,
    ],
    [
      'a huge string property name',
      variables([event('u', 'e', { properties: { ['k'.repeat(300)]: 1 } })]),
      200,
      'BAD_USER_INPUT',
      /longer than 255/,
    ],
    [
      'a huge property value',
      variables([event('u', 'e', { properties: { k: 'v'.repeat(1_000) } })]),
      200,
      'BAD_USER_INPUT',
      /longer than 255/,
    ],
    [
      'deeply nested properties over 100 KB',
      variables([event('u', 'e', { properties: { deep: nest(40, 'x'.repeat(110_000)) } })]),
      200,
      'BAD_USER_INPUT',
      /KB/,
    ],
    ['an empty event name', variables([event('u', '   ')]), 200, 'BAD_USER_INPUT', /must not be empty/],
    [
      'a ref with no identifier',
      variables([{ ...event('u'), user: {} }]),
      200,
      'BAD_USER_INPUT',
      /exactly one/,
    ],
  );
  it.each(cases)('%s → %i %s', async (_name, body, status, code, message) => {
    tried += 1;
    const before = stack.sim.count();
    const res = await post(body);
    expect(res.status).toBe(status);
    if (status === 200 && res.json.data !== null) {
      // Valid GraphQL, invalid item: that item's result says why.
      const item = (
        res.json.data as { trackEvents: Array<{ ok: boolean; error: { code: string; message: string } }> }
      ).trackEvents[0]!;
      expect(item.ok).toBe(false);
      expect(item.error.code).toBe(code);
      expect(item.error.message).toMatch(message);
    } else {
      expect(res.json.errors?.[0]?.extensions?.code).toBe(code);
      expect(res.json.errors?.[0]?.message).toMatch(message);
    }
    expect(stack.sim.count()).toBe(before);
  });

  it('tried at least 30 malformed inputs', () => {
    console.log(`malformed inputs tried: ${tried}; the server answered each with a code and kept serving`);
    expect(tried).toBeGreaterThanOrEqual(30);
  });

  it('refuses a body over MAX_REQUEST_BODY_BYTES with 413', async () => {
    const res = await post(JSON.stringify({ query: '{ __typename }', padding: 'x'.repeat(300_000) }));
    expect(res.status).toBe(413);
    expect(res.json.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('blocks a simple-request POST that could be a CSRF', async () => {
    const res = await post(JSON.stringify({ query: '{ __typename }' }), 'text/plain');
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json)).toMatch(/CSRF|content-type/i);
  });

  it('answers GET queries, echoes a request id, and still serves after all of the above', async () => {
    const res = await fetch(`${stack.gw.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { 'apollo-require-preflight': 'true', 'x-request-id': 'req-42' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-42');
    // Answers are per caller: no shared cache may keep one, GET or not.
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
    const health = await fetch(stack.gw.url.replace('/graphql', '/healthz'));
    expect(await health.json()).toEqual({ status: 'ok' });
  });
});
