/**
 * The gateway's own view of its upstream requests: the `bgw_batch_items_per_request` histogram
 * (items one upstream request carried, per lane) read from its /metrics, before and after a load.
 * It shows how full the requests were, not only how many there were.
 */
import type { RequestSizes } from './types.js';

/** Cumulative counts by bucket bound (`+Inf` included), plus sum and count, of one lane. */
export interface BatchHistogram {
  buckets: Map<number, number>;
  sum: number;
  count: number;
}

const NAME = 'bgw_batch_items_per_request';

function labelsOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/(\w+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

/** Parses one lane's histogram out of a Prometheus text exposition. */
export function parseBatchHistogram(text: string, batcher: string): BatchHistogram {
  const h: BatchHistogram = { buckets: new Map(), sum: 0, count: 0 };
  for (const line of text.split('\n')) {
    if (!line.startsWith(NAME)) continue;
    const m = /^(\w+)\{([^}]*)\}\s+(\S+)/.exec(line);
    if (m === null) continue;
    const labels = labelsOf(m[2]!);
    if (labels.batcher !== batcher) continue;
    const value = Number(m[3]);
    if (m[1] === `${NAME}_bucket`) h.buckets.set(labels.le === '+Inf' ? Infinity : Number(labels.le), value);
    else if (m[1] === `${NAME}_sum`) h.sum = value;
    else if (m[1] === `${NAME}_count`) h.count = value;
  }
  return h;
}

/** The histograms of several lanes of one gateway; empty ones when /metrics cannot be read. */
export async function scrapeBatchHistograms(
  graphqlUrl: string,
  batchers: readonly string[],
): Promise<Map<string, BatchHistogram>> {
  const out = new Map<string, BatchHistogram>();
  let text = '';
  try {
    const res = await fetch(new URL('/metrics', graphqlUrl));
    if (res.ok) text = await res.text();
  } catch {
    // No metrics: the report leaves the request sizes out.
  }
  for (const b of batchers) out.set(b, parseBatchHistogram(text, b));
  return out;
}

/** Adds histograms (several replicas) into the first. */
export function addHistograms(into: BatchHistogram, h: BatchHistogram): BatchHistogram {
  for (const [le, n] of h.buckets) into.buckets.set(le, (into.buckets.get(le) ?? 0) + n);
  into.sum += h.sum;
  into.count += h.count;
  return into;
}

function band(lo: number, hi: number): string {
  if (hi === Infinity) return `> ${lo}`;
  if (lo + 1 === hi) return String(hi);
  return lo === 0 ? `≤ ${hi}` : `${lo + 1}–${hi}`;
}

/** What a load added to a lane's histogram, as requests per band of items carried. */
export function requestSizes(batcher: string, before: BatchHistogram, after: BatchHistogram): RequestSizes {
  const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
  const bands: RequestSizes['bands'] = [];
  let lo = 0;
  let prev = 0;
  for (const le of bounds) {
    const cumulative = (after.buckets.get(le) ?? 0) - (before.buckets.get(le) ?? 0);
    const n = cumulative - prev;
    if (n > 0) bands.push({ label: band(lo, le), requests: n });
    prev = cumulative;
    lo = le;
  }
  return {
    batcher,
    requests: after.count - before.count,
    items: after.sum - before.sum,
    bands,
  };
}
