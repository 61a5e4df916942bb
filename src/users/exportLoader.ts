import DataLoader from 'dataloader';
import type { BrazeClient } from '../braze/client.js';
import { ENDPOINTS } from '../braze/endpoints.js';
import type {
  WireExportIdsBody,
  WireExportIdsResponse,
  WireExportedUser,
  WireUserAlias,
} from '../braze/wire.js';

/** What a BrazeUser resolver reads: the user exactly as Braze exported it. */
export type BrazeUserModel = WireExportedUser;

export type UserKey =
  | { kind: 'external_id'; id: string }
  | { kind: 'braze_id'; id: string }
  | { kind: 'alias'; alias: WireUserAlias };

/** The fields the gateway asks Braze for (fields_to_export is required on newer workspaces). */
export const EXPORT_FIELDS = [
  'external_id',
  'braze_id',
  'user_aliases',
  'email',
  'phone',
  'first_name',
  'last_name',
  'country',
  'home_city',
  'language',
  'time_zone',
  'dob',
  'gender',
  'email_subscribe',
  'push_subscribe',
  'created_at',
  'total_revenue',
  'custom_attributes',
  'custom_events',
  'purchases',
] as const;

const MAX_IDS = ENDPOINTS['users.export.ids'].maxItems ?? 50;

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
 * its own (Braze accepts one per request). Unknown users load as null.
 */
export function createExportLoader(
  client: BrazeClient,
  deadlineMs: () => number,
): DataLoader<UserKey, BrazeUserModel | null, string> {
  return new DataLoader<UserKey, BrazeUserModel | null, string>(
    async (keys) => {
      const found = new Map<string, BrazeUserModel>();
      const failed = new Map<string, Error>();
      const listed = keys.filter((k) => k.kind !== 'braze_id');
      const bodies: Array<{ body: WireExportIdsBody; keys: UserKey[] }> = [];
      for (let i = 0; i < listed.length; i += MAX_IDS) {
        const chunk = listed.slice(i, i + MAX_IDS);
        const body: WireExportIdsBody = { fields_to_export: [...EXPORT_FIELDS] };
        const ids = chunk.flatMap((k) => (k.kind === 'external_id' ? [k.id] : []));
        const aliases = chunk.flatMap((k) => (k.kind === 'alias' ? [k.alias] : []));
        if (ids.length > 0) body.external_ids = ids;
        if (aliases.length > 0) body.user_aliases = aliases;
        bodies.push({ body, keys: chunk });
      }
      for (const k of keys) {
        if (k.kind === 'braze_id')
          bodies.push({ body: { braze_id: k.id, fields_to_export: [...EXPORT_FIELDS] }, keys: [k] });
      }
      await Promise.all(
        bodies.map(async ({ body, keys: chunk }) => {
          try {
            const answer = await client.send<WireExportIdsResponse>('users.export.ids', body, {
              deadlineMs: deadlineMs(),
            });
            for (const user of answer.body.users ?? []) {
              if (user.external_id !== undefined) found.set(`e:${user.external_id}`, user);
              if (user.braze_id !== undefined) found.set(`b:${user.braze_id}`, user);
              for (const a of user.user_aliases ?? []) found.set(keyOf({ kind: 'alias', alias: a }), user);
            }
          } catch (err) {
            for (const k of chunk) failed.set(keyOf(k), err instanceof Error ? err : new Error(String(err)));
          }
        }),
      );
      return keys.map((k) => failed.get(keyOf(k)) ?? found.get(keyOf(k)) ?? null);
    },
    { cacheKeyFn: keyOf, maxBatchSize: 1_000 },
  );
}
