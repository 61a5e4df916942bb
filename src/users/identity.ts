import type { EndpointName } from '../braze/endpoints.js';
import type { WireUserAlias } from '../braze/wire.js';
import { indexedErrors, type DeliveryEngine } from '../delivery/engine.js';
import { BadInputError } from '../errors.js';
import type {
  AliasUpdateInput,
  ExternalIdRenameInput,
  IdentifyInput,
  MergeInput,
  NewAliasInput,
  UserRef,
} from '../generated/graphql.js';
import { REF_KINDS, readUserRef, toWireAlias, wireFieldsOf, type RefRules } from './identifiers.js';

/**
 * Identity operations (docs/braze-facts.md §3.3–§3.9): GraphQL inputs → wire items, and one delivery (lanes)
 * per endpoint, as many items to a Braze request as the endpoint table allows.
 */

/** One user to delete: the body list it goes in, and its entry there. */
interface DeleteItem {
  kind: 'external_ids' | 'braze_ids' | 'user_aliases' | 'email_addresses' | 'phone_numbers';
  entry: unknown;
}
type MergeId = Record<string, unknown>;

const DELETE_REF: RefRules = {
  kinds: REF_KINDS,
  operation: "deleteUsers (Braze's /users/delete)",
  prioritization: 'required-no-least-recent',
};
const MERGE_REF: RefRules = {
  kinds: ['externalId', 'alias', 'email', 'phone'],
  operation: "mergeUsers (Braze's /users/merge)",
  prioritization: 'required',
};
interface MergeItem {
  identifier_to_merge: MergeId;
  identifier_to_keep: MergeId;
}
interface RenameItem {
  current_external_id: string;
  new_external_id: string;
}

/** Queue one input (validated into its wire item) on a lane; resolves once Braze took it. */
export type ItemWriter<I> = (input: I, path: string, deadlineMs: number, caller: string) => Promise<void>;

/** One identity endpoint: how an input becomes a wire item, and how items make a request. */
interface IdentityOperation<I, W> {
  endpoint: EndpointName;
  item: (input: I, path: string) => W;
  /** The body's one list field; or `body` when the request needs more than a list. */
  list?: string;
  body?: (items: readonly W[]) => unknown;
  partition?: (item: W) => string;
  /** The answer's `[index, message]` error list, for endpoints that report per item. */
  errors?: string;
}

function writer<I, W>(engine: DeliveryEngine, op: IdentityOperation<I, W>): ItemWriter<I> {
  const { errors, list } = op;
  const lane = engine.items<W, void>({
    endpoint: op.endpoint,
    partition: op.partition,
    body: op.body ?? ((items) => ({ [list!]: items })),
    itemErrors: errors === undefined ? undefined : (answer) => indexedErrors(answer[errors]),
    result: () => undefined,
  });
  return (input, path, deadlineMs, caller) => lane.submit(op.item(input, path), deadlineMs, caller);
}

/** The identity writers of one gateway, one delivery each (lanes created once, on the engine). */
export function identityWriters(engine: DeliveryEngine) {
  return {
    delete: writer(engine, {
      endpoint: 'users.delete',
      item: deleteItem,
      // Braze takes one identifier type per /users/delete request (docs/braze-facts.md §2.1, C-6).
      partition: (item) => item.kind,
      body: (items) => ({ [items[0]!.kind]: items.map((i) => i.entry) }),
    }),
    aliasNew: writer(engine, { endpoint: 'users.alias.new', item: newAliasItem, list: 'user_aliases' }),
    aliasUpdate: writer(engine, {
      endpoint: 'users.alias.update',
      item: aliasUpdateItem,
      list: 'alias_updates',
    }),
    identify: writer(engine, {
      endpoint: 'users.identify',
      item: identifyItem,
      // Aliases, emails and phones travel in their own lists of one request (docs/braze-facts.md §3.6).
      body: (items) => {
        const body: Record<string, unknown[]> = {};
        for (const { list, entry } of items) (body[list] ??= []).push(entry);
        return body;
      },
    }),
    merge: writer(engine, { endpoint: 'users.merge', item: mergeItem, list: 'merge_updates' }),
    rename: writer(engine, {
      endpoint: 'users.external_ids.rename',
      item: renameItem,
      list: 'external_id_renames',
      errors: 'rename_errors',
    }),
    remove: writer(engine, {
      endpoint: 'users.external_ids.remove',
      item: removeItem,
      list: 'external_ids',
      errors: 'removal_errors',
    }),
  };
}

export type IdentityWriters = ReturnType<typeof identityWriters>;

export function deleteItem(ref: UserRef, path: string): DeleteItem {
  const id = readUserRef(ref, path, DELETE_REF);
  switch (id.kind) {
    case 'externalId':
      return { kind: 'external_ids', entry: id.value };
    case 'brazeId':
      return { kind: 'braze_ids', entry: id.value };
    case 'alias':
      return { kind: 'user_aliases', entry: id.alias };
    case 'email':
      return { kind: 'email_addresses', entry: { email: id.value, prioritization: id.prioritization } };
    case 'phone':
      return { kind: 'phone_numbers', entry: { phone: id.value, prioritization: id.prioritization } };
  }
}

export function newAliasItem(input: NewAliasInput, path: string): { external_id?: string } & WireUserAlias {
  const alias = toWireAlias(input.alias, `${path}.alias`);
  if (input.externalId == null) return alias;
  if (input.externalId === '') throw new BadInputError('externalId must not be empty.', path);
  return { external_id: input.externalId, ...alias };
}

/** One identification: the body list it goes in, and its entry there. */
interface IdentifyItem {
  list: 'aliases_to_identify' | 'emails_to_identify' | 'phone_numbers_to_identify';
  entry: Record<string, unknown>;
}

const IDENTIFY_REF: RefRules = {
  kinds: ['alias', 'email', 'phone'],
  operation: "identifyUsers (Braze's /users/identify)",
  prioritization: 'required',
};

export function identifyItem(input: IdentifyInput, path: string): IdentifyItem {
  if (input.externalId === '') throw new BadInputError('externalId must not be empty.', path);
  const external_id = input.externalId;
  const id = readUserRef(
    { alias: input.alias, email: input.email, phone: input.phone, prioritization: input.prioritization },
    path,
    IDENTIFY_REF,
  );
  if (id.kind === 'alias')
    return { list: 'aliases_to_identify', entry: { external_id, user_alias: id.alias } };
  if (id.kind === 'email') {
    return {
      list: 'emails_to_identify',
      entry: { external_id, email: id.value, prioritization: id.prioritization },
    };
  }
  if (id.kind === 'phone') {
    return {
      list: 'phone_numbers_to_identify',
      entry: { external_id, phone: id.value, prioritization: id.prioritization },
    };
  }
  throw new BadInputError('set exactly one of alias, email or phone.', path); // unreachable: IDENTIFY_REF
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
    const id = readUserRef(ref, where, MERGE_REF);
    const fields: MergeId = { ...wireFieldsOf(id) };
    if (id.kind === 'email' || id.kind === 'phone') fields.prioritization = id.prioritization;
    return fields;
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
