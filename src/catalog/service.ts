import DataLoader from 'dataloader';
import type { BrazeClient } from '../braze/client.js';
import type { EndpointName } from '../braze/endpoints.js';
import type { WireResponse } from '../braze/wire.js';
import { UpstreamError } from '../errors.js';
import { bool, obj, objects, str, strings, toDate, type Obj } from '../braze/coerce.js';
import type { SortDirection } from '../generated/graphql.js';
import type { SharedCache } from './cache.js';
import { PagedLists, type Connection, type ListFilters, type ListSpec, type SliceArgs } from './pages.js';

/**
 * Catalog reads (docs/braze-facts.md §3.17). Lists a slice at a time (connections) or, for the
 * deprecated fields, every page; either way page by page through the shared cache (pages.ts).
 * Details one id per Braze request, deduplicated per GraphQL operation (DataLoader) and cached.
 */

const name = (raw: unknown): string | undefined => (typeof raw === 'string' ? raw : undefined);

/** List entries without an id cannot be referred to: they are skipped. */
function withId<T>(map: (o: Obj) => T): (raw: unknown) => T | undefined {
  return (raw) => {
    const o = obj(raw);
    return o !== null && str(o.id) !== null ? map(o) : undefined;
  };
}

/** What every list entry has (campaigns, Canvases, segments). */
function named(o: Obj) {
  return { id: str(o.id)!, name: str(o.name) ?? '', tags: strings(o.tags) };
}

/** A campaign or Canvas list entry's common fields. */
function listed(o: Obj) {
  return { ...named(o), lastEdited: toDate(o.last_edited) };
}

/** A details answer's common fields. */
function described(id: string, d: Obj) {
  return {
    id,
    name: str(d.name),
    description: str(d.description),
    createdAt: toDate(d.created_at),
    updatedAt: toDate(d.updated_at),
    tags: strings(d.tags),
  };
}

/** Most entries in one slice: a Braze page of campaigns, Canvases or segments; of names, 250. */
const MAX_FIRST_OBJECTS = 100;
const MAX_FIRST_NAMES = 250;

const CAMPAIGNS: ListSpec<ReturnType<typeof listedCampaign>> = {
  list: 'campaigns',
  endpoint: 'campaigns.list',
  field: 'campaigns',
  pick: withId(listedCampaign),
};
const CANVASES: ListSpec<ReturnType<typeof listed>> = {
  list: 'canvases',
  endpoint: 'canvas.list',
  field: 'canvases',
  pick: withId(listed),
};
const SEGMENTS: ListSpec<ReturnType<typeof listedSegment>> = {
  list: 'segments',
  endpoint: 'segments.list',
  field: 'segments',
  pick: withId(listedSegment),
};
const EVENT_NAMES: ListSpec<string> = {
  list: 'events',
  endpoint: 'events.list',
  field: 'events',
  pick: name,
};
const PRODUCT_IDS: ListSpec<string> = {
  list: 'products',
  endpoint: 'purchases.product_list',
  field: 'products',
  pick: name,
};

function listedCampaign(o: Obj) {
  return { ...listed(o), isApiCampaign: bool(o.is_api_campaign) };
}

function listedSegment(o: Obj) {
  return { ...named(o), analyticsTrackingEnabled: bool(o.analytics_tracking_enabled) };
}

/** The filters campaigns and Canvases share (docs/braze-facts.md §3.17). */
export interface EditedListArgs extends SliceArgs {
  includeArchived?: boolean | null;
  sortDirection?: SortDirection | null;
  lastEditedAfter?: Date | null;
}

export interface SegmentListArgs extends SliceArgs {
  sortDirection?: SortDirection | null;
}

/** Braze's `sort_direction`; ascending is its default, sent anyway so the cache has one key per order. */
const sortOf = (d: SortDirection | null | undefined): string => (d === 'DESC' ? 'desc' : 'asc');

/**
 * `last_edit.time[gt]` in Braze's documented format (`yyyy-MM-DDTHH:mm:ss`, with an offset as in
 * its example), rounded down to the second: an entry edited within that second may be listed,
 * none edited later is missed.
 */
const brazeSeconds = (d: Date): string => `${d.toISOString().slice(0, 19)}+00:00`;

/** Campaign and Canvas list filters as Braze's query parameters. */
function editedFilters(args: EditedListArgs): ListFilters {
  const filters: Record<string, string | boolean> = {
    include_archived: args.includeArchived ?? false,
    sort_direction: sortOf(args.sortDirection),
  };
  if (args.lastEditedAfter != null) filters['last_edit.time[gt]'] = brazeSeconds(args.lastEditedAfter);
  return filters;
}

