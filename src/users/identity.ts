import type { WireUserAlias } from '../braze/wire.js';
import { indexedErrors, type DeliveryEngine } from '../delivery/engine.js';
import type { Delivery } from '../delivery/lane.js';
import { BadInputError } from '../errors.js';
import type {
  AliasUpdateInput,
  ExternalIdRenameInput,
  IdentifyInput,
  MergeInput,
  NewAliasInput,
  UserRef,
} from '../generated/graphql.js';
import { toWireAlias, toWireIdentifier } from './identifiers.js';

/**
 * Identity operations (docs/braze-facts.md §3.3–§3.9): GraphQL inputs → wire items, and one delivery (lanes)
 * per endpoint, 50 items to a Braze request.
 */

type DeleteItem =
  { kind: 'external_ids' | 'braze_ids'; id: string } | { kind: 'user_aliases'; alias: WireUserAlias };
type MergeId = { external_id: string } | { user_alias: WireUserAlias };
interface MergeItem {
  identifier_to_merge: MergeId;
  identifier_to_keep: MergeId;
}
interface RenameItem {
  current_external_id: string;
  new_external_id: string;
}

export class IdentityLanes {
  readonly delete: Delivery<DeleteItem, void>;
  readonly aliasNew: Delivery<{ external_id?: string } & WireUserAlias, void>;
  readonly aliasUpdate: Delivery<
    { alias_label: string; old_alias_name: string; new_alias_name: string },
    void
  >;
  readonly identify: Delivery<{ external_id: string; user_alias: WireUserAlias }, void>;
  readonly merge: Delivery<MergeItem, void>;
  readonly rename: Delivery<RenameItem, void>;
  readonly remove: Delivery<string, void>;

  constructor(engine: DeliveryEngine) {
    const ok = (): void => undefined;
    this.delete = engine.items<DeleteItem, void>({
      endpoint: 'users.delete',
      // Braze takes one identifier type per /users/delete request (docs/braze-facts.md §2.1, C-6).
      partition: (item) => item.kind,
      body: (items) => ({
        [items[0]!.kind]: items.map((i) => (i.kind === 'user_aliases' ? i.alias : i.id)),
      }),
      result: ok,
    });
    this.aliasNew = engine.items({
      endpoint: 'users.alias.new',
      body: (items) => ({ user_aliases: items }),
      result: ok,
    });
    this.aliasUpdate = engine.items({
      endpoint: 'users.alias.update',
      body: (items) => ({ alias_updates: items }),
      result: ok,
    });
    this.identify = engine.items({
      endpoint: 'users.identify',
      body: (items) => ({ aliases_to_identify: items }),
      result: ok,
    });
    this.merge = engine.items({
      endpoint: 'users.merge',
      body: (items) => ({ merge_updates: items }),
      result: ok,
    });
    this.rename = engine.items({
      endpoint: 'users.external_ids.rename',
      body: (items) => ({ external_id_renames: items }),
      itemErrors: (answer) => indexedErrors(answer.rename_errors),
      result: ok,
    });
    this.remove = engine.items({
      endpoint: 'users.external_ids.remove',
      body: (items) => ({ external_ids: items }),
      itemErrors: (answer) => indexedErrors(answer.removal_errors),
      result: ok,
    });
  }
}

export function deleteItem(ref: UserRef, path: string): DeleteItem {
  const id = toWireIdentifier(ref, path);
  if (id.external_id !== undefined) return { kind: 'external_ids', id: id.external_id };
  if (id.braze_id !== undefined) return { kind: 'braze_ids', id: id.braze_id };
  return { kind: 'user_aliases', alias: id.user_alias! };
}

export function newAliasItem(input: NewAliasInput, path: string): { external_id?: string } & WireUserAlias {
  const alias = toWireAlias(input.alias, `${path}.alias`);
  if (input.externalId == null) return alias;
  if (input.externalId === '') throw new BadInputError('externalId must not be empty.', path);
  return { external_id: input.externalId, ...alias };
}

export function identifyItem(
  input: IdentifyInput,
  path: string,
): { external_id: string; user_alias: WireUserAlias } {
  if (input.externalId === '') throw new BadInputError('externalId must not be empty.', path);
  return { external_id: input.externalId, user_alias: toWireAlias(input.alias, `${path}.alias`) };
}

export function aliasUpdateItem(
  input: AliasUpdateInput,
  path: string,
): { alias_label: string; old_alias_name: string; new_alias_name: string } {
  const { alias_label, alias_name: old_alias_name } = toWireAlias(
    { label: input.label, name: input.oldName },
    path,
  );
  const { alias_name: new_alias_name } = toWireAlias({ label: input.label, name: input.newName }, path);
  if (old_alias_name === new_alias_name) throw new BadInputError('newName must differ from oldName.', path);
  return { alias_label, old_alias_name, new_alias_name };
}

export function mergeItem(input: MergeInput, path: string): MergeItem {
  const side = (ref: UserRef, where: string): MergeId => {
    const id = toWireIdentifier(ref, where);
    if (id.braze_id !== undefined) {
      throw new BadInputError('Braze merges users named by externalId or alias, not brazeId.', where);
    }
    return id.external_id !== undefined ? { external_id: id.external_id } : { user_alias: id.user_alias! };
  };
  const item = {
    identifier_to_merge: side(input.merge, `${path}.merge`),
    identifier_to_keep: side(input.keep, `${path}.keep`),
  };
  if (JSON.stringify(item.identifier_to_merge) === JSON.stringify(item.identifier_to_keep)) {
    throw new BadInputError('merge and keep name the same user.', path);
  }
  return item;
}

export function renameItem(input: ExternalIdRenameInput, path: string): RenameItem {
  if (input.currentExternalId === '' || input.newExternalId === '') {
    throw new BadInputError('external ids must not be empty.', path);
  }
  if (input.currentExternalId === input.newExternalId) {
    throw new BadInputError('newExternalId must differ from currentExternalId.', path);
  }
  return { current_external_id: input.currentExternalId, new_external_id: input.newExternalId };
}

export function removeItem(externalId: string, path: string): string {
  if (externalId === '') throw new BadInputError('external ids must not be empty.', path);
  return externalId;
}
