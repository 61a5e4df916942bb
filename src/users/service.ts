import type DataLoader from 'dataloader';
import type { Delivery } from '../delivery/lane.js';
import type {
  AliasUpdateInput,
  ExternalIdRenameInput,
  IdentifyInput,
  MergeInput,
  NewAliasInput,
  TrackEventInput,
  TrackPurchaseInput,
  UserAttributesInput,
  UserRef,
} from '../generated/graphql.js';
import type { ExportKey } from './exportLoader.js';
import type { BrazeUserModel } from './exportShape.js';
import { toWireIdentifier } from './identifiers.js';
import type { IdentityWriters, ItemWriter } from './identity.js';
import { checkListLength, itemResults, type ItemResultShape } from './itemResults.js';
import { attributesObject, eventObject, purchaseObject } from './track.js';
import { trackItem, type TrackItem, type TrackObject } from './trackLane.js';

/** The process-wide writers a request's service queues on. */
export interface UsersWriters {
  track: Delivery<TrackItem, void>;
  identity: IdentityWriters;
}

/**
 * The users domain, per GraphQL request: what resolvers call. Every write is one list of inputs
 * → per-item validation → a process-wide lane → one ItemResult per input, in order. Reads go
 * through this request's export loader, in front of the export lane.
 */
export class UsersService {
  constructor(
    private readonly writers: UsersWriters,
    private readonly exportLoader: DataLoader<ExportKey, BrazeUserModel | null, string>,
    private readonly deadlineMs: number,
    private readonly maxItems: number,
  ) {}

  trackEvents(events: readonly TrackEventInput[]): Promise<ItemResultShape[]> {
    return this.#write(events, 'events', this.#track(eventObject));
  }

  trackPurchases(purchases: readonly TrackPurchaseInput[]): Promise<ItemResultShape[]> {
    return this.#write(purchases, 'purchases', this.#track(purchaseObject));
  }

  setUserAttributes(updates: readonly UserAttributesInput[]): Promise<ItemResultShape[]> {
    return this.#write(updates, 'updates', this.#track(attributesObject));
  }

  deleteUsers(users: readonly UserRef[]): Promise<ItemResultShape[]> {
    return this.#write(users, 'users', this.writers.identity.delete);
  }

  createUserAliases(aliases: readonly NewAliasInput[]): Promise<ItemResultShape[]> {
    return this.#write(aliases, 'aliases', this.writers.identity.aliasNew);
  }

  identifyUsers(identifications: readonly IdentifyInput[]): Promise<ItemResultShape[]> {
    return this.#write(identifications, 'identifications', this.writers.identity.identify);
  }

  updateUserAliases(updates: readonly AliasUpdateInput[]): Promise<ItemResultShape[]> {
    return this.#write(updates, 'updates', this.writers.identity.aliasUpdate);
  }

  mergeUsers(merges: readonly MergeInput[]): Promise<ItemResultShape[]> {
    return this.#write(merges, 'merges', this.writers.identity.merge);
  }

  renameExternalIds(renames: readonly ExternalIdRenameInput[]): Promise<ItemResultShape[]> {
    return this.#write(renames, 'renames', this.writers.identity.rename);
  }

  removeExternalIds(externalIds: readonly string[]): Promise<ItemResultShape[]> {
    return this.#write(externalIds, 'externalIds', this.writers.identity.remove);
  }

  #write<I>(inputs: readonly I[], argName: string, write: ItemWriter<I>): Promise<ItemResultShape[]> {
    return itemResults(inputs, argName, this.maxItems, (input, path) => write(input, path, this.deadlineMs));
  }

  /** A writer for one /users/track array, from the input's wire-object builder. */
  #track<I>(toObject: (input: I, path: string) => TrackObject): ItemWriter<I> {
    return (input, path, deadlineMs) =>
      this.writers.track.submit(trackItem(toObject(input, path)), deadlineMs);
  }

  /** One user; `fields` are the Braze export fields the selection needs. */
  async user(ref: UserRef, fields: readonly string[]): Promise<BrazeUserModel | null> {
    const id = toWireIdentifier(ref, 'ref');
    if (id.external_id !== undefined)
      return this.exportLoader.load({ kind: 'external_id', id: id.external_id, fields });
    if (id.braze_id !== undefined)
      return this.exportLoader.load({ kind: 'braze_id', id: id.braze_id, fields });
    return this.exportLoader.load({ kind: 'alias', alias: id.user_alias!, fields });
  }

  async users(
    externalIds: readonly string[],
    fields: readonly string[],
  ): Promise<Array<BrazeUserModel | null>> {
    checkListLength(externalIds.length, 'externalIds', this.maxItems);
    const results = await this.exportLoader.loadMany(
      externalIds.map((id) => ({ kind: 'external_id', id, fields }) as const),
    );
    const failure = results.find((r): r is Error => r instanceof Error);
    if (failure !== undefined) throw failure;
    return results as Array<BrazeUserModel | null>;
  }
}
