import type { BrazeClient, SendOptions } from '../braze/client.js';
import { ENDPOINTS, type EndpointName } from '../braze/endpoints.js';
import type { WireResponse } from '../braze/wire.js';
import { UpstreamError } from '../errors.js';
import { bool, obj, objects, str, strings, toDate, type Obj } from '../braze/coerce.js';
import type { SharedCache } from './cache.js';

/**
 * Catalog reads (docs/braze-facts.md §3.17): lists fetched page by page until a short page, details by id.
 * The scarce `catalog.lists` pool is read through the shared cache.
 */

const name = (raw: unknown): string | undefined => (typeof raw === 'string' ? raw : undefined);

/** List entries without an id cannot be referred to: they are skipped. */
function withId<T>(map: (o: Obj) => T): (raw: unknown) => T | undefined {
  return (raw) => {
    const o = obj(raw);
    return o !== null && str(o.id) !== null ? map(o) : undefined;
  };
}

/** A list entry's common fields (campaigns, canvases). */
function listed(o: Obj) {
  return {
    id: str(o.id)!,
    name: str(o.name) ?? '',
    lastEdited: toDate(o.last_edited),
    tags: strings(o.tags),
  };
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

/** Never more pages than this, whatever an upstream says (a loop guard). */
const MAX_PAGES = 200;

export class CatalogService {
  constructor(
    private readonly client: BrazeClient,
    private readonly cache: SharedCache,
    private readonly ttlMs: number,
    /** This request's deadline (epoch ms), like every domain service. */
    private readonly deadlineMs: number,
  ) {}

  customEvents(): Promise<string[]> {
    return this.cache.getOrLoad('events.list', this.ttlMs, () =>
      this.#allPages('events.list', 'events', name),
    );
  }

  purchaseProductIds(): Promise<string[]> {
    return this.cache.getOrLoad('purchases.product_list', this.ttlMs, () =>
      this.#allPages('purchases.product_list', 'products', name),
    );
  }

  campaigns(includeArchived: boolean) {
    return this.#allPages(
      'campaigns.list',
      'campaigns',
      withId((o) => ({ ...listed(o), isApiCampaign: bool(o.is_api_campaign) })),
      { include_archived: includeArchived },
    );
  }

  async campaign(id: string) {
    const d = await this.#details('campaigns.details', { campaign_id: id });
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
    return this.#allPages('canvas.list', 'canvases', withId(listed), {
      include_archived: includeArchived,
    });
  }

  async canvas(id: string) {
    const d = await this.#details('canvas.details', { canvas_id: id });
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
    return this.#allPages(
      'segments.list',
      'segments',
      withId((o) => ({
        id: str(o.id)!,
        name: str(o.name) ?? '',
        analyticsTrackingEnabled: bool(o.analytics_tracking_enabled),
        tags: strings(o.tags),
      })),
    );
  }

  async segment(id: string) {
    const d = await this.#details('segments.details', { segment_id: id });
    return d === null ? null : { ...described(id, d), textDescription: str(d.text_description) };
  }

  /**
   * Every page of a list endpoint, 0-based, until a page comes back shorter than the endpoint's
   * page size (from the endpoint table) or, where Braze does not document one, than the longest
   * page seen.
   */
  async #allPages<T>(
    endpoint: EndpointName,
    field: string,
    pick: (raw: unknown) => T | undefined,
    query: SendOptions['query'] = {},
  ): Promise<T[]> {
    const out: T[] = [];
    let pageSize = ENDPOINTS[endpoint].pageSize ?? 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const items = await this.#page(endpoint, field, page, query);
      for (const raw of items) {
        const picked = pick(raw);
        if (picked !== undefined) out.push(picked);
      }
      pageSize = Math.max(pageSize, items.length);
      if (items.length === 0 || items.length < pageSize) break;
    }
    return out;
  }

  async #page(endpoint: EndpointName, field: string, page: number, query: SendOptions['query']) {
    const answer = await this.client.send<WireResponse>(endpoint, undefined, {
      deadlineMs: this.deadlineMs,
      query: { ...query, page },
    });
    return Array.isArray(answer.body[field]) ? (answer.body[field] as unknown[]) : [];
  }

  /** A details GET; Braze's 400 for an unknown id becomes null. */
  async #details(endpoint: EndpointName, query: Record<string, string>): Promise<Obj | null> {
    try {
      return (
        await this.client.send<WireResponse>(endpoint, undefined, { deadlineMs: this.deadlineMs, query })
      ).body;
    } catch (err) {
      if (err instanceof UpstreamError && err.kind === 'rejected' && err.status === 400) return null;
      throw err;
    }
  }
}
