import { ANONYMOUS_CALLER } from '../budget/shares.js';
import { createHash } from 'node:crypto';
import DataLoader from 'dataloader';
import { maxItemsOf } from '../braze/endpoints.js';
import type {
  WireExportIdsBody,
  WireExportIdsResponse,
  WireExportedUser,
  WireUserAlias,
} from '../braze/wire.js';
import type { SharedCache } from '../catalog/cache.js';
import type { DeliveryEngine } from '../delivery/engine.js';
import type { Delivery } from '../delivery/lane.js';
import { toBrazeUser, type BrazeUserModel } from './exportShape.js';

export type UserKey =
  | { kind: 'external_id' | 'braze_id' | 'email' | 'phone'; id: string }
  | { kind: 'alias'; alias: WireUserAlias };

/** A user to export, with the export fields the asking selection needs. */
export type ExportKey = UserKey & { fields: readonly string[] };

/** Every profile Braze returned for one key: none, one, or (email, phone) several. */
export type ExportMatches = readonly BrazeUserModel[];
/** The same, as Braze sent them (plain JSON: what the lane answers and the cache keeps). */
export type WireMatches = readonly WireExportedUser[];

/** Fields that take a request out of Braze's faster export tier (docs/braze-facts.md §2 row 2). */
const SLOW_FIELDS = new Set(['campaigns_received', 'canvases_received']);

/** Same user, same fields → one load; the fields are part of the key so no answer lacks any. */
function cacheKeyOf(key: ExportKey): string {
  return `${keyOf(key)}|${fieldsOf(key.fields).list}`;
}

/** What the lane and the loader read of a selection's export fields. */
interface FieldsFacts {
  /** Sorted, comma-separated. */
  list: string;
  /** Any of them takes the request out of the faster export tier. */
  slow: boolean;
}

/**
 * Every key of one selection shares its `fields` array (up to hundreds of keys per operation):
 * what is read of it is worked out once per array.
 */
const fieldsFacts = new WeakMap<readonly string[], FieldsFacts>();

function fieldsOf(fields: readonly string[]): FieldsFacts {
  let facts = fieldsFacts.get(fields);
  if (facts === undefined) {
    facts = { list: [...fields].sort().join(','), slow: fields.some((f) => SLOW_FIELDS.has(f)) };
    fieldsFacts.set(fields, facts);
  }
  return facts;
}

function keyOf(key: UserKey): string {
  switch (key.kind) {
    case 'alias':
      return `a:${key.alias.alias_label}\u0000${key.alias.alias_name}`;
    case 'external_id':
      return `e:${key.id}`;
    case 'braze_id':
      return `b:${key.id}`;
    case 'email':
      return `m:${key.id.trim().toLowerCase()}`;
    case 'phone':
      return `p:${digitsOf(key.id)}`;
  }
}

/** Phone numbers compare by their digits: `+1 415-555-0123` is `+14155550123`. */
function digitsOf(phone: string): string {
  return phone.replace(/[^0-9]/g, '');
}

/** A key Braze returned no profile for (shared: answers are only read). */
const NO_MATCH: WireMatches = Object.freeze([]);

/**
 * The request classes of /users/export/ids (docs/braze-facts.md §3.10): up to 50 external ids
 * and aliases together, one `braze_id`, and one of `email_address` / `phone` (Braze takes only
 * one of device_id, email_address and phone per request, so an email and a phone never share one).
 */
function classOf(key: UserKey): 'list' | 'braze' | 'contact' {
  if (key.kind === 'braze_id') return 'braze';
  return key.kind === 'email' || key.kind === 'phone' ? 'contact' : 'list';
}

/**
 * The /users/export/ids lane, shared by every GraphQL request (and federation's `_entities`):
 * up to 50 external ids and aliases per request, plus one braze_id and one email or phone riding
 * along. Email and phone reads are the expensive ones (one per request, from the export group's
 * budget): they leave with external-id requests going out anyway when there are some, alone
 * otherwise. `fields_to_export` is the union of what the packed items' selections need (and the
 * identity fields that match answers back); requests that ask for campaigns or canvases received
 * travel apart, so the others keep Braze's faster export tier. Two callers reading the same user
 * share one slot. Each key resolves to the profiles Braze returned for it (none when unknown).
 */
