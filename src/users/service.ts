import { ANONYMOUS_CALLER } from '../budget/shares.js';
import type DataLoader from 'dataloader';
import { BadInputError } from '../errors.js';
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
import type { ExportKey, ExportMatches } from './exportLoader.js';
import type { BrazeUserModel } from './exportShape.js';
import { readUserRef, refLabel, type UserId } from './identifiers.js';
import type { IdentityWriters, ItemWriter } from './identity.js';
import { checkListLength, laneItemResults, type ItemResultShape } from './itemResults.js';
import { attributesObject, eventObject, purchaseObject } from './track.js';
import type { TrackItem } from './trackLane.js';

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
    private readonly exportLoader: DataLoader<ExportKey, ExportMatches, string>,
    private readonly deadlineMs: number,
    private readonly maxItems: number,
    /** Whose items these are (fair shares): a gateway key's name, or `anonymous`. */
    private readonly caller: string = ANONYMOUS_CALLER,
  ) {}

  trackEvents(events: readonly TrackEventInput[]): Promise<ItemResultShape[]> {
    return this.#write(events, 'events', this.#track(eventObject), (e) => refLabel(e.user));
  }

  trackPurchases(purchases: readonly TrackPurchaseInput[]): Promise<ItemResultShape[]> {
    return this.#write(purchases, 'purchases', this.#track(purchaseObject), (p) => refLabel(p.user));
  }

  setUserAttributes(updates: readonly UserAttributesInput[]): Promise<ItemResultShape[]> {
    return this.#write(updates, 'updates', this.#track(attributesObject), (u) => refLabel(u.user));
  }

  deleteUsers(users: readonly UserRef[]): Promise<ItemResultShape[]> {
    return this.#write(users, 'users', this.writers.identity.delete, refLabel);
  }

  createUserAliases(aliases: readonly NewAliasInput[]): Promise<ItemResultShape[]> {
    return this.#write(aliases, 'aliases', this.writers.identity.aliasNew, (a) =>
      refLabel({ alias: a.alias }),
    );
  }

  identifyUsers(identifications: readonly IdentifyInput[]): Promise<ItemResultShape[]> {
    return this.#write(
      identifications,
      'identifications',
      this.writers.identity.identify,
      (i) => `externalId ${i.externalId}`, // the anonymous side may be an alias, email or phone
    );
  }

  updateUserAliases(updates: readonly AliasUpdateInput[]): Promise<ItemResultShape[]> {
    return this.#write(updates, 'updates', this.writers.identity.aliasUpdate, (u) =>
      refLabel({ alias: { label: u.label, name: u.oldName } }),
    );
  }

  mergeUsers(merges: readonly MergeInput[]): Promise<ItemResultShape[]> {
    return this.#write(
      merges,
      'merges',
      this.writers.identity.merge,
      (m) => `${refLabel(m.merge)} into ${refLabel(m.keep)}`,
    );
  }

  renameExternalIds(renames: readonly ExternalIdRenameInput[]): Promise<ItemResultShape[]> {
    return this.#write(
      renames,
      'renames',
      this.writers.identity.rename,
      (r) => `externalId ${r.currentExternalId}`,
    );
  }

  removeExternalIds(externalIds: readonly string[]): Promise<ItemResultShape[]> {
    return this.#write(externalIds, 'externalIds', this.writers.identity.remove, (id) => `externalId ${id}`);
  }

  #write<I>(
    inputs: readonly I[],
    argName: string,
    write: ItemWriter<I>,
    label: (input: I) => string | undefined,
  ): Promise<ItemResultShape[]> {
    return laneItemResults(inputs, argName, this.maxItems, write, this.deadlineMs, this.caller, label);
  }

  /** A writer for one /users/track array, from the input's wire-object builder (it serializes too). */
  #track<I>(toItem: (input: I, path: string) => TrackItem): ItemWriter<I> {
    return { item: toItem, lane: this.writers.track };
  }

  /** One user (the first profile Braze lists for an email or phone); `fields` are the export fields the selection needs. */
  async user(ref: UserRef, fields: readonly string[]): Promise<BrazeUserModel | null> {
    const matches = await this.exportLoader.load(exportKeyOf(readUserRef(ref, 'ref'), fields));
    return matches[0] ?? null;
  }

  /** Every profile Braze returns for one identifier. */
  async usersMatching(ref: UserRef, fields: readonly string[]): Promise<BrazeUserModel[]> {
    return [...(await this.exportLoader.load(exportKeyOf(readUserRef(ref, 'ref'), fields)))];
  }

  /**
   * Users by external ids or refs, one entry per input in order: the user, null when unknown, or
   * that entry's own Error (a bad ref, or the failure of the Braze request it travelled in), so
   * one failing request of 50 never fails the others' entries.
   */
  async users(
    by: { externalIds?: readonly string[] | null; refs?: readonly UserRef[] | null },
    fields: readonly string[],
  ): Promise<Array<BrazeUserModel | null | Error>> {
    const externalIds = by.externalIds ?? [];
    if (externalIds.length > 0 && by.refs != null) {
      throw new BadInputError('give exactly one of externalIds or refs.');
    }
    const argName = by.refs != null ? 'refs' : 'externalIds';
    const refs: readonly UserRef[] = by.refs ?? externalIds.map((externalId) => ({ externalId }));
    checkListLength(refs.length, argName, this.maxItems);
    const keys = refs.map((ref, i): ExportKey | Error => {
      try {
        return exportKeyOf(readUserRef(ref, `${argName}[${i}]`), fields);
      } catch (err) {
        return err as Error;
      }
    });
    const valid = keys.filter((k): k is ExportKey => !(k instanceof Error));
    const loaded = await this.exportLoader.loadMany(valid);
    let next = 0;
    return keys.map((k) => {
      if (k instanceof Error) return k;
      const r = loaded[next++]!;
      return r instanceof Error ? r : (r[0] ?? null);
    });
  }
}

function exportKeyOf(id: UserId, fields: readonly string[]): ExportKey {
  switch (id.kind) {
    case 'alias':
      return { kind: 'alias', alias: id.alias, fields };
    case 'externalId':
      return { kind: 'external_id', id: id.value, fields };
    case 'brazeId':
      return { kind: 'braze_id', id: id.value, fields };
    default:
      return { kind: id.kind, id: id.value, fields };
  }
}
