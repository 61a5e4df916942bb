import type { BrazeClient } from '../braze/client.js';
import { ENDPOINTS, canonicalJson, type EndpointName, type EndpointSpec } from '../braze/endpoints.js';
import type { WireResponse } from '../braze/wire.js';
import { BadInputError } from '../errors.js';
import type { SharedCache } from './cache.js';
import { decodeCursor, encodeCursor, filterFingerprint, type Position } from './cursor.js';

/**
 * Reading Braze's paged lists (docs/braze-facts.md §3.17) a slice at a time. Braze numbers pages
 * from 0, gives no total and no next-page marker: a list ends at a page shorter than a full one,
 * or at an empty page. Each page is cached on its own, keyed by (endpoint, filters, page), for
 * the catalog TTL and shared by every replica through the cache's Redis, so a walk over a list
 * reads each Braze page once, and the next slice of a walk usually starts from a cached page.
 */

/** One Braze list as a connection reads it. */
export interface ListSpec<T> {
  /** The list's name inside its cursors, e.g. `campaigns`. */
  list: string;
  endpoint: EndpointName;
  /** The array in Braze's answer, e.g. `campaigns`. */
  field: string;
  /** An entry as the schema shows it; undefined skips it (an entry without an id). */
  pick: (raw: unknown) => T | undefined;
}

/** Braze query parameters besides `page`: the filters a list is read under. */
export type ListFilters = Readonly<Record<string, string | boolean>>;

/** What a connection field takes besides its filters. */
export interface SliceArgs {
  first?: number | null;
  after?: string | null;
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: number | null;
}

interface Walked<T> {
  items: Array<{ node: T; at: Position }>;
  /** Entries exist beyond the ones taken. */
  more: boolean;
  /** The list's length under its filters, when the pages read reached its end. */
  total: number | null;
}

/** Default `first`. */
export const DEFAULT_FIRST = 20;
/** Never more pages than this in one read, whatever an upstream answers (a loop guard). */
const MAX_PAGES = 200;

export class PagedLists {
  constructor(
    private readonly client: BrazeClient,
    private readonly cache: SharedCache,
    private readonly ttlMs: number,
    /** This request's deadline (epoch ms). */
    private readonly deadlineMs: number,
  ) {}

  /**
   * One slice of a list: `first` entries after the cursor `after` (from the start without one).
   * Reads one entry more than asked, to answer `hasNextPage` exactly; that entry's page is the
   * one the next slice starts on, so reading it early costs nothing later (it is cached).
   *
   * @throws BadInputError for `first` outside 0…`maxFirst` or a cursor that is not this list's
   *   under these filters.
   */
  async connection<T>(
    spec: ListSpec<T>,
    filters: ListFilters,
    args: SliceArgs,
    maxFirst: number,
  ): Promise<Connection<T>> {
    const first = args.first ?? DEFAULT_FIRST;
    if (first < 0 || first > maxFirst) {
      throw new BadInputError(`must be between 0 and ${maxFirst}, got ${first}`, 'first');
    }
    const fingerprint = filterFingerprint(filters);
    const after = args.after == null ? undefined : decodeCursor(args.after, spec.list, fingerprint);
    const from = after === undefined ? { page: 0, index: 0 } : { page: after.page, index: after.index + 1 };
    const walked = await this.#walk(spec, filters, from, first);
    const edges = walked.items.map(({ node, at }) => ({
      cursor: encodeCursor(spec.list, fingerprint, at),
      node,
    }));
    return {
      edges,
      nodes: edges.map((e) => e.node),
      pageInfo: {
        hasNextPage: walked.more,
        hasPreviousPage: after !== undefined,
        startCursor: edges[0]?.cursor ?? null,
        // With no edges (first: 0, or past the end) the position stays where it was.
        endCursor: edges.at(-1)?.cursor ?? args.after ?? null,
      },
      totalCount: walked.total,
    };
  }

  /** Every entry of a list (the deprecated all-pages fields), through the same cached pages. */
  async all<T>(spec: ListSpec<T>, filters: ListFilters): Promise<T[]> {
    const walked = await this.#walk(spec, filters, { page: 0, index: 0 }, Number.POSITIVE_INFINITY);
    return walked.items.map((i) => i.node);
  }

  /**
   * `want` entries from `from` on, plus one to tell whether more exist, page after page until
   * enough are taken or the list ends.
   */
  async #walk<T>(spec: ListSpec<T>, filters: ListFilters, from: Position, want: number): Promise<Walked<T>> {
    const items: Walked<T>['items'] = [];
    let { page, index } = from;
    for (let read = 1; ; read++) {
      const entries = await this.#page(spec, filters, page);
      for (let i = index; i < entries.length && items.length <= want; i++) {
        const node = spec.pick(entries[i]);
        if (node !== undefined) items.push({ node, at: { page, index: i } });
      }
      const total = await this.#totalIfLast(spec, filters, page, entries.length);
      if (items.length > want) return { items: items.slice(0, want), more: true, total: total ?? null };
      if (total !== undefined) return { items, more: false, total };
      if (read >= MAX_PAGES) return { items, more: true, total: null };
      page += 1;
      index = 0;
    }
  }

  /**
   * When page `page` (of `length` entries) is the list's last, the list's length; otherwise
   * undefined. Every page before the last is full, so the length is pages × page size + the
   * last page's entries. Where Braze documents no page size (/purchases/product_list), a full
   * page is as long as page 0 (which a walk has always read, so it is cached); page 0 itself is
   * known to be the last only once page 1 comes back empty.
   */
  async #totalIfLast<T>(
    spec: ListSpec<T>,
    filters: ListFilters,
    page: number,
    length: number,
  ): Promise<number | undefined> {
    const documented = (ENDPOINTS[spec.endpoint] as EndpointSpec).pageSize;
    if (documented !== undefined) return length < documented ? page * documented + length : undefined;
    if (page === 0) return length === 0 ? 0 : undefined;
    const full = (await this.#page(spec, filters, 0)).length;
    return length === 0 || length < full ? page * full + length : undefined;
  }

  /** Braze's entries on one page, through the shared cache. */
  #page<T>(spec: ListSpec<T>, filters: ListFilters, page: number): Promise<unknown[]> {
    const key = `list:${spec.endpoint}:${canonicalJson(filters)}:${page}`;
    return this.cache.getOrLoad(key, this.ttlMs, async () => {
      const answer = await this.client.send<WireResponse>(spec.endpoint, undefined, {
        deadlineMs: this.deadlineMs,
        query: { ...filters, page },
      });
      const entries = answer.body[spec.field];
      return Array.isArray(entries) ? (entries as unknown[]) : [];
    });
  }
}
