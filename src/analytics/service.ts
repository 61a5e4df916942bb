import type { BrazeClient, SendOptions } from '../braze/client.js';
import { ENDPOINTS, canonicalJson, type EndpointName } from '../braze/endpoints.js';
import type { SharedCache } from '../catalog/cache.js';
import { BadInputError } from '../errors.js';
import type { SeriesUnit } from '../generated/graphql.js';
import { campaignPoints, canvasSeries, canvasSummary, countPoints, type SeriesPointShape } from './shape.js';

/**
 * Analytics (docs/braze-facts.md §3.20): KPI, session, custom-event, segment, campaign, send and
 * Canvas series, one Braze GET each. Dashboards ask for the same series again and again, so every
 * answer goes through the shared cache for ANALYTICS_CACHE_TTL_MS, keyed by the endpoint and the
 * exact parameters sent: concurrent identical queries make one Braze request, and replicas
 * sharing a Redis share the answers. Braze's raw `data` is cached; it is shaped on the way out.
 */

type Query = NonNullable<SendOptions['query']>;

/** Arguments every series takes. */
interface SeriesArgs {
  length: number;
  endingAt?: Date | null;
}

interface KpiArgs extends SeriesArgs {
  appId?: string | null;
}

interface SessionArgs extends KpiArgs {
  unit?: SeriesUnit | null;
  segmentId?: string | null;
}

interface CanvasArgs {
  canvasId: string;
  endingAt?: Date | null;
  startingAt?: Date | null;
  length?: number | null;
  includeVariantBreakdown?: boolean | null;
  includeStepBreakdown?: boolean | null;
  includeDeletedStepData?: boolean | null;
}

/** `length`: from 1 to the endpoint's maximum (the endpoint table's `seriesMaxLength`). */
function lengthOf(endpoint: EndpointName, length: number, unit = 'days'): number {
  const spec: { seriesMaxLength?: number } = ENDPOINTS[endpoint];
  const max = spec.seriesMaxLength ?? 100;
  if (!Number.isInteger(length) || length < 1 || length > max) {
    throw new BadInputError(`must be from 1 to ${max} (${unit}), got ${length}.`, 'length');
  }
  return length;
}

/** A required id or name: not empty. */
function given(value: string, arg: string): string {
  if (value.trim() === '') throw new BadInputError('must not be empty.', arg);
  return value;
}

/** An optional id: absent, or not empty. */
function optional(value: string | null | undefined, arg: string): string | undefined {
  return value == null ? undefined : given(value, arg);
}

const iso = (d: Date | null | undefined): string | undefined => (d == null ? undefined : d.toISOString());

export class AnalyticsService {
  constructor(
    private readonly client: BrazeClient,
    private readonly cache: SharedCache,
    private readonly ttlMs: number,
    /** This request's deadline (epoch ms), like every domain service. */
    private readonly deadlineMs: number,
  ) {}

  dailyActiveUsers(args: KpiArgs): Promise<SeriesPointShape[]> {
    return this.#kpi('kpi.dau.data_series', 'dau', args);
  }

  monthlyActiveUsers(args: KpiArgs): Promise<SeriesPointShape[]> {
    return this.#kpi('kpi.mau.data_series', 'mau', args);
  }

  newUsers(args: KpiArgs): Promise<SeriesPointShape[]> {
    return this.#kpi('kpi.new_users.data_series', 'new_users', args);
  }

  uninstalls(args: KpiArgs): Promise<SeriesPointShape[]> {
    return this.#kpi('kpi.uninstalls.data_series', 'uninstalls', args);
  }

  async sessionSeries(args: SessionArgs): Promise<SeriesPointShape[]> {
    const data = await this.#data('sessions.data_series', this.#unitQuery('sessions.data_series', args));
    return countPoints(data, 'sessions');
  }

