import { int, num, obj, objects, str, type Obj } from '../braze/coerce.js';

/**
 * Braze's analytics answers (docs/braze-facts.md §3.20) in the schema's shapes
 * (schema/analytics.graphql): times as Dates, counts as numbers, the statistics every channel
 * shares typed and the rest kept by Braze's names.
 */

/**
 * A series point's time. Braze labels days with an ISO date (`2026-03-01`: midnight UTC) and hours
 * with an ISO date-time that may carry no zone (`2026-03-01T13:00:00`): read as UTC, never as this
 * server's local time. Null for anything else.
 */
export function seriesTime(v: unknown): Date | null {
  if (typeof v !== 'string') return null;
  const zoned = /^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(v) ? `${v}Z` : v;
  const d = new Date(zoned);
  return Number.isNaN(d.getTime()) ? null : d;
}

export interface SeriesPointShape {
  time: Date;
  value: number;
}

/** `[{time, <field>}]` → points; an entry without a time or a count is left out. */
export function countPoints(data: unknown, field: string): SeriesPointShape[] {
  return objects(data).flatMap((o) => {
    const time = seriesTime(o.time);
    const value = int(o[field]);
    return time === null || value === null ? [] : [{ time, value }];
  });
}

/** Every finite number of an entry, by Braze's name. */
function numbers(o: Obj): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

export interface ChannelStatsShape {
  channel: string;
  variationName: string | null;
  variationApiId: string | null;
  sent: number | null;
  delivered: number | null;
  uniqueRecipients: number | null;
  conversions: number | null;
  revenue: number | null;
  stats: Record<string, number>;
}

/** `{<channel>: [{variation_name?, variation_api_id?, sent, …}]}` → one entry per channel and variation. */
export function channelStats(messages: unknown): ChannelStatsShape[] {
  return Object.entries(obj(messages) ?? {}).flatMap(([channel, entries]) =>
    objects(entries).map((o) => ({
      channel,
      variationName: str(o.variation_name),
      variationApiId: str(o.variation_api_id),
      sent: int(o.sent),
      delivered: int(o.delivered),
      uniqueRecipients: int(o.unique_recipients),
      conversions: int(o.conversions),
      revenue: num(o.revenue),
      stats: numbers(o),
    })),
  );
}

/** One day of /campaigns/data_series or /sends/data_series. */
export function campaignPoints(data: unknown) {
  return objects(data).flatMap((o) => {
    const time = seriesTime(o.time);
    if (time === null) return [];
    return [
      {
        time,
        messages: channelStats(o.messages),
        uniqueRecipients: int(o.unique_recipients),
        conversions: int(o.conversions),
        conversionsBySendTime: int(o.conversions_by_send_time),
        conversions1: int(o.conversions1),
        conversions1BySendTime: int(o.conversions1_by_send_time),
        conversions2: int(o.conversions2),
        conversions2BySendTime: int(o.conversions2_by_send_time),
        conversions3: int(o.conversions3),
        conversions3BySendTime: int(o.conversions3_by_send_time),
        revenue: num(o.revenue),
      },
    ];
  });
}

function canvasStats(o: Obj) {
  return {
    entries: int(o.entries),
    conversions: int(o.conversions),
    conversionsByEntryTime: int(o.conversions_by_entry_time),
    revenue: num(o.revenue),
  };
}

/** `{<variant id>: {name, …stats}}` → variants. */
function variants(v: unknown) {
  return Object.entries(obj(v) ?? {}).flatMap(([id, raw]) => {
    const o = obj(raw);
    return o === null ? [] : [{ id, name: str(o.name), stats: canvasStats(o) }];
  });
}

/** `{<step id>: {name, …stats, messages}}` → steps. */
function steps(v: unknown) {
  return Object.entries(obj(v) ?? {}).flatMap(([id, raw]) => {
    const o = obj(raw);
    return o === null
      ? []
      : [{ id, name: str(o.name), stats: canvasStats(o), messages: channelStats(o.messages) }];
  });
}

/** /canvas/data_series's `data`: the name and one point a day. */
export function canvasSeries(data: unknown) {
  const d = obj(data) ?? {};
  return {
    name: str(d.name),
    points: objects(d.stats).flatMap((o) => {
      const time = seriesTime(o.time);
      return time === null
        ? []
        : [
            {
              time,
              total: canvasStats(obj(o.total_stats) ?? {}),
              variants: variants(o.variant_stats),
              steps: steps(o.step_stats),
            },
          ];
    }),
  };
}

/** /canvas/data_summary's `data`: the name and the rolled-up statistics. */
export function canvasSummary(data: unknown) {
  const d = obj(data) ?? {};
  return {
    name: str(d.name),
    total: canvasStats(obj(d.total_stats) ?? {}),
    variants: variants(d.variant_stats),
    steps: steps(d.step_stats),
  };
}
