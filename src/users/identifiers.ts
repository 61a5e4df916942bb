import type { WireUserAlias, WireUserIdentifier } from '../braze/wire.js';
import { BadInputError } from '../errors.js';
import type { UserAliasInput, UserPrioritization, UserRef } from '../generated/graphql.js';

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

/** The identifiers a UserRef may carry, by their GraphQL names. */
export const REF_KINDS = ['externalId', 'brazeId', 'alias', 'email', 'phone'] as const;
export type RefKind = (typeof REF_KINDS)[number];

/** Braze's wire names for `prioritization` (docs/braze-facts.md §1.3). */
export type WirePrioritization =
  'identified' | 'unidentified' | 'most_recently_updated' | 'least_recently_updated';

/** A UserRef read and checked: exactly one identifier, in the gateway's own terms. */
export type UserId =
  | { kind: 'externalId'; value: string }
  | { kind: 'brazeId'; value: string }
  | { kind: 'alias'; alias: WireUserAlias }
  | { kind: 'email' | 'phone'; value: string; prioritization?: WirePrioritization[] };

/** What one operation accepts of a UserRef (Braze's endpoints differ: docs/braze-facts.md §1.3). */
export interface RefRules {
  /** The identifiers this operation can send; the others are refused before anything is sent. */
  kinds: readonly RefKind[];
  /** What the refusal names, e.g. "mergeUsers (Braze's /users/merge)". */
  operation: string;
  /** Whether `prioritization` is read (and required with email or phone). */
  prioritization?: 'required' | 'required-no-least-recent';
}

/** Track objects and reads: every identifier, no prioritization. */
export const ANY_REF: RefRules = { kinds: REF_KINDS, operation: 'this operation' };

/** Loose enough for any address Braze would store; Braze validates the rest. */
const EMAIL = /^[^@\s]+@[^@\s]+$/;

/** Whether `value` reads as an email address (the gateway's one rule, checked before sending). */
export const isEmailAddress = (value: string): boolean => EMAIL.test(value);

/** Reads one UserRef under an operation's rules; `path` names it in errors. */
export function readUserRef(ref: UserRef, path: string, rules: RefRules = ANY_REF): UserId {
  // A loop rather than a filter: this runs for every item of every list, and is nearly always one.
  let kind: RefKind | undefined;
  let count = 0;
  for (const k of REF_KINDS) {
    if (ref[k] === undefined || ref[k] === null) continue;
    kind ??= k;
    count += 1;
  }
  if (kind === undefined || count !== 1) {
    const set = REF_KINDS.filter((k) => ref[k] !== undefined && ref[k] !== null);
    throw new BadInputError(
      `set exactly one of ${orList(rules.kinds)} (got ${set.length === 0 ? 'none' : set.join(' and ')}).`,
      path,
    );
  }
  if (!rules.kinds.includes(kind)) {
    throw new BadInputError(
      `${rules.operation} cannot name a user by ${kind}; use ${orList(rules.kinds)}.`,
      path,
    );
  }
  const contact = kind === 'email' || kind === 'phone';
  if (ref.prioritization != null && (!contact || rules.prioritization === undefined)) {
    throw new BadInputError(
      'prioritization applies only to email or phone refs in deleteUsers and mergeUsers.',
      `${path}.prioritization`,
    );
  }
  if (kind === 'alias') return { kind, alias: toWireAlias(ref.alias!, `${path}.alias`) };
  const value = ref[kind]!;
  if (value.trim() === '') throw new BadInputError(`${kind} must not be empty.`, path);
  if (!contact) return { kind, value };
  if (kind === 'email' && !isEmailAddress(value)) {
    throw new BadInputError(`email ${JSON.stringify(value)} is not an email address.`, `${path}.email`);
  }
  if (rules.prioritization === undefined) return { kind, value };
  return { kind, value, prioritization: readPrioritization(ref.prioritization, path, rules) };
}

/** `a, b or c`. */
function orList(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)!}`;
}

function readPrioritization(
  list: readonly UserPrioritization[] | null | undefined,
  path: string,
  rules: RefRules,
): WirePrioritization[] {
  if (list == null || list.length === 0) {
    throw new BadInputError(
      'an email or phone ref needs prioritization here (e.g. [IDENTIFIED, MOST_RECENTLY_UPDATED]): several profiles may share it.',
      `${path}.prioritization`,
    );
  }
  if (list.includes('IDENTIFIED') && list.includes('UNIDENTIFIED')) {
    throw new BadInputError('IDENTIFIED and UNIDENTIFIED exclude each other.', `${path}.prioritization`);
  }
  if (rules.prioritization === 'required-no-least-recent' && list.includes('LEAST_RECENTLY_UPDATED')) {
    throw new BadInputError(`${rules.operation} takes no LEAST_RECENTLY_UPDATED.`, `${path}.prioritization`);
  }
  return [...new Set(list)].map((p) => p.toLowerCase() as WirePrioritization);
}

/** An identifier as the /users/track object fields (and most bodies) spell it. */
export function wireFieldsOf(id: UserId): WireUserIdentifier {
  switch (id.kind) {
    case 'externalId':
      return { external_id: id.value };
    case 'brazeId':
      return { braze_id: id.value };
    case 'alias':
      return { user_alias: id.alias };
    case 'email':
      return { email: id.value };
    case 'phone':
      return { phone: id.value };
  }
}

/** How a UserRef names its user, for messages, without judging it (undefined unless it names one). */
export function refLabel(ref: UserRef): string | undefined {
  const set = REF_KINDS.filter((k) => ref[k] != null);
  if (set.length !== 1) return undefined;
  const kind = set[0]!;
  if (kind === 'alias') return `alias ${ref.alias!.label}:${ref.alias!.name}`;
  return `${kind} ${ref[kind]}`;
}
