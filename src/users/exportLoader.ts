import DataLoader from 'dataloader';
import type { BrazeClient } from '../braze/client.js';
import { ENDPOINTS } from '../braze/endpoints.js';
import type { WireExportIdsBody, WireExportIdsResponse, WireUserAlias } from '../braze/wire.js';
import { toBrazeUser, type BrazeUserModel } from './exportShape.js';

export type UserKey =
  | { kind: 'external_id'; id: string }
  | { kind: 'braze_id'; id: string }
  | { kind: 'alias'; alias: WireUserAlias };

/** A user to export, with the export fields the asking selection needs. */
export type ExportKey = UserKey & { fields: readonly string[] };

const MAX_IDS = ENDPOINTS['users.export.ids'].maxItems ?? 50;

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
 * A per-request reader over /users/export/ids. Within one GraphQL operation every user asked
 * for is fetched once, external ids and aliases 50 to a request; a braze_id takes a request of
 * its own (Braze accepts one per request). `fields_to_export` is the union of what the batch's
 * selections need. Unknown users load as null.
 */
export function createExportLoader(
  client: BrazeClient,
  deadlineMs: () => number,
  maxIds: number = MAX_IDS,
): DataLoader<ExportKey, BrazeUserModel | null, string> {
  return new DataLoader<ExportKey, BrazeUserModel | null, string>(
    async (keys) => {
      const fields = [...new Set(keys.flatMap((k) => k.fields))].sort();
      const found = new Map<string, BrazeUserModel>();
      const failed = new Map<string, Error>();
      // One slot per distinct user: the same user asked with other fields shares it.
      const distinct = new Map<string, UserKey>();
      for (const k of keys) distinct.set(keyOf(k), k);
      const listed = [...distinct.values()].filter((k) => k.kind !== 'braze_id');
      const requests: Array<{ body: WireExportIdsBody; keys: UserKey[] }> = [];
      for (let i = 0; i < listed.length; i += maxIds) {
        const chunk = listed.slice(i, i + maxIds);
        const body: WireExportIdsBody = { fields_to_export: fields };
        const ids = chunk.flatMap((k) => (k.kind === 'external_id' ? [k.id] : []));
        const aliases = chunk.flatMap((k) => (k.kind === 'alias' ? [k.alias] : []));
        if (ids.length > 0) body.external_ids = ids;
        if (aliases.length > 0) body.user_aliases = aliases;
        requests.push({ body, keys: chunk });
      }
      for (const k of distinct.values()) {
        if (k.kind === 'braze_id')
          requests.push({ body: { braze_id: k.id, fields_to_export: fields }, keys: [k] });
      }
      await Promise.all(
        requests.map(async ({ body, keys: chunk }) => {
          try {
            const answer = await client.send<WireExportIdsResponse>('users.export.ids', body, {
              deadlineMs: deadlineMs(),
            });
            for (const user of answer.body.users ?? []) {
              const model = toBrazeUser(user);
              if (user.external_id !== undefined) found.set(`e:${user.external_id}`, model);
              if (user.braze_id !== undefined) found.set(`b:${user.braze_id}`, model);
              for (const a of user.user_aliases ?? []) found.set(keyOf({ kind: 'alias', alias: a }), model);
            }
          } catch (err) {
            for (const k of chunk) failed.set(keyOf(k), err instanceof Error ? err : new Error(String(err)));
          }
        }),
      );
      return keys.map((k) => failed.get(keyOf(k)) ?? found.get(keyOf(k)) ?? null);
    },
    { cacheKeyFn: cacheKeyOf, maxBatchSize: 10_000 },
  );
}
