/**
 * At most `limit` requests out at once; the rest wait here in arrival order.
 *
 * Why the Braze client keeps this line itself instead of leaving it to undici's pool (whose
 * `connections` is the same limit): a request the pool cannot send at once is queued inside
 * undici and started later by whichever request freed a connection, outside its caller's async
 * context. Tracing would then file its HTTP span, and the `traceparent` Braze receives, under
 * another call's trace. Awaiting here keeps each caller's context, and undici never queues.
 */
export class RequestGate {
  readonly #limit: number;
  #out = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Takes a slot if one is free now (the caller then owes a `leave`). */
  tryEnter(): boolean {
    if (this.#out >= this.#limit) return false;
    this.#out += 1;
    return true;
  }

  /**
   * Waits for a slot, handed over by a `leave`; rejects with the signal's reason if it aborts
   * first (a plain send's deadline counts while it waits here, as it did in undici's queue).
   */
  wait(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const at = this.#waiting.indexOf(granted);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(signal!.reason);
      };
      const granted = () => {
        // Aborted between the hand-over and its turn: the slot goes on to the next one.
        if (signal?.aborted === true) return this.leave();
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(granted);
    });
  }

  /**
   * Gives the slot to the next in line, or frees it. The next one goes on at the next turn of the
   * event loop: undici marks the connection free again only after the answer's body has ended
   * (on a microtask or a tick), and a request dispatched before that would be queued by the pool
   * after all.
   */
  leave(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) setImmediate(next);
    else this.#out -= 1;
  }
}
