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
import {
  aliasUpdateItem,
  deleteItem,
  identifyItem,
  mergeItem,
  newAliasItem,
  removeItem,
  renameItem,
  type IdentityLanes,
} from './identity.js';
import { checkListLength, itemResults, type ItemResultShape } from './itemResults.js';
import { attributesObject, eventObject, purchaseObject } from './track.js';
import { trackItem, type TrackItem } from './trackLane.js';

/**
 * The users domain, per GraphQL request: what resolvers call. Writes go to the process-wide
 * lanes; reads go through this request's export loader, in front of the export lane.
 */
export class UsersService {
  constructor(
    private readonly lanes: { track: Delivery<TrackItem, void>; identity: IdentityLanes },
    private readonly exportLoader: DataLoader<ExportKey, BrazeUserModel | null, string>,
    private readonly deadlineMs: number,
    private readonly maxItems: number,
  ) {}

  trackEvents(events: readonly TrackEventInput[]): Promise<ItemResultShape[]> {
    return itemResults(events, 'events', this.maxItems, (e, path) =>
      this.lanes.track.submit(trackItem(eventObject(e, path)), this.deadlineMs),
    );
  }

  trackPurchases(purchases: readonly TrackPurchaseInput[]): Promise<ItemResultShape[]> {
    return itemResults(purchases, 'purchases', this.maxItems, (p, path) =>
      this.lanes.track.submit(trackItem(purchaseObject(p, path)), this.deadlineMs),
    );
  }

  setUserAttributes(updates: readonly UserAttributesInput[]): Promise<ItemResultShape[]> {
    return itemResults(updates, 'updates', this.maxItems, (u, path) =>
      this.lanes.track.submit(trackItem(attributesObject(u, path)), this.deadlineMs),
    );
  }

  deleteUsers(users: readonly UserRef[]): Promise<ItemResultShape[]> {
    return itemResults(users, 'users', this.maxItems, (u, path) =>
      this.lanes.identity.delete.submit(deleteItem(u, path), this.deadlineMs),
    );
  }

  createUserAliases(aliases: readonly NewAliasInput[]): Promise<ItemResultShape[]> {
    return itemResults(aliases, 'aliases', this.maxItems, (a, path) =>
      this.lanes.identity.aliasNew.submit(newAliasItem(a, path), this.deadlineMs),
    );
  }

  identifyUsers(identifications: readonly IdentifyInput[]): Promise<ItemResultShape[]> {
    return itemResults(identifications, 'identifications', this.maxItems, (i, path) =>
      this.lanes.identity.identify.submit(identifyItem(i, path), this.deadlineMs),
    );
  }

  updateUserAliases(updates: readonly AliasUpdateInput[]): Promise<ItemResultShape[]> {
    return itemResults(updates, 'updates', this.maxItems, (u, path) =>
      this.lanes.identity.aliasUpdate.submit(aliasUpdateItem(u, path), this.deadlineMs),
    );
  }

  mergeUsers(merges: readonly MergeInput[]): Promise<ItemResultShape[]> {
    return itemResults(merges, 'merges', this.maxItems, (m, path) =>
      this.lanes.identity.merge.submit(mergeItem(m, path), this.deadlineMs),
    );
  }

  renameExternalIds(renames: readonly ExternalIdRenameInput[]): Promise<ItemResultShape[]> {
    return itemResults(renames, 'renames', this.maxItems, (r, path) =>
      this.lanes.identity.rename.submit(renameItem(r, path), this.deadlineMs),
    );
  }

  removeExternalIds(externalIds: readonly string[]): Promise<ItemResultShape[]> {
    return itemResults(externalIds, 'externalIds', this.maxItems, (id, path) =>
      this.lanes.identity.remove.submit(removeItem(id, path), this.deadlineMs),
    );
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