  async customEventSeries(args: SessionArgs & { event: string }): Promise<SeriesPointShape[]> {
    const query = { event: given(args.event, 'event'), ...this.#unitQuery('events.data_series', args) };
    return countPoints(await this.#data('events.data_series', query), 'count');
  }

  async segmentSizeSeries(args: SeriesArgs & { segmentId: string }): Promise<SeriesPointShape[]> {
    const query = {
      segment_id: given(args.segmentId, 'segmentId'),
      length: lengthOf('segments.data_series', args.length),
      ending_at: iso(args.endingAt),
    };
    return countPoints(await this.#data('segments.data_series', query), 'size');
  }

  async campaignSeries(args: SeriesArgs & { campaignId: string }) {
    const query = {
      campaign_id: given(args.campaignId, 'campaignId'),
      length: lengthOf('campaigns.data_series', args.length),
      ending_at: iso(args.endingAt),
    };
    return campaignPoints(await this.#data('campaigns.data_series', query));
  }

  async sendSeries(args: SeriesArgs & { campaignId: string; sendId: string }) {
    const query = {
      campaign_id: given(args.campaignId, 'campaignId'),
      send_id: given(args.sendId, 'sendId'),
      length: lengthOf('sends.data_series', args.length),
      ending_at: iso(args.endingAt),
    };
    return campaignPoints(await this.#data('sends.data_series', query));
  }

  async canvasSeries(args: CanvasArgs) {
    return canvasSeries(await this.#canvas('canvas.data_series', args));
  }

  async canvasSummary(args: CanvasArgs) {
    return canvasSummary(await this.#canvas('canvas.data_summary', args));
  }

  async #kpi(endpoint: EndpointName, field: string, args: KpiArgs): Promise<SeriesPointShape[]> {
    const query = {
      length: lengthOf(endpoint, args.length),
      ending_at: iso(args.endingAt),
      app_id: optional(args.appId, 'appId'),
    };
    return countPoints(await this.#data(endpoint, query), field);
  }

  /** Sessions and custom events: a `unit` of day or hour, an app and a segment. */
  #unitQuery(endpoint: EndpointName, args: SessionArgs): Query {
    const unit = args.unit === 'HOUR' ? 'hour' : 'day';
    return {
      length: lengthOf(endpoint, args.length, `${unit}s`),
      unit,
      ending_at: iso(args.endingAt),
      app_id: optional(args.appId, 'appId'),
      segment_id: optional(args.segmentId, 'segmentId'),
    };
  }

  /**
   * Canvas series and summary: `ending_at` (Braze lists it as required: the time of the request
   * when not given), and `length` (1–14 days) or `starting_at`.
   */
  #canvas(endpoint: 'canvas.data_series' | 'canvas.data_summary', args: CanvasArgs): Promise<unknown> {
    if (args.length == null && args.startingAt == null) {
      throw new BadInputError('give length (1 to 14 days) or startingAt.', 'length');
    }
    const endMs = args.endingAt?.getTime() ?? Date.now();
    if (args.startingAt != null && args.startingAt.getTime() > endMs) {
      throw new BadInputError('must not be after endingAt (default: now).', 'startingAt');
    }
    const query: Query = {
      canvas_id: given(args.canvasId, 'canvasId'),
      ending_at: iso(args.endingAt),
      starting_at: iso(args.startingAt),
      length: args.length == null ? undefined : lengthOf(endpoint, args.length),
      include_variant_breakdown: args.includeVariantBreakdown ?? false,
      include_step_breakdown: args.includeStepBreakdown ?? false,
      include_deleted_step_data: args.includeDeletedStepData ?? false,
    };
    return this.#data(endpoint, query, () =>
      query.ending_at === undefined ? { ending_at: new Date().toISOString() } : {},
    );
  }

  /**
   * Braze's `data` for `query`, through the shared cache. The key is the endpoint and the
   * parameters as given (a default filled in at send time, `atSend`, is not part of it: "now"
   * would make every key new).
   */
  #data(endpoint: EndpointName, query: Query, atSend: () => Query = () => ({})): Promise<unknown> {
    const key = `analytics:${endpoint}:${canonicalJson(query)}`;
    return this.cache.getOrLoad(key, this.ttlMs, async () => {
      const answer = await this.client.send(endpoint, undefined, {
        deadlineMs: this.deadlineMs,
        query: { ...query, ...atSend() },
      });
      // Cached as is; null (not undefined, which the cache reads as a miss) when Braze sent none.
      return answer.body.data ?? null;
    });
  }
}
