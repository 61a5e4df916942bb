import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACK_EVENTS, event, startStack, type Stack } from './helpers.js';

/** What a client sees for malformed requests: a clear error with a code, and a live server. */

let stack: Stack;
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
  it.each(cases)('%s → %i %s', async (_name, body, status, code, message) => {
    const before = stack.sim.count();
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(res.json.errors?.[0]?.extensions?.code).toBe(code);
    expect(res.json.errors?.[0]?.message).toMatch(message);
    expect(stack.sim.count()).toBe(before);
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
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
    const health = await fetch(stack.gw.url.replace('/graphql', '/healthz'));
    expect(await health.json()).toEqual({ status: 'ok' });
  });
});
