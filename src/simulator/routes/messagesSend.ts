import type { SimUser } from '../profile.js';
import type { DispatchRecipient } from '../store.js';
import { isNonEmptyString, isPlainObject } from '../validate.js';
import {
  maxPerRequest,
  MSG_BROADCAST_WITH_RECIPIENTS,
  MSG_INVALID_CAMPAIGN_ID,
  MSG_MAX_EXTERNAL_IDS,
  MSG_NO_RECIPIENTS,
  created,
  isAliasWithinLimits,
  isResult,
  newDispatchId,
  objectBody,
  present,
  type Obj,
} from './common.js';
import { MSG_INVALID_SEGMENT } from './segmentsDetails.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * POST /messages/send (docs/braze-facts.md §3.11): named users (≤ 50 `external_user_ids` / `user_aliases`), or
 * `broadcast: true` to a segment, a connected audience or everyone. Named users must already
 * exist; unknown ones are skipped without an error. Every user counts as a member of every
 * segment: the simulator does not evaluate segment filters.
 */

/** Braze's messages (docs/braze-facts.md §3.11, §4.3). */
export const MSG_NO_MESSAGE = 'No message to send';
export const MSG_APPLE_PUSH_LENGTH = 'Apple Push Length Exceeded';
export const MSG_ANDROID_PUSH_LENGTH = 'Android Push Length Exceeded';

/** The channels `messages` may carry (docs/braze-facts.md §3.11). */
export const MESSAGE_TYPES: readonly string[] = [
  'apple_push',
  'android_push',
  'kindle_push',
  'web_push',
  'email',
  'sms',
  'webhook',
  'content_card',
  'whats_app',
];

/** Payload byte limits Braze enforces per push channel (docs/braze-facts.md §4.3, 400 errors). */
const PUSH_LIMITS: ReadonlyArray<{ type: string; bytes: number; message: string }> = [
  { type: 'apple_push', bytes: 1912, message: MSG_APPLE_PUSH_LENGTH },
  { type: 'android_push', bytes: 4000, message: MSG_ANDROID_PUSH_LENGTH },
];

const SUBSCRIPTION_STATES: readonly unknown[] = ['opted_in', 'subscribed', 'all'];

/** Type checks of the optional fields, in Braze-style wording (simulator-made). */
const FIELD_CHECKS: ReadonlyArray<[string, (v: unknown) => boolean, string]> = [
  ['broadcast', (v) => typeof v === 'boolean', "'broadcast' must be a boolean"],
  [
    'external_user_ids',
    (v) => Array.isArray(v) && v.every(isNonEmptyString),
    "'external_user_ids' must be an array of non-empty strings",
  ],
  [
    'user_aliases',
    (v) => Array.isArray(v) && v.every(isAliasWithinLimits),
    "'user_aliases' must be an array of user alias objects",
  ],
  ['segment_id', isNonEmptyString, "'segment_id' must be a non-empty string"],
  ['audience', isPlainObject, "'audience' must be an object"],
  ['campaign_id', isNonEmptyString, "'campaign_id' must be a non-empty string"],
  ['send_id', isNonEmptyString, "'send_id' must be a non-empty string"],
  [
    'recipient_subscription_state',
    (v) => SUBSCRIPTION_STATES.includes(v),
    "'recipient_subscription_state' must be 'opted_in', 'subscribed' or 'all'",
  ],
];

/** What is wrong with `messages`, or undefined. */
export function messagesProblem(messages: unknown): string | undefined {
  if (!isPlainObject(messages) || Object.keys(messages).length === 0) return MSG_NO_MESSAGE;
  for (const [type, message] of Object.entries(messages)) {
    if (!MESSAGE_TYPES.includes(type)) return `Invalid message type '${type}'`;
    if (!isPlainObject(message)) return `'messages.${type}' must be an object`;
  }
  for (const { type, bytes, message } of PUSH_LIMITS) {
    const push = messages[type];
    if (push !== undefined && Buffer.byteLength(JSON.stringify(push)) > bytes) return message;
  }
  return undefined;
}

