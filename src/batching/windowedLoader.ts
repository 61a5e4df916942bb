import DataLoader from 'dataloader';

/**
 * A process-wide write batcher's scheduling, shared by every cross-request batcher: a DataLoader
 * without cache whose batch opens with the first item and is dispatched `windowMs` later, or at
 * once when `isFull` says the next item would need another upstream request anyway.
 *
 * The promise kept: `load(item)` resolves with that item's own result or rejects with that
 * item's own error; the batch function returns one slot per item, in order.
 */
export interface WindowedLoaderOptions<K> {
  windowMs: number;
  /** Most items one batch may hold. */
  maxBatchSize: number;
  /** Called once per item as it joins the open batch, with that batch's state; true → send now. */
  addToBatch: (state: Map<string, number>, item: K) => boolean;
  /** Told how long each batch stayed open (metrics). */
  onDispatch?: (openMs: number) => void;
}

interface OpenBatch {
  /** Free-form counters for `addToBatch` (items per array, per partition…). */
  state: Map<string, number>;
  openedAtMs: number;
  dispatch: () => void;
  timer: NodeJS.Timeout | undefined;
}

export class WindowedLoader<K, V> {
  readonly #loader: DataLoader<K, V>;
  readonly #opts: WindowedLoaderOptions<K>;
  #open: OpenBatch | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(batch: (items: readonly K[]) => Promise<Array<V | Error>>, opts: WindowedLoaderOptions<K>) {
    this.#opts = opts;
    this.#loader = new DataLoader<K, V>(
      (items) => {
        const work = batch(items);
        this.#inFlight.add(work);
        return work.finally(() => this.#inFlight.delete(work));
      },
      {
        cache: false,
        maxBatchSize: opts.maxBatchSize,
        batchScheduleFn: (dispatch) => this.#openBatch(dispatch),
      },
    );
  }

  load(item: K): Promise<V> {
    const result = this.#loader.load(item);
    // `load` opened a batch (through batchScheduleFn) if none was open: count the item in it.
    const open = this.#open;
    if (open !== undefined && this.#opts.addToBatch(open.state, item)) this.#fire(open);
    return result;
  }

  /** Send whatever is waiting now and wait for every batch in flight (shutdown, tests). */
  async flush(): Promise<void> {
    if (this.#open !== undefined) this.#fire(this.#open);
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #openBatch(dispatch: () => void): void {
    const batch: OpenBatch = { state: new Map(), openedAtMs: Date.now(), dispatch, timer: undefined };
    batch.timer = setTimeout(() => this.#fire(batch), this.#opts.windowMs);
    this.#open = batch;
  }

  #fire(batch: OpenBatch): void {
    clearTimeout(batch.timer);
    if (this.#open === batch) this.#open = undefined;
    this.#opts.onDispatch?.(Date.now() - batch.openedAtMs);
    batch.dispatch();
  }
}

/** Add one to a counter of a batch's state and return the new value. */
export function bump(state: Map<string, number>, key: string): number {
  const n = (state.get(key) ?? 0) + 1;
  state.set(key, n);
  return n;
}
