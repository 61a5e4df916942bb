import { BadInputError, UpstreamError } from '../errors.js';

/**
 * Delivery that isolates bad items, shared by every batcher.
 *
 * `send(items)` makes one upstream request and returns each item's outcome. When Braze refuses
 * the request as a whole (a 4xx about its content), the items it names are failed and the rest
 * sent again; if it names none, the request is split in halves and each half sent again, until
 * the bad items stand alone. So one bad item costs its batch-mates a few requests, never their
 * delivery. Failures that concern the request rather than its content (401, 403, 429, 5xx,
 * network) fail every item of the request alike and are never split.
 */
export interface DeliveryHooks<I, R> {
  send(items: I[]): Promise<Map<I, R | Error>>;
  /** Items a whole-request rejection names (e.g. /users/track's fatal `errors[]`). */
  named?(err: UpstreamError, items: I[]): Map<I, Error>;
  /** Called before a rejected request is split (for logs and counters). */
  onSplit?(err: UpstreamError, items: I[]): void;
  /** What a single item that Braze still rejects gets; by default BAD_USER_INPUT with Braze's message. */
  alone?(err: UpstreamError, item: I): Error;
}

export async function deliverIsolating<I, R>(
  items: I[],
  hooks: DeliveryHooks<I, R>,
  outcomes: Map<I, R | Error>,
): Promise<void> {
  let answered: Map<I, R | Error>;
  try {
    answered = await hooks.send(items);
  } catch (err) {
    if (!(err instanceof UpstreamError && err.kind === 'rejected')) {
      const shared = err instanceof Error ? err : new UpstreamError('network', 'Braze request failed.');
      for (const item of items) outcomes.set(item, shared);
      return;
    }
    const named = hooks.named?.(err, items) ?? new Map<I, Error>();
    if (items.length === 1) {
      const item = items[0]!;
      outcomes.set(item, named.get(item) ?? hooks.alone?.(err, item) ?? rejectedAlone(err));
      return;
    }
    if (named.size > 0) {
      for (const [item, error] of named) outcomes.set(item, error);
      const rest = items.filter((i) => !named.has(i));
      if (rest.length > 0) await deliverIsolating(rest, hooks, outcomes);
      return;
    }
    hooks.onSplit?.(err, items);
    const mid = Math.ceil(items.length / 2);
    await Promise.all([
      deliverIsolating(items.slice(0, mid), hooks, outcomes),
      deliverIsolating(items.slice(mid), hooks, outcomes),
    ]);
    return;
  }
  for (const [item, outcome] of answered) outcomes.set(item, outcome);
}

function rejectedAlone(err: UpstreamError): Error {
  return new BadInputError(
    `Braze rejected this item: ${err.brazeMessage ?? `status ${err.status ?? 'unknown'}`}`,
  );
}
