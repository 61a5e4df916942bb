import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { ForbiddenError, UnauthenticatedError, errorBody } from '../errors.js';
import {
  ANONYMOUS_PRINCIPAL,
  makePrincipal,
  parseCidr,
  type Env,
  type GatewayKey,
  type Principal,
} from './keyStore.js';

/**
 * Authentication of one HTTP request, before GraphQL runs: the bearer key against the key store,
 * the caller's address (through trusted proxies) against the key's allowlist, and the HTTP
 * answer for a refusal. Keys and their parsing live in keyStore.ts.
 */

// ---------------------------------------------------------------------------------------------
// Per request

/**
 * Who is calling. With no keys configured, the anonymous principal (every permission). Otherwise
 * the key in `Authorization: Bearer <key>` must hash to a configured one, and the caller's address
 * must be in its allowlist, if it has one.
 *
 * @param remoteIp the caller's address: {@link clientAddress} of the request (the TCP peer, or
 *   what a trusted proxy reported); IPv4-mapped IPv6 (`::ffff:10.1.2.3`) matches IPv4 ranges.
 * @throws UnauthenticatedError when the header is missing or malformed, or the key is unknown
 * @throws ForbiddenError when the key is not allowed from `remoteIp`
 */
export function authenticate(
  keys: readonly GatewayKey[],
  authorizationHeader: string | undefined,
  remoteIp: string | undefined,
): Principal {
  if (keys.length === 0) return ANONYMOUS_PRINCIPAL;
  const presented = bearerToken(authorizationHeader);
  const digest = createHash('sha256').update(presented, 'utf8').digest();
  // Compare with every key, without stopping at a match, so the time taken says nothing about
  // which (or whether a) key matched.
  let match: GatewayKey | undefined;
  for (const key of keys) {
    if (timingSafeEqual(digest, key.sha256) && match === undefined) match = key;
  }
  if (match === undefined) {
    throw new UnauthenticatedError(
      'Unknown gateway key: send Authorization: Bearer <gateway key> with a key this gateway was configured with.',
    );
  }
  if (match.allowList !== undefined && !ipAllowed(match.allowList, remoteIp)) {
    throw new ForbiddenError(
      `This gateway key is not allowed from ${remoteIp === undefined ? 'an unknown address' : remoteIp}.`,
    );
  }
  return makePrincipal(match.name, match.permissions, false);
}

/** The key out of an Authorization header; the messages mirror Braze's 401 causes (docs/braze-facts.md §1.2). */
function bearerToken(header: string | undefined): string {
  if (header === undefined || header.trim() === '') {
    throw new UnauthenticatedError('Missing Authorization header: send Authorization: Bearer <gateway key>.');
  }
  const m = /^\s*Bearer[ \t]+(\S+)\s*$/i.exec(header);
  if (!m) {
    throw new UnauthenticatedError(
      /^\s*Bearer\b/i.test(header)
        ? 'Malformed Authorization header: expected Bearer followed by one space and the gateway key.'
        : 'Malformed Authorization header: expected Bearer <gateway key> (with the "Bearer " prefix).',
    );
  }
  const token = m[1]!;
  if (/^["']|["']$/.test(token)) {
    throw new UnauthenticatedError(
      'Malformed Authorization header: the gateway key is wrapped in quotes; send the bare key.',
    );
  }
  return token;
}

function ipAllowed(list: BlockList, ip: string | undefined): boolean {
  return ip !== undefined && inList(list, ip);
}

/**
 * Reads GATEWAY_TRUSTED_PROXIES: the addresses or CIDRs of the load balancers in front of the
 * gateway, whose `X-Forwarded-For` is believed. Unset: none is, and a key's IP allowlist is
 * checked against the TCP peer.
 */
export function parseTrustedProxies(env: Env): { trusted: BlockList | undefined; problems: string[] } {
  const raw = env.GATEWAY_TRUSTED_PROXIES?.trim();
  if (raw === undefined || raw === '') return { trusted: undefined, problems: [] };
  const trusted = new BlockList();
  const problems: string[] = [];
  for (const item of raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const range = parseCidr(item);
    if (range === undefined) {
      problems.push(
        `GATEWAY_TRUSTED_PROXIES item ${JSON.stringify(item)} is not valid: expected comma-separated IPv4 or IPv6 addresses or CIDRs, e.g. 10.0.0.0/8,fd00::/8.`,
      );
    } else trusted.addSubnet(range.address, range.prefix, range.family);
  }
  return { trusted, problems };
}

/**
 * The caller's address for the IP allowlist. The TCP peer, unless it is a trusted proxy: then
 * `X-Forwarded-For` is read from the right (each proxy appends the address it received from),
 * skipping trusted proxies, and the first other address is the client. The left part of the
 * header is the client's own word and never believed, so a client cannot claim an allowed address.
 */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: BlockList | undefined,
): string | undefined {
  if (socketAddress === undefined || trusted === undefined || !inList(trusted, socketAddress)) {
    return socketAddress;
  }
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  let client = socketAddress;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) break; // a garbled hop: stop at the last address that was sound
    client = hop;
    if (!inList(trusted, hop)) break;
  }
  return client;
}

function inList(list: BlockList, ip: string): boolean {
  const version = isIP(ip);
  return version !== 0 && list.check(ip, version === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The HTTP answer for an authentication failure found before GraphQL runs: 401 with a
 * `WWW-Authenticate` challenge, or 403. The body has the shape of a GraphQL error response.
 */
export function authFailureResponse(err: UnauthenticatedError | ForbiddenError): {
  status: 401 | 403;
  headers: Record<string, string>;
  body: ReturnType<typeof errorBody>;
} {
  const body = errorBody(err);
  return err instanceof UnauthenticatedError
    ? { status: 401, headers: { 'www-authenticate': 'Bearer realm="braze-graphql-gateway"' }, body }
    : { status: 403, headers: {}, body };
}
