import type { WireUserAlias, WireUserIdentifier } from '../braze/wire.js';
import { BadInputError } from '../errors.js';
import type { UserAliasInput, UserRef } from '../generated/graphql.js';

/** Braze's cap on alias names and labels (docs/braze-facts.md §1.3). */
const MAX_ALIAS_BYTES = 236;

export function toWireAlias(alias: UserAliasInput, path: string): WireUserAlias {
  for (const [field, value] of [
    ['name', alias.name],
    ['label', alias.label],
  ] as const) {
    if (value.length === 0) throw new BadInputError(`alias ${field} must not be empty.`, path);
    if (Buffer.byteLength(value) > MAX_ALIAS_BYTES) {
      throw new BadInputError(`alias ${field} is longer than ${MAX_ALIAS_BYTES} bytes.`, path);
    }
  }
  return { alias_name: alias.name, alias_label: alias.label };
}

/** A UserRef names exactly one of externalId, brazeId, alias. */
export function toWireIdentifier(ref: UserRef, path: string): WireUserIdentifier {
  const set = (['externalId', 'brazeId', 'alias'] as const).filter(
    (k) => ref[k] !== undefined && ref[k] !== null,
  );
  if (set.length !== 1) {
    throw new BadInputError(
      `set exactly one of externalId, brazeId or alias (got ${set.length === 0 ? 'none' : set.join(' and ')}).`,
      path,
    );
  }
  if (ref.externalId !== undefined && ref.externalId !== null) {
    if (ref.externalId === '') throw new BadInputError('externalId must not be empty.', path);
    return { external_id: ref.externalId };
  }
  if (ref.brazeId !== undefined && ref.brazeId !== null) {
    if (ref.brazeId === '') throw new BadInputError('brazeId must not be empty.', path);
    return { braze_id: ref.brazeId };
  }
  return { user_alias: toWireAlias(ref.alias!, `${path}.alias`) };
}
