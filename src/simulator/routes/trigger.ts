import type { SimUser } from '../profile.js';
import type { Dispatch, DispatchRecipient } from '../store.js';
import {
  isNonEmptyString,
  isPlainObject,
  isValidEmail,
  prioritizationProblem,
  validateAttributes,
  type Prioritization,
  type TrackIdentifier,
} from '../validate.js';
import {
  maxPerRequest,
  MSG_BROADCAST_WITH_RECIPIENTS,
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
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * What /campaigns/trigger/send and /canvas/trigger/send share (docs/braze-facts.md §3.12, §3.13): ≤ 50
 * `recipients`, each naming exactly one of `external_user_id`, `user_alias`, `braze_id` or
 * `email`; per-recipient properties over the top-level ones; `send_to_existing_only` (default
 * true: unknown recipients are skipped, still 201) or `false` with `attributes` to create the
 * profile first; `broadcast: true` forbids recipients and attachments.
 */

export interface TriggerKind {
  endpoint: Extract<Dispatch['endpoint'], 'campaigns.trigger.send' | 'canvas.trigger.send'>;
  idField: 'campaign_id' | 'canvas_id';
  /** Body fields holding properties, preferred first (`context`, then legacy `canvas_entry_properties`). */
  propertyFields: readonly string[];
  /** Where a dispatch keeps them: `triggerProperties` or `context`. */
  dispatchField: 'triggerProperties' | 'context';
  /** Largest properties object in bytes, if Braze documents one. */
  maxPropertyBytes?: number;
  /** Undefined when the id is unknown; otherwise an optional `notice` for the answer. */
  lookup: (ctx: RouteContext, id: string) => { notice?: string } | undefined;
  unknownMessage: string;
}

const RECIPIENT_IDS = ['external_user_id', 'user_alias', 'braze_id', 'email'] as const;

export interface ValidRecipient {
  raw: Obj;
  id: TrackIdentifier;
  prioritization: Prioritization[];
  properties?: Obj;
  attributes?: Obj;
  create: boolean;
}

function properties(kind: TriggerKind, o: Obj, where: string): Obj | undefined | string {
  for (const field of kind.propertyFields) {
    if (!present(o, field)) continue;
    const v = o[field];
    if (!isPlainObject(v)) return `${where}'${field}' must be an object`;
    if (kind.maxPropertyBytes !== undefined && Buffer.byteLength(JSON.stringify(v)) > kind.maxPropertyBytes) {
      return `${where}'${field}' must be at most ${kind.maxPropertyBytes / 1024} KB`;
    }
    return v;
  }
  return undefined;
}

function validRecipient(kind: TriggerKind, r: unknown, i: number): ValidRecipient | string {
  const at = `recipients[${i}]`;
  if (!isPlainObject(r)) return "'recipients' must be an array of objects";
  const ids = RECIPIENT_IDS.filter((k) => present(r, k));
  const key = ids[0];
  if (key === undefined || ids.length > 1) {
    return `${at} must have exactly one of 'external_user_id', 'user_alias', 'braze_id' or 'email'`;
  }
  let id: TrackIdentifier;
  let prioritization: Prioritization[] = [];
  if (key === 'user_alias') {
    if (!isAliasWithinLimits(r.user_alias)) return `${at}.user_alias must be a user alias object`;
    id = { kind: 'user_alias', value: r.user_alias };
  } else if (key === 'email') {
    if (!isValidEmail(r.email)) return `${at}.email must be an email address`;
    // Braze needs to know which profile to pick when several share the address (docs/braze-facts.md §1.3).
    if (r.prioritization === undefined) return `${at}: 'prioritization' is required with 'email'`;
    const problem = prioritizationProblem(r.prioritization);
    if (problem !== undefined) return `${at}: ${problem}`;
    id = { kind: 'email', value: r.email };
    prioritization = r.prioritization as Prioritization[];
  } else {
    const value = r[key];
    if (!isNonEmptyString(value)) return `${at}.${key} must be a non-empty string`;
    id = { kind: key === 'external_user_id' ? 'external_id' : 'braze_id', value };
  }
  const props = properties(kind, r, `${at}: `);
  if (typeof props === 'string') return props;
  const steo = r.send_to_existing_only;
  if (steo !== undefined && typeof steo !== 'boolean')
    return `${at}: 'send_to_existing_only' must be a boolean`;
  let attributes: Obj | undefined;
  if (present(r, 'attributes')) {
    if (!isPlainObject(r.attributes)) return `${at}.attributes must be an object`;
    // Checked like a /users/track attributes object; the recipient supplies the identifier.
    const checked = validateAttributes({
      ...r.attributes,
      external_id: 'recipient',
      braze_id: undefined,
      user_alias: undefined,
    });
    if (!checked.ok) return `${at}.attributes: ${checked.type}`;
    attributes = r.attributes;
  }
  if (steo === false) {
    if (key === 'user_alias')
      return `${at}: 'send_to_existing_only' cannot be false for a 'user_alias' recipient`;
    if (attributes === undefined)
      return `${at}: 'attributes' is required when 'send_to_existing_only' is false`;
  }
  return {
    raw: r,
    id,
    prioritization,
    ...(props === undefined ? {} : { properties: props }),
    ...(attributes === undefined ? {} : { attributes }),
    create: steo === false,
  };
}

function findUser(ctx: RouteContext, r: ValidRecipient): SimUser | undefined {
  const found =
    r.id.kind === 'email'
      ? ctx.store.pick(ctx.store.byEmail(r.id.value), r.prioritization)
      : ctx.store.resolve(r.id, false);
  if (found !== undefined || !r.create) return found;
  // Several profiles sharing the email without a pick is "nothing happens", not a new profile.
  if (r.id.kind === 'email' && ctx.store.byEmail(r.id.value).length > 0) return undefined;
  return ctx.store.resolve(r.id, true);
}

/** A trigger body that passed every check, before any profile is touched. */
export interface ValidTrigger {
  targetId: string;
  /** Braze's `notice` for the answer (a paused or archived Canvas). */
  notice?: string;
  broadcast: boolean;
  sendId?: string;
  audience?: Obj;
  /** The top-level properties (`trigger_properties`, `context`…). */
  shared?: Obj;
  recipients: ValidRecipient[];
}

/**
 * Checks a trigger body of `kind` (docs/braze-facts.md §3.12, §3.13): the campaign or Canvas,
 * field types, at most 50 recipients, `broadcast` exactly when nobody is named, attachments, and
 * every recipient. The scheduled triggers take the same body plus `schedule` (§3.18).
 */
export function readTrigger(ctx: RouteContext, kind: TriggerKind, body: Obj): ValidTrigger | RouteResult {
  const targetId = body[kind.idField];
  if (!isNonEmptyString(targetId)) return badRequest(`'${kind.idField}' is required`);
  const target = kind.lookup(ctx, targetId);
  if (target === undefined) return badRequest(kind.unknownMessage);
  if (present(body, 'send_id') && !isNonEmptyString(body.send_id)) {
    return badRequest("'send_id' must be a non-empty string");
  }
  if (present(body, 'broadcast') && typeof body.broadcast !== 'boolean') {
    return badRequest("'broadcast' must be a boolean");
  }
  if (present(body, 'audience') && !isPlainObject(body.audience))
    return badRequest("'audience' must be an object");
  const shared = properties(kind, body, '');
  if (typeof shared === 'string') return badRequest(shared);
  const list = body.recipients ?? [];
  if (!Array.isArray(list)) return badRequest("'recipients' must be an array of objects");
  if (list.length > maxPerRequest(ctx)) return badRequest(MSG_MAX_EXTERNAL_IDS);
  const attachments = body.attachments ?? [];
  if (!(
    Array.isArray(attachments) &&
    attachments.every((a) => isPlainObject(a) && isNonEmptyString(a.file_name) && isNonEmptyString(a.url))
  )) {
    return badRequest("'attachments' must be an array of {file_name, url} objects");
  }
  const broadcast = body.broadcast === true;
  if (broadcast && list.length > 0) return badRequest(MSG_BROADCAST_WITH_RECIPIENTS);
  if (broadcast && attachments.length > 0)
    return badRequest("'attachments' cannot be used when 'broadcast' is true");
  if (!broadcast && list.length === 0) return badRequest(MSG_NO_RECIPIENTS);

  // All recipients are checked before any profile is created or updated.
  const recipients: ValidRecipient[] = [];
  for (const [i, r] of list.entries()) {
    const v = validRecipient(kind, r, i);
    if (typeof v === 'string') return badRequest(v);
    recipients.push(v);
  }
  return {
    targetId,
    ...(target.notice === undefined ? {} : { notice: target.notice }),
    broadcast,
    ...(typeof body.send_id === 'string' ? { sendId: body.send_id } : {}),
    ...(isPlainObject(body.audience) ? { audience: structuredClone(body.audience) } : {}),
    ...(shared === undefined ? {} : { shared }),
    recipients,
  };
}

/**
 * What a dispatch, or a scheduled send, keeps of a checked trigger: its campaign or Canvas, send
 * id, whether it broadcasts, the connected audience and the top-level properties.
 */
export function triggerRecord(
  kind: TriggerKind,
  trigger: ValidTrigger,
): Pick<
  Dispatch,
  'campaignId' | 'canvasId' | 'sendId' | 'broadcast' | 'audience' | TriggerKind['dispatchField']
> {
  return {
    ...(kind.idField === 'campaign_id' ? { campaignId: trigger.targetId } : { canvasId: trigger.targetId }),
    ...(trigger.sendId === undefined ? {} : { sendId: trigger.sendId }),
    broadcast: trigger.broadcast,
    ...(trigger.audience === undefined ? {} : { audience: trigger.audience }),
    ...(trigger.shared === undefined ? {} : { [kind.dispatchField]: structuredClone(trigger.shared) }),
  };
}

/** Handles one trigger request of `kind`. */
export function triggerSend(ctx: RouteContext, kind: TriggerKind): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const trigger = readTrigger(ctx, kind, body);
  if (isResult(trigger)) return trigger;
  const { shared } = trigger;

  // Braze de-duplicates recipients; the last occurrence's properties win (docs/braze-facts.md §3.12).
  const reached = new Map<SimUser, DispatchRecipient>();
  const skipped: unknown[] = [];
  for (const r of trigger.recipients) {
    const user = findUser(ctx, r);
    if (user === undefined) {
      skipped.push(structuredClone(r.raw));
      continue;
    }
    if (r.attributes !== undefined) ctx.store.applyAttributes(user, r.attributes);
    const recipient: DispatchRecipient = { brazeId: user.brazeId };
    if (user.externalId !== undefined) recipient.externalId = user.externalId;
    if (shared !== undefined || r.properties !== undefined) {
      recipient[kind.dispatchField] = structuredClone({ ...shared, ...r.properties });
    }
    reached.set(user, recipient);
  }

  const dispatchId = newDispatchId();
  ctx.store.recordDispatch({
    endpoint: kind.endpoint,
    dispatchId,
    at: ctx.now(),
    ...triggerRecord(kind, trigger),
    recipients: [...reached.values()],
    skipped,
  });
  return created({
    ...(trigger.notice === undefined ? {} : { notice: trigger.notice }),
    dispatch_id: dispatchId,
  });
}
