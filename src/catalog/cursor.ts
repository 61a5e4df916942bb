import { createHash } from 'node:crypto';
import { canonicalJson } from '../braze/endpoints.js';
import { BadInputError } from '../errors.js';

/**
 * Connection cursors over Braze's paged lists. A cursor names one entry by where Braze put it:
 * the 0-based page and the index within that page, so resuming after it reads that page again
 * (from the cache, usually) and never the pages before it.
 *
 * The text is opaque to clients (base64url of a small JSON object) but checked on the way in: it
 * also carries the list it came from and a fingerprint of the filters it was made under, because
 * a position means nothing in another list or under other filters. Anything else is refused
 * with BAD_USER_INPUT naming the argument.
 */

/** Where an entry sits in Braze's paging. */
export interface Position {
  page: number;
  index: number;
}

/** Pages beyond this are refused: no list of ours comes near it (a million campaigns). */
const MAX_PAGE = 10_000;
/** Entries per page are at most 250 where documented; this leaves room for an undocumented size. */
const MAX_INDEX = 100_000;

interface CursorBody {
  /** The list (e.g. `campaigns`). */
  l: string;
  /** The filters' fingerprint. */
  f: string;
  p: number;
  i: number;
}

/** A short digest of the filters a list was read under (canonical, so key order does not matter). */
export function filterFingerprint(filters: Readonly<Record<string, unknown>>): string {
  return createHash('sha256').update(canonicalJson(filters)).digest('base64url').slice(0, 12);
}

export function encodeCursor(list: string, fingerprint: string, at: Position): string {
  const body: CursorBody = { l: list, f: fingerprint, p: at.page, i: at.index };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

const isCount = (v: unknown, max: number): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;

/**
 * The position `after` names, for the list `list` read under filters with `fingerprint`.
 *
 * @throws BadInputError (`after: …`) for text that is not one of our cursors, or one given out
 *   by another list or under other filters.
 */
export function decodeCursor(after: string, list: string, fingerprint: string): Position {
  const body = parse(after);
  if (body === undefined) {
    throw new BadInputError(
      'not a cursor this gateway gave out; pass an endCursor or edge cursor unchanged',
      'after',
    );
  }
  if (body.l !== list || body.f !== fingerprint) {
    throw new BadInputError(
      `this cursor belongs to ${body.l === list ? `${list} read with other filters` : `another list`}; page with the same list and filters it came from, or start again without after`,
      'after',
    );
  }
  return { page: body.p, index: body.i };
}

function parse(text: string): CursorBody | undefined {
  if (text.length === 0 || text.length > 200 || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const o = raw as Record<string, unknown>;
  if (typeof o.l !== 'string' || typeof o.f !== 'string') return undefined;
  if (!isCount(o.p, MAX_PAGE) || !isCount(o.i, MAX_INDEX)) return undefined;
  return { l: o.l, f: o.f, p: o.p, i: o.i };
}
