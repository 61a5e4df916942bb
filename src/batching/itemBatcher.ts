import type { BrazeClient } from '../braze/client.js';
import { ENDPOINTS, type EndpointName } from '../braze/endpoints.js';
import type { WireResponse } from '../braze/wire.js';
import { BadInputError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Telemetry } from '../metrics.js';
import { deliverIsolating } from './deliver.js';
import { WindowedLoader, bump } from './windowedLoader.js';

/**
 * A process-wide batcher for Braze's "up to N items per request" endpoints (identity, external
 * ids, messaging recipients, subscriptions). Items from concurrent GraphQL requests that may share
 * a request (same `partition`) are packed `maxItems` to a request; each item gets its own result.
 *
 * What differs per endpoint is data, in a BatchSpec: the body for a list of items, the
 * per-item errors Braze reports on a 2xx answer, and the value each delivered item gets.
 */
export interface BatchSpec<I, R> {
  endpoint: EndpointName;
  /** Items with different partitions never share a request (e.g. one identifier type per /users/delete). */
  partition?: (item: I) => string;
  /** The request body for items that share a partition. */
  body: (items: readonly I[]) => unknown;
  /** Per-item errors in a 2xx answer, by the item's index in the request. */
  itemErrors?: (answer: WireResponse, items: readonly I[]) => Map<number, string>;
  /** What a delivered item resolves with (e.g. the request's dispatch_id). */
  result: (answer: WireResponse, index: number, items: readonly I[]) => R;
  /** Override of the endpoint table's per-request maximum. */
  maxItems?: number;
  /**
   * Items with equal keys never share a request. Braze de-duplicates recipients within a request
   * (the last one's properties win), so two callers' messages to one user must go separately.
   */
  distinctBy?: (item: I) => string;
}

/** What every cross-request batcher is built with. */
export interface BatcherOptions {
  windowMs: number;
  log: Logger;
  telemetry?: Telemetry;
  /** Most items per request whatever the endpoint allows (1 turns batching off). */
  maxItems?: number;
}

interface Pending<I> {
  item: I;
  partition: string;
  deadlineMs: number;
}

export class ItemBatcher<I, R> {
  readonly #loader: WindowedLoader<Pending<I>, R>;
  readonly #spec: BatchSpec<I, R>;
  readonly #client: BrazeClient;
  readonly #max: number;
  readonly stats = { batches: 0, items: 0, requests: 0 };

  readonly #telemetry: Telemetry | undefined;

  constructor(client: BrazeClient, spec: BatchSpec<I, R>, opts: BatcherOptions) {
    this.#telemetry = opts.telemetry;
    this.#client = client;
    this.#spec = spec;
    this.#max = Math.min(opts.maxItems ?? Infinity, spec.maxItems ?? ENDPOINTS[spec.endpoint].maxItems ?? 50);
    this.#loader = new WindowedLoader<Pending<I>, R>((batch) => this.#dispatch(batch), {
      windowMs: opts.windowMs,
      // Several partitions may share a batch. Sending as soon as one partition fills a request
      // would split the others' items across batches (more requests than needed); so the batch
      // is sent early only once it holds a full request's worth per partition on average.
      maxBatchSize: this.#max * 20,
      addToBatch: (state, p) => {
        if (bump(state, `p:${p.partition}`) === 1) bump(state, 'partitions');
        return bump(state, 'items') >= this.#max * (state.get('partitions') ?? 1);
      },
      onDispatch: (openMs) => opts.telemetry?.batchWait(spec.endpoint, openMs / 1000),
    });
  }

  /** Queue one item; resolves with its result once Braze accepted it, rejects with its own error. */
  submit(item: I, deadlineMs: number): Promise<R> {
    return this.#loader.load({ item, partition: this.#spec.partition?.(item) ?? '', deadlineMs });
  }

  flush(): Promise<void> {
    return this.#loader.flush();
  }

  async #dispatch(batch: readonly Pending<I>[]): Promise<Array<R | Error>> {
    this.stats.batches += 1;
    this.stats.items += batch.length;
    const byPartition = new Map<string, Pending<I>[]>();
    for (const p of batch) {
      const list = byPartition.get(p.partition) ?? [];
      list.push(p);
      byPartition.set(p.partition, list);
    }
    const outcomes = new Map<Pending<I>, R | Error>();
    const chunks: Pending<I>[][] = [];
    for (const list of byPartition.values()) chunks.push(...this.#chunk(list));
    await Promise.all(
      chunks.map((chunk) => deliverIsolating(chunk, { send: (part) => this.#send(part) }, outcomes)),
    );
    // A void result is `undefined`: tell it apart from a missing outcome with `has`.
    return batch.map((p) =>
      outcomes.has(p) ? (outcomes.get(p) as R | Error) : new Error('no outcome recorded'),
    );
  }

  /** At most `max` items per chunk, and no two with the same `distinctBy` key in one chunk. */
  #chunk(list: Pending<I>[]): Pending<I>[][] {
    const distinct = this.#spec.distinctBy;
    if (distinct === undefined) {
      const out: Pending<I>[][] = [];
      for (let i = 0; i < list.length; i += this.#max) out.push(list.slice(i, i + this.#max));
      return out;
    }
    const chunks: Array<{ items: Pending<I>[]; keys: Set<string> }> = [];
    for (const p of list) {
      const key = distinct(p.item);
      let chunk = chunks.find((c) => c.items.length < this.#max && !c.keys.has(key));
      if (chunk === undefined) {
        chunk = { items: [], keys: new Set() };
        chunks.push(chunk);
      }
      chunk.items.push(p);
      chunk.keys.add(key);
    }
    return chunks.map((c) => c.items);
  }

  async #send(part: Pending<I>[]): Promise<Map<Pending<I>, R | Error>> {
    const items = part.map((p) => p.item);
    const deadlineMs = Math.min(...part.map((p) => p.deadlineMs));
    this.stats.requests += 1;
    this.#telemetry?.batchRequest(this.#spec.endpoint, part.length);
    const answer = await this.#client.send(this.#spec.endpoint, this.#spec.body(items), { deadlineMs });
    const errors = this.#spec.itemErrors?.(answer.body, items) ?? new Map<number, string>();
    return new Map(
      part.map((p, i) => {
        const error = errors.get(i);
        return [
          p,
          error === undefined
            ? this.#spec.result(answer.body, i, items)
            : new BadInputError(`Braze rejected this item: ${error}`),
        ];
      }),
    );
  }
}

/**
 * Braze's "array of arrays" per-item errors (`rename_errors`, `removal_errors`): entries read as
 * `[index, message]`; an entry in another shape is kept against no item (facts C-5).
 */
export function indexedErrors(list: unknown): Map<number, string> {
  const out = new Map<number, string>();
  if (!Array.isArray(list)) return out;
  for (const entry of list) {
    if (Array.isArray(entry) && typeof entry[0] === 'number')
      out.set(entry[0], String(entry[1] ?? 'rejected'));
  }
  return out;
}
