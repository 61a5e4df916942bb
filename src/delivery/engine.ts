import type { WireResponse } from '../braze/wire.js';
import { BadInputError } from '../errors.js';
import { maxItemsOf, type EndpointName } from '../braze/endpoints.js';
import { Delivery } from './lane.js';
import type { DeliveryStats, LaneClient, LaneSettings, LaneSpec } from './spec.js';

/**
 * The delivery engine of one gateway: it creates every endpoint's lanes, so shutdown drains them
 * all without a hand-kept list, and /readyz can show what each has learned.
 */
export class DeliveryEngine {
  readonly #client: LaneClient;
  readonly #settings: LaneSettings;
  /** Most items per request whatever the endpoint allows (1 turns batching off). */
  readonly maxItems: number;
  // Deliveries of every item and result type; only their common surface is used here.
  readonly #deliveries: Array<Delivery<never, unknown>> = [];

  constructor(client: LaneClient, settings: LaneSettings, opts: { maxItems?: number } = {}) {
    this.#client = client;
    this.#settings = settings;
    this.maxItems = opts.maxItems ?? Infinity;
  }

  /** A delivery (its lanes, one per partition) for one endpoint's items. */
  create<I, R>(spec: LaneSpec<I, R>): Delivery<I, R> {
    const delivery = new Delivery(this.#client, spec, this.#settings);
    this.#deliveries.push(delivery as unknown as Delivery<never, unknown>);
    return delivery;
  }

  /**
   * A delivery for Braze's "up to N items per request" endpoints, from a count-based spec: the
   * endpoint table's maximum (or the engine's lower one), per-item errors by index.
   */
  items<I, R>(spec: ItemSpec<I, R>): Delivery<I, R> {
    const total = Math.min(this.maxItems, spec.maxItems ?? maxItemsOf(spec.endpoint));
    return this.create<I, R>({
      name: spec.endpoint,
      endpoint: spec.endpoint,
      capacity: { total },
      partition: spec.partition,
      distinctBy: spec.distinctBy,
      sharedRejection: spec.sharedRejection,
      body: spec.body,
      results: (answer, items) => {
        const errors = spec.itemErrors?.(answer.body, items) ?? new Map<number, string>();
        return items.map((_, i) => {
          const error = errors.get(i);
          return error === undefined
            ? spec.result(answer.body, i, items)
            : new BadInputError(`Braze rejected this item: ${error}`);
        });
      },
    });
  }

  /**
   * Stop lingering: send what waits now, refuse what cannot leave by `untilMs`, and resolve once
   * every lane is empty and no request is out.
   */
  async drain(untilMs: number): Promise<void> {
    await Promise.all(this.#deliveries.map((d) => d.drain(untilMs)));
  }

  /** Per endpoint: the per-request maximum in force, items waiting, and counters. */
  view(): DeliveryView[] {
    return this.#deliveries.map((d) => ({
      endpoint: d.spec.name,
      maxItemsPerRequest: d.capacity.total,
      learned: d.capacity !== d.spec.capacity,
      queued: d.queued,
      lanes: d.laneCount,
      ...d.stats,
    }));
  }
}

export interface DeliveryView extends DeliveryStats {
  endpoint: string;
  maxItemsPerRequest: number;
  /** True once Braze said requests were too large and a lower maximum was adopted. */
  learned: boolean;
  queued: number;
  lanes: number;
}

/** A count-based lane spec: what differs per "up to N items" endpoint. */
export interface ItemSpec<I, R> {
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
  /** Items with equal keys never share a request (Braze keeps one recipient per user). */
  distinctBy?: (item: I) => string;
  /** See LaneSpec.sharedRejection. */
  sharedRejection?: LaneSpec<I, R>['sharedRejection'];
}

/**
 * Braze's "array of arrays" per-item errors (`rename_errors`, `removal_errors`): entries read as
 * `[index, message]`; an entry in another shape is kept against no item (docs/braze-facts.md C-5).
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
