import { GraphQLError, type ASTNode, type GraphQLFormattedError } from 'graphql';

/**
 * Every error the gateway reports, in one file. Each class carries a stable code that becomes
 * `extensions.code` (or `ItemError.code` for a per-item failure). Unknown errors are masked:
 * nothing from an upstream body or header reaches a client unless it was chosen to.
 */

export const ERROR_CODES = [
  'BAD_USER_INPUT',
  'RATE_LIMITED',
  'UPSTREAM_ERROR',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'INTERNAL_SERVER_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export abstract class GatewayError extends Error {
  abstract readonly code: ErrorCode;
  /** Extra fields for `extensions` (never upstream bodies or headers). */
  protected details(): Record<string, unknown> {
    return {};
  }
  /**
   * The GraphQL `extensions`: the code and the details. A property, because graphql-js copies an
   * original error's `extensions` object onto the GraphQLError it wraps the error in, so every
   * consumer of that GraphQLError (formatError, inline traces) sees the code.
   */
  get extensions(): Record<string, unknown> {
    return { code: this.code, ...this.details() };
  }
}

/** The caller's input is wrong; resending it unchanged will fail again. */
export class BadInputError extends GatewayError {
  readonly code = 'BAD_USER_INPUT';
  constructor(
    message: string,
    /** Where in the input, e.g. `events[3].properties`. */
    readonly path?: string,
  ) {
    super(path === undefined ? message : `${path}: ${message}`);
    this.name = 'BadInputError';
  }
}

/** The Braze rate budget has no room before the caller's deadline. */
export class RateLimitedError extends GatewayError {
  readonly code = 'RATE_LIMITED';
  constructor(
    readonly retryAfterMs: number,
    message = `Braze rate limit reached: retry in ${Math.ceil(retryAfterMs / 1000)} s.`,
  ) {
    super(message);
    this.name = 'RateLimitedError';
  }
  /** Whole seconds, rounded up, never 0: a client that waits this long may retry. */
  get retryAfterSec(): number {
    return Math.max(1, Math.ceil(this.retryAfterMs / 1000));
  }
  protected override details(): Record<string, unknown> {
    return { retryAfter: this.retryAfterSec };
  }
}

/** Kinds of upstream failure, from the classified Braze answer (or its absence). */
export type UpstreamFailureKind =
  | 'rejected' // 4xx that is neither auth nor rate limit: the request itself was refused
  | 'unauthorized' // 401: the gateway's Braze key is wrong, or for another instance
  | 'forbidden' // 403: the key lacks the endpoint's permission
  | 'rate_limited' // 429 from Braze itself
  | 'busy' // 429 about one resource (a segment already being exported) while the window has room
  | 'server' // 5xx
  | 'network' // no answer: refused, reset, DNS
  | 'timeout' // connect, headers or body timeout, or the caller's deadline
  | 'circuit_open'; // Braze kept failing: not called until a trial succeeds

/** What an UpstreamError may carry besides its kind and message. */
export interface UpstreamErrorDetails {
  /** Braze's HTTP status, when it answered. */
  status?: number;
  /** Braze's own message, already scrubbed of the API key; for item errors and logs. */
  brazeMessage?: string;
  /** Braze's `errors[]` from a fatal answer, for per-item mapping. */
  brazeErrors?: readonly unknown[];
  /** False only when Braze provably never received the request (safe to retry). Default true. */
  mayHaveBeenProcessed?: boolean;
}

/** Braze failed or refused a request, as seen by the gateway. */
export class UpstreamError extends GatewayError {
  readonly code = 'UPSTREAM_ERROR';
  readonly status: number | undefined;
  readonly brazeMessage: string | undefined;
  readonly brazeErrors: readonly unknown[] | undefined;
  readonly mayHaveBeenProcessed: boolean;
  constructor(
    readonly kind: UpstreamFailureKind,
    message: string,
    details: UpstreamErrorDetails = {},
  ) {
    super(message);
    this.name = 'UpstreamError';
    this.status = details.status;
    this.brazeMessage = details.brazeMessage;
    this.brazeErrors = details.brazeErrors;
    this.mayHaveBeenProcessed = details.mayHaveBeenProcessed ?? true;
  }
  protected override details(): Record<string, unknown> {
    return this.status === undefined
      ? { reason: this.kind }
      : { reason: this.kind, upstreamStatus: this.status };
  }
}

/** A request over one of the gateway's own limits (depth, cost, aliases, list length…). */
export class LimitExceededError extends BadInputError {
  constructor(
    message: string,
    /** The limit's stable name, e.g. `maxDepth` (`extensions.limit`). */
    readonly limit: string,
    readonly max: number,
  ) {
    super(message);
    this.name = 'LimitExceededError';
  }
  protected override details(): Record<string, unknown> {
    return { limit: this.limit, max: this.max };
  }
}

export class UnauthenticatedError extends GatewayError {
  readonly code = 'UNAUTHENTICATED';
}

export class ForbiddenError extends GatewayError {
  readonly code = 'FORBIDDEN';
}

/** A per-item failure as the schema's `ItemError` shows it. */
export interface ItemErrorShape {
  code: string;
  message: string;
  retryAfter: number | null;
}

export function toItemError(err: unknown): ItemErrorShape {
  if (err instanceof GatewayError) {
    const retryAfter = err instanceof RateLimitedError ? err.retryAfterSec : null;
    return { code: err.code, message: err.message, retryAfter };
  }
  return { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error', retryAfter: null };
}

/** Wrap a GatewayError for the top-level `errors` of a GraphQL response. */
export function toGraphQLError(err: GatewayError, nodes?: ASTNode | readonly ASTNode[]): GraphQLError {
  return new GraphQLError(err.message, {
    nodes,
    originalError: err,
    extensions: err.extensions,
  });
}

/**
 * The body of an HTTP answer given before GraphQL runs (401, 403, 404, 413, 400, 500), in the
 * shape of a GraphQL error response: a GatewayError with its code and extensions, or a bare
 * message (a route that does not exist has no code).
 */
export function errorBody(
  err: GatewayError | string,
  code?: ErrorCode,
): { errors: Array<{ message: string; extensions?: Record<string, unknown> }> } {
  if (typeof err === 'string')
    return { errors: [code === undefined ? { message: err } : { message: err, extensions: { code } }] };
  return { errors: [{ message: err.message, extensions: err.extensions }] };
}

/**
 * Apollo's `formatError`: a GatewayError keeps its message and code; GraphQL's own validation
 * and parse errors keep theirs; anything else (a bug, a library error) is masked so that no
 * stack, upstream body or secret leaks to a client.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (original instanceof GatewayError) {
    return {
      ...formatted,
      message: original.message,
      extensions: original.extensions,
    };
  }
  const code = formatted.extensions?.code;
  if (original instanceof GraphQLError && typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
    const { stacktrace: _ignored, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  if (
    error instanceof GraphQLError &&
    error.originalError === undefined &&
    formatted.path === undefined &&
    (code === undefined || code === 'INTERNAL_SERVER_ERROR')
  ) {
    // Raised by graphql-js about the operation itself, outside any resolver (e.g. a subscription
    // on a schema without one): the message describes the client's request.
    return { ...formatted, extensions: { code: 'BAD_USER_INPUT' } };
  }
  return {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

/** Remove a secret from a text that may echo it (Braze's 401 body repeats the key it got). */
export function scrub(text: string, secret: string | undefined, maxLength = 300): string {
  let out = secret !== undefined && secret.length > 0 ? text.split(secret).join('[redacted]') : text;
  if (out.length > maxLength) out = `${out.slice(0, maxLength)}…`;
  return out;
}