export class CatalogService {
  readonly #lists: PagedLists;
  readonly #campaigns: DataLoader<string, Obj | null>;
  readonly #canvases: DataLoader<string, Obj | null>;
  readonly #segments: DataLoader<string, Obj | null>;

  constructor(
    private readonly client: BrazeClient,
    private readonly cache: SharedCache,
    private readonly ttlMs: number,
    /** This request's deadline (epoch ms), like every domain service. */
    private readonly deadlineMs: number,
  ) {
    this.#lists = new PagedLists(client, cache, ttlMs, deadlineMs);
    this.#campaigns = this.#detailsLoader('campaigns.details', 'campaign_id');
    this.#canvases = this.#detailsLoader('canvas.details', 'canvas_id');
    this.#segments = this.#detailsLoader('segments.details', 'segment_id');
  }

  customEvents(): Promise<string[]> {
    return this.#lists.all(EVENT_NAMES, {});
  }

  customEventsConnection(args: SliceArgs): Promise<Connection<string>> {
    return this.#lists.connection(EVENT_NAMES, {}, args, MAX_FIRST_NAMES);
  }

  purchaseProductIds(): Promise<string[]> {
    return this.#lists.all(PRODUCT_IDS, {});
  }

  purchaseProductIdsConnection(args: SliceArgs): Promise<Connection<string>> {
    return this.#lists.connection(PRODUCT_IDS, {}, args, MAX_FIRST_NAMES);
  }

  campaigns(includeArchived: boolean) {
    return this.#lists.all(CAMPAIGNS, editedFilters({ includeArchived }));
  }

  campaignsConnection(args: EditedListArgs) {
    return this.#lists.connection(CAMPAIGNS, editedFilters(args), args, MAX_FIRST_OBJECTS);
  }

  async campaign(id: string) {
    const d = await this.#campaigns.load(id);
    if (d === null) return null;
    return {
      ...described(id, d),
      archived: bool(d.archived),
      draft: bool(d.draft),
      scheduleType: str(d.schedule_type),
      channels: strings(d.channels),
      firstSent: toDate(d.first_sent),
      lastSent: toDate(d.last_sent),
      messages: obj(d.messages),
      conversionBehaviors: objects(d.conversion_behaviors),
    };
  }

  canvases(includeArchived: boolean) {
    return this.#lists.all(CANVASES, editedFilters({ includeArchived }));
  }

  canvasesConnection(args: EditedListArgs) {
    return this.#lists.connection(CANVASES, editedFilters(args), args, MAX_FIRST_OBJECTS);
  }

  async canvas(id: string) {
    const d = await this.#canvases.load(id);
    if (d === null) return null;
    return {
      ...described(id, d),
      archived: bool(d.archived),
      draft: bool(d.draft),
      enabled: bool(d.enabled),
      scheduleType: str(d.schedule_type),
      firstEntry: toDate(d.first_entry),
      lastEntry: toDate(d.last_entry),
      channels: strings(d.channels),
      variants: objects(d.variants),
      steps: objects(d.steps),
    };
  }

  segments() {
    return this.#lists.all(SEGMENTS, { sort_direction: 'asc' });
  }

  segmentsConnection(args: SegmentListArgs) {
    const filters = { sort_direction: sortOf(args.sortDirection) };
    return this.#lists.connection(SEGMENTS, filters, args, MAX_FIRST_OBJECTS);
  }

  async segment(id: string) {
    const d = await this.#segments.load(id);
    return d === null ? null : { ...described(id, d), textDescription: str(d.text_description) };
  }

  /**
   * Details by id for this operation: each id once however often it is selected (DataLoader),
   * through the shared cache. Braze's details GETs take one id, so a batch is one request per
   * id; a failed id fails only its own selections.
   */
  #detailsLoader(endpoint: EndpointName, param: string): DataLoader<string, Obj | null> {
    return new DataLoader<string, Obj | null>((ids) =>
      Promise.all(
        ids.map((id) =>
          this.#details(endpoint, param, id).catch((err: unknown) =>
            err instanceof Error ? err : new Error(String(err)),
          ),
        ),
      ),
    );
  }

  /**
   * A details GET through the cache. Braze's 400 for an unknown id becomes null, which is not
   * kept: the id may exist a moment later.
   */
  #details(endpoint: EndpointName, param: string, id: string): Promise<Obj | null> {
    return this.cache.getOrLoad(
      `details:${endpoint}:${id}`,
      this.ttlMs,
      async () => {
        try {
          const query = { [param]: id };
          return (
            await this.client.send<WireResponse>(endpoint, undefined, { deadlineMs: this.deadlineMs, query })
          ).body;
        } catch (err) {
          if (err instanceof UpstreamError && err.kind === 'rejected' && err.status === 400) return null;
          throw err;
        }
      },
      { keep: (d) => d !== null },
    );
  }
}
