import DataLoader from 'dataloader';
import { maxItemsOf } from '../braze/endpoints.js';
import type { WireExportIdsBody, WireExportIdsResponse, WireUserAlias } from '../braze/wire.js';
import type { DeliveryEngine } from '../delivery/engine.js';
import type { Delivery } from '../delivery/lane.js';
import { toBrazeUser, type BrazeUserModel } from './exportShape.js';

export type UserKey =
  | { kind: 'external_id'; id: string }
  | { kind: 'braze_id'; id: string }
  | { kind: 'alias'; alias: WireUserAlias };

/** A user to export, with the export fields the asking selection needs. */
export type ExportKey = UserKey & { fields: readonly string[] };

/** Fields that take a request out of Braze's faster export tier (docs/braze-facts.md §2 row 2). */
const SLOW_FIELDS = new Set(['campaigns_received', 'canvases_received']);

/** Same user, same fields → one load; the fields are part of the key so no answer lacks any. */
function cacheKeyOf(key: ExportKey): string {
  return `${keyOf(key)}|${[...key.fields].sort().join(',')}`;
}

function keyOf(key: UserKey): string {
  switch (key.kind) {
    case 'external_id':
      return `e:${key.id}`;
    case 'braze_id':
      return `b:${key.id}`;
    case 'alias':
      return `a:${key.alias.alias_label}\u0000${key.alias.alias_name}`;
  }
}

/**
 * The /users/export/ids lane, shared by every GraphQL request (and federation's `_entities`):
 * up to 50 external ids and aliases per request plus one braze_id riding along (Braze takes a
 * single `braze_id` per request, docs/braze-facts.md §2.1). `fields_to_export` is the union of what the
 * packed items' selections need; requests that ask for campaigns or canvases received travel
 * apart, so the others keep Braze's faster export tier. Two callers reading the same user share
 * one slot. Unknown users load as null.
 */
export function createExportDelivery(engine: DeliveryEngine): Delivery<ExportKey, BrazeUserModel | null> {
  const list = Math.min(engine.maxItems, maxItemsOf('users.export.ids'));
  return engine.create<ExportKey, BrazeUserModel | null>({
    name: 'users.export.ids',
    endpoint: 'users.export.ids',
    capacity: { total: list + 1, perClass: { list, single: 1 } },
    partition: (k) => (k.fields.some((f) => SLOW_FIELDS.has(f)) ? 'received' : ''),
    classOf: (k) => (k.kind === 'braze_id' ? 'single' : 'list'),
    mergeBy: keyOf,
    body: (keys) => {
      const body: WireExportIdsBody = {
        fields_to_export: [...new Set(keys.flatMap((k) => k.fields))].sort(),
      };
      const seen = new Set<string>();
      const ids: string[] = [];
      const aliases: WireUserAlias[] = [];
      for (const k of keys) {
        const key = keyOf(k);
        if (seen.has(key)) continue;
        seen.add(key);
        if (k.kind === 'external_id') ids.push(k.id);
        else if (k.kind === 'alias') aliases.push(k.alias);
        else body.braze_id = k.id;
      }
      if (ids.length > 0) body.external_ids = ids;
      if (aliases.length > 0) body.user_aliases = aliases;
      return body;
    },
    results: (answer, keys) => {
      const found = new Map<string, BrazeUserModel>();
      for (const user of (answer.body as WireExportIdsResponse).users ?? []) {
        const model = toBrazeUser(user);
        if (user.external_id !== undefined) found.set(`e:${user.external_id}`, model);
        if (user.braze_id !== undefined) found.set(`b:${user.braze_id}`, model);
        for (const a of user.user_aliases ?? []) found.set(keyOf({ kind: 'alias', alias: a }), model);
      }
      return keys.map((k) => found.get(keyOf(k)) ?? null);
    },
  });
}

/**
 * A per-request reader in front of the export lane: within one GraphQL operation every user asked
 * for is loaded once (DataLoader's cache and dedupe); across operations the lane shares requests.
 */
export function createExportLoader(
  exports: Delivery<ExportKey, BrazeUserModel | null>,
  deadlineMs: number,
): DataLoader<ExportKey, BrazeUserModel | null, string> {
  return new DataLoader<ExportKey, BrazeUserModel | null, string>(
    (keys) =>
      Promise.all(keys.map((k) => exports.submit(k, deadlineMs).catch((err: unknown) => toError(err)))),
    { cacheKeyFn: cacheKeyOf, maxBatchSize: 10_000 },
  );
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
