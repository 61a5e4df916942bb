import type { Sink } from '../delivery/lane.js';
import { BadInputError, toItemError, type ItemErrorShape } from '../errors.js';

export interface ItemResultShape {
  ok: boolean;
  error: ItemErrorShape | null;
}

/** Every accepted item answers the same. */
const OK: ItemResultShape = Object.freeze({ ok: true, error: null });

/**
 * Run `each` for every input item at once and answer one ItemResult per item, in order. A
 * throw (validation or Braze) fails that item only. The list as a whole is refused, with
 * BAD_USER_INPUT, only when it is longer than `maxItems`.
 */
export async function itemResults<I>(
  inputs: readonly I[],
  argName: string,
  maxItems: number,
  each: (input: I, path: string) => Promise<unknown>,
  label?: (input: I) => string | undefined,
): Promise<ItemResultShape[]> {
  checkListLength(inputs.length, argName, maxItems);
  const failure = (err: unknown, at: string, input: I): ItemResultShape => failed(err, at, label, input);
  // One promise for the list rather than one async function per item (lists run to hundreds of
  // items): every `each` starts now, in order; each result lands in its slot as it settles.
  const results = new Array<ItemResultShape>(inputs.length);
  let waiting = 0;
  let allSettled: (() => void) | undefined;
  const settle = (i: number, result: ItemResultShape): void => {
    results[i] = result;
    waiting -= 1;
    if (waiting === 0) allSettled?.();
  };
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    const at = `${argName}[${i}]`;
    let outcome: Promise<unknown>;
    try {
      outcome = each(input, at);
    } catch (err) {
      results[i] = failure(err, at, input); // refused before it was queued
      continue;
    }
    waiting += 1;
    outcome.then(
      () => settle(i, OK),
      (err: unknown) => settle(i, failure(err, at, input)),
    );
  }
  if (waiting > 0) await new Promise<void>((resolve) => (allSettled = resolve));
  return results;
}

/**
 * A write whose items queue on a lane: how an input becomes its wire item (validation throws),
 * and the lane (a `Delivery`) that takes a list's items at once.
 */
export interface LaneWrite<I, W> {
  item: (input: I, path: string) => W;
  lane: {
    submitEach(
      items: ReadonlyArray<W | undefined>,
      deadlineMs: number,
      sink: Sink<unknown>,
      caller: string,
    ): void;
  };
}

/**
 * `itemResults` for a lane-backed write: every input validated into its wire item first (a throw
 * fails that item only), then the valid ones queued together, with one sink for the list rather
 * than a promise per item (lists run to hundreds of items, and this is the hot path).
 */
export function laneItemResults<I, W>(
  inputs: readonly I[],
  argName: string,
  maxItems: number,
  write: LaneWrite<I, W>,
  deadlineMs: number,
  caller: string,
  label?: (input: I) => string | undefined,
): Promise<ItemResultShape[]> {
  checkListLength(inputs.length, argName, maxItems);
  const n = inputs.length;
  const results = new Array<ItemResultShape>(n);
  const items = new Array<W | undefined>(n);
  let waiting = 0;
  for (let i = 0; i < n; i++) {
    try {
      items[i] = write.item(inputs[i]!, `${argName}[${i}]`);
      waiting += 1;
    } catch (err) {
      results[i] = failed(err, `${argName}[${i}]`, label, inputs[i]!); // refused before it was queued
    }
  }
  if (waiting === 0) return Promise.resolve(results);
  return new Promise((resolve) => {
    write.lane.submitEach(
      items,
      deadlineMs,
      (i, outcome) => {
        results[i] = outcome instanceof Error ? failed(outcome, `${argName}[${i}]`, label, inputs[i]!) : OK;
        waiting -= 1;
        if (waiting === 0) resolve(results);
      },
      caller,
    );
  });
}

function failed<I>(
  err: unknown,
  at: string,
  label: ((input: I) => string | undefined) | undefined,
  input: I,
): ItemResultShape {
  const error = toItemError(err);
  return { ok: false, error: { ...error, message: locate(error.message, at, labelOf(label, input)) } };
}

/**
 * A failed item's message starts with where it was and whom it named, `events[3] (externalId
 * u-1): …`, so a caller matches failures without counting (a validation message that already
 * starts with the item's path keeps the rest of it: `events[3] (externalId u-1).time: …`).
 */
function locate(message: string, at: string, label: string | undefined): string {
  const rest = message.startsWith(at) ? message.slice(at.length) : `: ${message}`;
  return `${at}${label === undefined ? '' : ` (${label})`}${rest}`;
}

function labelOf<I>(label: ((input: I) => string | undefined) | undefined, input: I): string | undefined {
  try {
    return label?.(input);
  } catch {
    return undefined; // an input too malformed to name: its path says where it is
  }
}

export function checkListLength(n: number, argName: string, maxItems: number): void {
  if (n > maxItems) {
    throw new BadInputError(`${argName} has ${n} items; at most ${maxItems} are accepted in one operation.`);
  }
}
