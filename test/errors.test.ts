import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  BadInputError,
  RateLimitedError,
  UpstreamError,
  formatError,
  scrub,
  toGraphQLError,
  toItemError,
} from '../src/errors.js';

describe('error mapping', () => {
  it('gives each gateway error its code, per item and at the top level', () => {
    expect(toItemError(new BadInputError('must not be empty.', 'events[2].name'))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'events[2].name: must not be empty.',
      retryAfter: null,
    });
    expect(toItemError(new RateLimitedError(1_200))).toEqual({
      code: 'RATE_LIMITED',
      message: 'Braze rate limit reached: retry in 2 s.',
      retryAfter: 2,
    });
    expect(
      toItemError(new UpstreamError('server', 'Braze failed with 503 on /users/track.', { status: 503 }))
        .code,
    ).toBe('UPSTREAM_ERROR');
    expect(toGraphQLError(new RateLimitedError(30_000)).extensions).toEqual({
      code: 'RATE_LIMITED',
      retryAfter: 30,
    });
    expect(toGraphQLError(new UpstreamError('forbidden', 'x', { status: 403 })).extensions).toEqual({
      code: 'UPSTREAM_ERROR',
      reason: 'forbidden',
      upstreamStatus: 403,
    });
  });

  it('never reports a retryAfter of 0 seconds', () => {
    expect(new RateLimitedError(0).retryAfterSec).toBe(1);
    expect(new RateLimitedError(1).retryAfterSec).toBe(1);
    expect(new RateLimitedError(1_001).retryAfterSec).toBe(2);
  });

  it('masks unknown errors, per item and at the top level', () => {
    expect(toItemError(new Error('ECONNRESET at 10.0.0.3 with key abc'))).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'Internal server error',
      retryAfter: null,
    });
    const wrapped = new GraphQLError('boom: secret stack', { originalError: new TypeError('secret') });
    const out = formatError({ message: 'boom: secret stack', path: ['user'] }, wrapped);
    expect(out).toEqual({
      message: 'Internal server error',
      path: ['user'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  it('keeps GraphQL validation errors and gateway errors readable', () => {
    const validation = new GraphQLError('Cannot query field "nope" on type "Query".', {
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(
      formatError(
        { message: validation.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED', stacktrace: ['x'] } },
        validation,
      ),
    ).toEqual({ message: validation.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    const gatewayError = new GraphQLError('x', { originalError: new BadInputError('too many.') });
    expect(formatError({ message: 'x' }, gatewayError)).toEqual({
      message: 'too many.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('scrubs a secret out of upstream text and bounds its length', () => {
    expect(scrub('Invalid API key: abc-123', 'abc-123')).toBe('Invalid API key: [redacted]');
    expect(scrub('x'.repeat(500), undefined)).toHaveLength(301);
  });
});
