import type DataLoader from 'dataloader';
import type { TrackBatcher } from '../batching/trackBatcher.js';
import type { TrackObject } from '../batching/trackPacker.js';
import { BadInputError, toItemError, type ItemErrorShape } from '../errors.js';
import type {
  TrackEventInput,
  TrackPurchaseInput,
  UserAttributesInput,
  UserRef,
} from '../generated/graphql.js';
import type { BrazeUserModel, UserKey } from './exportLoader.js';
import { toWireIdentifier } from './identifiers.js';
import { attributesObject, eventObject, purchaseObject } from './track.js';

export interface ItemResultShape {
  ok: boolean;
  error: ItemErrorShape | null;
}

/**
 * The users domain, per GraphQL request: what resolvers call. Writes go to the process-wide
 * batcher; reads go through this request's export loader.
 */
export class UsersService {
  constructor(
    private readonly batcher: TrackBatcher,
    private readonly exportLoader: DataLoader<UserKey, BrazeUserModel | null, string>,
    private readonly deadlineMs: number,
    private readonly maxItemsPerMutation: number,
  ) {}

  trackEvents(events: readonly TrackEventInput[]): Promise<ItemResultShape[]> {
    return this.#track(events, 'events', eventObject);
  }

  trackPurchases(purchases: readonly TrackPurchaseInput[]): Promise<ItemResultShape[]> {
    return this.#track(purchases, 'purchases', purchaseObject);
  }

  setUserAttributes(updates: readonly UserAttributesInput[]): Promise<ItemResultShape[]> {
    return this.#track(updates, 'updates', attributesObject);
  }

  async user(ref: UserRef): Promise<BrazeUserModel | null> {
    const id = toWireIdentifier(ref, 'ref');
    if (id.external_id !== undefined)
      return this.exportLoader.load({ kind: 'external_id', id: id.external_id });
    if (id.braze_id !== undefined) return this.exportLoader.load({ kind: 'braze_id', id: id.braze_id });
    return this.exportLoader.load({ kind: 'alias', alias: id.user_alias! });
  }

  async users(externalIds: readonly string[]): Promise<Array<BrazeUserModel | null>> {
    this.#checkListLength(externalIds.length, 'externalIds');
    const results = await this.exportLoader.loadMany(
      externalIds.map((id) => ({ kind: 'external_id', id }) as const),
    );
    const failure = results.find((r): r is Error => r instanceof Error);
    if (failure !== undefined) throw failure;
    return results as Array<BrazeUserModel | null>;
  }

  /** Validate each item, queue the valid ones, and answer one ItemResult per item, in order. */
  async #track<I>(
    items: readonly I[],
    argName: string,
    toObject: (input: I, path: string) => TrackObject,
  ): Promise<ItemResultShape[]> {
    this.#checkListLength(items.length, argName);
    return Promise.all(
      items.map(async (input, i): Promise<ItemResultShape> => {
        try {
          await this.batcher.track(toObject(input, `${argName}[${i}]`), this.deadlineMs);
          return { ok: true, error: null };
        } catch (err) {
          return { ok: false, error: toItemError(err) };
        }
      }),
    );
  }

  #checkListLength(n: number, argName: string): void {
    if (n > this.maxItemsPerMutation) {
      throw new BadInputError(
        `${argName} has ${n} items; at most ${this.maxItemsPerMutation} are accepted in one operation.`,
      );
    }
  }
}