/** A /messages/send-shaped body that passed every check. */
export interface ValidSend {
  ids: string[];
  aliases: Array<{ alias_name: string; alias_label: string }>;
  broadcast: boolean;
  campaignId?: string;
  segmentId?: string;
  sendId?: string;
  audience?: Obj;
  messages: Obj;
}

/**
 * Checks a /messages/send-shaped body (docs/braze-facts.md §3.11): field types, at most 50 named
 * users, `broadcast` exactly when nobody is named, the messages, a known campaign and segment.
 * /messages/schedule/create takes the same body with `override_messaging_limits` for the
 * frequency-capping flag (§3.18).
 */
export function readSend(
  ctx: RouteContext,
  body: Obj,
  overrideField: 'override_frequency_capping' | 'override_messaging_limits' = 'override_frequency_capping',
): ValidSend | RouteResult {
  for (const [field, check, message] of FIELD_CHECKS) {
    if (present(body, field) && !check(body[field])) return badRequest(message);
  }
  if (present(body, overrideField) && typeof body[overrideField] !== 'boolean') {
    return badRequest(`'${overrideField}' must be a boolean`);
  }
  const ids = (body.external_user_ids as string[] | undefined) ?? [];
  const aliases = (body.user_aliases as ValidSend['aliases'] | undefined) ?? [];
  if (ids.length + aliases.length > maxPerRequest(ctx)) return badRequest(MSG_MAX_EXTERNAL_IDS);
  const broadcast = body.broadcast === true;
  const named = ids.length + aliases.length;
  if (broadcast && named > 0) return badRequest(MSG_BROADCAST_WITH_RECIPIENTS);
  if (!broadcast && named === 0) return badRequest(MSG_NO_RECIPIENTS);
  const problem = messagesProblem(body.messages);
  if (problem !== undefined) return badRequest(problem);
  const campaignId = body.campaign_id as string | undefined;
  if (campaignId !== undefined && ctx.catalog.campaign(campaignId) === undefined) {
    return badRequest(MSG_INVALID_CAMPAIGN_ID);
  }
  const segmentId = body.segment_id as string | undefined;
  if (segmentId !== undefined && ctx.catalog.segment(segmentId) === undefined) {
    return badRequest(MSG_INVALID_SEGMENT);
  }
  return {
    ids,
    aliases,
    broadcast,
    ...(campaignId === undefined ? {} : { campaignId }),
    ...(segmentId === undefined ? {} : { segmentId }),
    ...(typeof body.send_id === 'string' ? { sendId: body.send_id } : {}),
    ...(isPlainObject(body.audience) ? { audience: structuredClone(body.audience) } : {}),
    messages: structuredClone(body.messages as Obj),
  };
}

export function messagesSend(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const send = readSend(ctx, body);
  if (isResult(send)) return send;

  const recipients = new Map<SimUser, DispatchRecipient>();
  const skipped: unknown[] = [];
  const reach = (user: SimUser | undefined, asSent: unknown): void => {
    if (user === undefined) skipped.push(asSent);
    else if (!recipients.has(user)) {
      recipients.set(user, {
        brazeId: user.brazeId,
        ...(user.externalId === undefined ? {} : { externalId: user.externalId }),
      });
    }
  };
  for (const id of send.ids) reach(ctx.store.byExternalId(id), id);
  for (const alias of send.aliases) reach(ctx.store.byAlias(alias), alias);

  const dispatchId = newDispatchId();
  const { ids: _ids, aliases: _aliases, ...fields } = send;
  ctx.store.recordDispatch({
    endpoint: 'messages.send',
    dispatchId,
    at: ctx.now(),
    ...fields,
    recipients: [...recipients.values()],
    skipped,
  });
  return created({ dispatch_id: dispatchId });
}
