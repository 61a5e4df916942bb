import { BadInputError, toItemError, type ItemErrorShape } from '../errors.js';

export interface ItemResultShape {
  ok: boolean;
  error: ItemErrorShape | null;
}

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
): Promise<ItemResultShape[]> {
  checkListLength(inputs.length, argName, maxItems);
  return Promise.all(
    inputs.map(async (input, i): Promise<ItemResultShape> => {
      try {
        await each(input, `${argName}[${i}]`);
        return { ok: true, error: null };
      } catch (err) {
        return { ok: false, error: toItemError(err) };
      }
    }),
  );
}

export function checkListLength(n: number, argName: string, maxItems: number): void {
  if (n > maxItems) {
    throw new BadInputError(`${argName} has ${n} items; at most ${maxItems} are accepted in one operation.`);
  }
}
