import type { BrazeClient } from '../braze/client.js';
import type { TrackCapacity } from '../braze/contracts.js';
import {
  TRACK_ARRAYS,
  type TrackArray,
  type WireErrorEntry,
  type WireTrackBody,
  type WireTrackResponse,
} from '../braze/wire.js';
import { BadInputError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Telemetry } from '../metrics.js';
import { deliverIsolating } from './deliver.js';
import { packTrackObjects, type TrackObject } from './trackPacker.js';
import { WindowedLoader, bump } from './windowedLoader.js';

/** One item's outcome: nothing on success, its own Error otherwise. */
type Outcome = undefined | Error;

/**
 * The process-wide /users/track write batcher.
 *
 * Promise: `track(object, deadlineMs)` resolves once Braze has accepted that object, or rejects
 * with that object's own error. Objects from concurrent GraphQL requests share upstream
 * requests: a batch opens with the first object, and is sent when it is full (the next object
 * would need a new request anyway) or `windowMs` after it opened, whichever comes first. One
 * object's failure never fails its batch-mates:
 *  - Braze's non-fatal `errors[]` (`input_array`, `index`) fail exactly the objects they name;
 *  - a whole-request 4xx (`Max Input Length Exceeded`, or a fatal 400 caused by one bad object)
 *    is split in halves and each half sent again, until the bad objects stand alone;
 *  - failures that concern the request, not its content (401, 403, 429, 5xx, network) fail every
 *    object of that request with the same error, and are never split.
 */

export interface TrackBatcherOptions {
  client: BrazeClient;
  capacity: TrackCapacity;
  windowMs: number;
  maxBodyBytes: number;
  log: Logger;
  telemetry?: Telemetry;
}

interface Pending {
  object: TrackObject;
  deadlineMs: number;
}

export class TrackBatcher {
  readonly #opts: TrackBatcherOptions;
  readonly #loader: WindowedLoader<Pending, void>;
  /** Counters for tests, logs and benchmarks. */
  readonly stats = { batches: 0, objects: 0, requests: 0, splits: 0 };

  constructor(opts: TrackBatcherOptions) {
    this.#opts = opts;
    const { perArray, total } = opts.capacity;
    this.#loader = new WindowedLoader<Pending, void>((batch) => this.#dispatch(batch), {
      windowMs: opts.windowMs,
      maxBatchSize: total,
      // Full when one array, or the request as a whole, has no room left.
      addToBatch: (state, item) => bump(state, item.object.array) >= perArray || bump(state, '*') >= total,
      onDispatch: (openMs) => opts.telemetry?.batchWait('users.track', openMs / 1000),
    });
  }

  /** Queue one object; resolves when Braze accepted it, rejects with its own error. */
  track(object: TrackObject, deadlineMs: number): Promise<void> {
    return this.#loader.load({ object, deadlineMs });
  }

  /** Send whatever is waiting now and wait for every request in flight (shutdown, tests). */
  flush(): Promise<void> {
    return this.#loader.flush();
  }

  /** DataLoader's batch function: pack, send every request at once, answer per item. */
  async #dispatch(batch: readonly Pending[]): Promise<Outcome[]> {
    const outcomes = new Map<Pending, Outcome>();
    this.stats.batches += 1;
    this.stats.objects += batch.length;
    const plans = packTrackObjects(batch, (p) => p.object, this.#opts.capacity, this.#opts.maxBodyBytes);
    await Promise.all(
      plans.map((plan) =>
        this.#deliver(
          TRACK_ARRAYS.flatMap((a) => plan.slots[a]),
          outcomes,
        ),
      ),
    );
    return batch.map((p) => outcomes.get(p));
  }

  /**
   * Send `items` as one request (splitting on a whole-request rejection) and record each item's
   * outcome. Items were packed to fit one request, so any subset fits too: no repacking.
   */
  #deliver(items: Pending[], outcomes: Map<Pending, Outcome>): Promise<void> {
    return deliverIsolating<Pending, undefined>(
      items,
      {
        send: async (part) => {
          const { body, slots } = buildBody(part);
          const deadlineMs = Math.min(...part.map((p) => p.deadlineMs));
          this.stats.requests += 1;
          this.#opts.telemetry?.batchRequest('users.track', part.length);
          const answer = await this.#opts.client.send<WireTrackResponse>('users.track', body, { deadlineMs });
          const failed = itemErrors(answer.body.errors, slots);
          return new Map(part.map((p) => [p, failed.get(p)]));
        },
        named: (err, part) =>
          itemErrors(err.brazeErrors as WireErrorEntry[] | undefined, buildBody(part).slots),
        onSplit: (err, part) => {
          this.stats.splits += 1;
          if (err.brazeMessage === 'Max Input Length Exceeded') {
            this.#opts.log.warn(
              { objects: part.length },
              'Braze says /users/track requests are too large for this workspace: check BRAZE_CONTRACT',
            );
          }
        },
        alone: (err) =>
          new BadInputError(
            `Braze rejected this object: ${err.brazeMessage ?? `status ${err.status ?? 'unknown'}`}`,
          ),
      },
      outcomes,
    );
  }
}

function buildBody(items: readonly Pending[]): { body: WireTrackBody; slots: Record<TrackArray, Pending[]> } {
  const body: WireTrackBody = {};
  const slots: Record<TrackArray, Pending[]> = { attributes: [], events: [], purchases: [] };
  for (const item of items) {
    ((body[item.object.array] ??= []) as unknown[]).push(item.object.object);
    slots[item.object.array].push(item);
  }
  return { body, slots };
}

/** Map Braze's `errors[]` entries with `input_array` and `index` to the items they name. */
function itemErrors(
  errors: readonly WireErrorEntry[] | undefined,
  slots: Record<TrackArray, Pending[]>,
): Map<Pending, Error> {
  const out = new Map<Pending, Error>();
  for (const entry of errors ?? []) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { input_array: array, index, type } = entry;
    if (
      array === undefined ||
      typeof index !== 'number' ||
      !(TRACK_ARRAYS as readonly string[]).includes(array)
    )
      continue;
    const item = slots[array][index];
    if (item !== undefined && !out.has(item)) {
      out.set(item, new BadInputError(`Braze rejected this object: ${String(type)}`));
    }
  }
  return out;
}