export function createExportDelivery(engine: DeliveryEngine): Delivery<ExportKey, WireMatches> {
  const list = Math.min(engine.maxItems, maxItemsOf('users.export.ids'));
  return engine.create<ExportKey, WireMatches>({
    name: 'users.export.ids',
    endpoint: 'users.export.ids',
    capacity: { total: list + 2, perClass: { list, braze: 1, contact: 1 } },
    partition: (k) => (fieldsOf(k.fields).slow ? 'received' : ''),
    classOf,
    mergeBy: keyOf,
    body: (keys) => {
      // The keys of one selection share one fields array: each array is read once.
      const fields = new Set<string>();
      const selections = new Set<readonly string[]>();
      for (const k of keys) {
        if (selections.has(k.fields)) continue;
        selections.add(k.fields);
        for (const f of k.fields) fields.add(f);
      }
      const seen = new Set<string>();
      const ids: string[] = [];
      const aliases: WireUserAlias[] = [];
      const body: WireExportIdsBody = {};
      for (const k of keys) {
        const key = keyOf(k);
        if (seen.has(key)) continue;
        seen.add(key);
        if (k.kind === 'external_id') ids.push(k.id);
        else if (k.kind === 'alias') aliases.push(k.alias);
        else if (k.kind === 'braze_id') body.braze_id = k.id;
        else if (k.kind === 'email') {
          body.email_address = k.id;
          fields.add('email');
        } else {
          body.phone = k.id;
          fields.add('phone');
        }
      }
      if (ids.length > 0) body.external_ids = ids;
      if (aliases.length > 0) body.user_aliases = aliases;
      body.fields_to_export = [...fields].sort();
      return body;
    },
    results: (answer, keys) => {
      const users = (answer.body as WireExportIdsResponse).users ?? [];
      const found = new Map<string, WireExportedUser>();
      for (const user of users) {
        if (user.external_id !== undefined)
          found.set(keyOf({ kind: 'external_id', id: user.external_id }), user);
        if (user.braze_id !== undefined) found.set(keyOf({ kind: 'braze_id', id: user.braze_id }), user);
        for (const a of user.user_aliases ?? []) found.set(keyOf({ kind: 'alias', alias: a }), user);
      }
      // The profiles the list ids and braze_id asked for, each key looked up once; whatever else
      // Braze sent answers the request's one email or phone (Braze may normalise either, so a
      // profile is matched by its value or by being no other key's).
      const out = new Array<WireMatches>(keys.length);
      const claimed = new Set<WireExportedUser>();
      let contacts = false;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (classOf(k) === 'contact') {
          contacts = true;
          continue;
        }
        const model = found.get(keyOf(k));
        if (model === undefined) out[i] = NO_MATCH;
        else {
          claimed.add(model);
          out[i] = [model];
        }
      }
      if (!contacts) return out;
      const matchesContact = (k: UserKey, user: WireExportedUser): boolean => {
        const value = k.kind === 'email' ? user.email : user.phone;
        if (typeof value === 'string' && keyOf({ kind: k.kind as 'email', id: value }) === keyOf(k))
          return true;
        return !claimed.has(user);
      };
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (classOf(k) === 'contact') out[i] = users.filter((user) => matchesContact(k, user));
      }
      return out;
    },
  });
}

/** The optional profile cache (USER_CACHE_TTL_SECONDS), shared through Redis when configured. */
export interface ProfileCache {
  cache: SharedCache;
  ttlMs: number;
}

/**
 * A per-request reader in front of the export lane: within one GraphQL operation every user asked
 * for is loaded once (DataLoader's cache and dedupe); across operations the lane shares requests.
 * With a profile cache, an answer is kept for its TTL under a hash of the key (never the email or
 * phone itself), so hot backoffice profiles cost Braze one read per TTL across every replica.
 */
export function createExportLoader(
  exports: Delivery<ExportKey, WireMatches>,
  deadlineMs: number,
  profiles?: ProfileCache,
  caller: string = ANONYMOUS_CALLER,
): DataLoader<ExportKey, ExportMatches, string> {
  // Without a profile cache, a batch's keys queue on the lane at once, with one sink for them all;
  // with one, each key goes through the cache (a hit never reaches the lane).
  const batch =
    profiles === undefined
      ? (keys: readonly ExportKey[]) =>
          new Promise<Array<ExportMatches | Error>>((resolve) => {
            const out = new Array<ExportMatches | Error>(keys.length);
            let waiting = keys.length;
            exports.submitEach(
              keys,
              deadlineMs,
              (i, outcome) => {
                out[i] = outcome instanceof Error ? outcome : outcome.map(toBrazeUser);
                if (--waiting === 0) resolve(out);
              },
              caller,
            );
          })
      : (keys: readonly ExportKey[]) =>
          Promise.all(
            keys.map((k) =>
              profiles.cache
                .getOrLoad(
                  `profile:${createHash('sha256').update(cacheKeyOf(k)).digest('base64url')}`,
                  profiles.ttlMs,
                  () => exports.submit(k, deadlineMs, caller),
                )
                .then(
                  (users) => users.map(toBrazeUser),
                  (err: unknown) => toError(err),
                ),
            ),
          );
  return new DataLoader<ExportKey, ExportMatches, string>(batch, {
    cacheKeyFn: cacheKeyOf,
    maxBatchSize: 10_000,
  });
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
