import { ANONYMOUS_CALLER } from '../budget/shares.js';
import type { BrazeClient } from '../braze/client.js';
import { objects, str } from '../braze/coerce.js';
import { canonicalJson, maxItemsOf } from '../braze/endpoints.js';
import type { WireResponse, WireUserAlias } from '../braze/wire.js';
import type { DeliveryEngine } from '../delivery/engine.js';
import type { Delivery } from '../delivery/lane.js';
import { BadInputError, toItemError } from '../errors.js';
import type {
  RecipientInput,
  SendMessagesInput,
  UserAliasInput,
  SubscriptionStatusInput,
  TriggerCampaignInput,
  TriggerCanvasInput,
} from '../generated/graphql.js';
import { readUserRef, toWireAlias, wireFieldsOf, type RefRules } from '../users/identifiers.js';
import { checkListLength, itemResults, type ItemResultShape } from '../users/itemResults.js';

/**
 * Messaging (docs/braze-facts.md §3.11–§3.16). Named recipients of triggered campaigns and canvases go through
 * process-wide batchers: recipients for the same campaign (or canvas), send id and shared
 * properties share requests, 50 to a request, never twice the same user in one request (Braze
 * would keep only the last one's properties). Broadcasts are one request each, in the
 * messaging.broadcast group (and its per-audience limit).
 */

type Obj = Record<string, unknown>;

/** One named recipient plus the shared payload it must travel with. */
export interface TriggerItem {
  shared: Obj;
  recipient: Obj;
  /** The user, for distinctness within a request. */
  who: string;
}

interface SubscriptionItem {
  shared: Obj;
  field: 'external_id' | 'email' | 'phone';
  id: string;
}

export interface RecipientResultShape extends ItemResultShape {
  dispatchId: string | null;
}

const dispatchIdOf = (answer: WireResponse): string =>
  typeof answer.dispatch_id === 'string' ? answer.dispatch_id : '';

/** One named recipient of /messages/send, with the message payload it travels with. */
interface SendItem {
  shared: Obj;
  id?: string;
  alias?: WireUserAlias;
  who: string;
}

/**
 * Rejections about what every item of a partition shares (the campaign, canvas, message or
 * subscription group), by Braze's documented messages (docs/braze-facts.md §3.11, §3.15): confirmed with one
 * item alone, then every item of that partition fails at once.
 */
const SHARED_REJECTION =
  /campaign|canvas|message variant|message type|no message|push payload|length exceeded|subscription group|send_id/i;
const sharedRejection = (err: { brazeMessage?: string }): boolean =>
  err.brazeMessage !== undefined && SHARED_REJECTION.test(err.brazeMessage);

export class MessagingLanes {
  readonly campaign: Delivery<TriggerItem, string>;
  readonly canvas: Delivery<TriggerItem, string>;
  readonly send: Delivery<SendItem, string>;
  readonly subscription: Delivery<SubscriptionItem, void>;

  constructor(engine: DeliveryEngine) {
    const trigger = (endpoint: 'campaigns.trigger.send' | 'canvas.trigger.send') =>
      engine.items<TriggerItem, string>({
        endpoint,
        partition: (item) => canonicalJson(item.shared),
        distinctBy: (item) => item.who,
        sharedRejection,
        body: (items) => ({ ...items[0]!.shared, recipients: items.map((i) => i.recipient) }),
        result: dispatchIdOf,
      });
    this.campaign = trigger('campaigns.trigger.send');
    this.canvas = trigger('canvas.trigger.send');
    this.send = engine.items<SendItem, string>({
      endpoint: 'messages.send',
      partition: (item) => canonicalJson(item.shared),
      distinctBy: (item) => item.who,
      sharedRejection,
      body: (items) => {
        const body: Obj = { ...items[0]!.shared };
        const ids = items.flatMap((i) => (i.id === undefined ? [] : [i.id]));
        const aliases = items.flatMap((i) => (i.alias === undefined ? [] : [i.alias]));
        if (ids.length > 0) body.external_user_ids = ids;
        if (aliases.length > 0) body.user_aliases = aliases;
        return body;
      },
      result: dispatchIdOf,
    });
    this.subscription = engine.items<SubscriptionItem, void>({
      endpoint: 'subscription.status.set',
      // v1 takes one group, one state and one kind of id per request.
      partition: (item) => `${canonicalJson(item.shared)}|${item.field}`,
      sharedRejection,
      body: (items) => ({ ...items[0]!.shared, [items[0]!.field]: items.map((i) => i.id) }),
      result: () => undefined,
    });
  }
}

export class MessagingService {
  constructor(
    private readonly client: BrazeClient,
    private readonly lanes: MessagingLanes,
    private readonly deadlineMs: number,
    private readonly maxItems: number,
    /** Whose items these are (fair shares): a gateway key's name, or `anonymous`. */
    private readonly caller: string = ANONYMOUS_CALLER,
  ) {}

  triggerCampaign(input: TriggerCampaignInput) {
    return this.#trigger('campaigns.trigger.send', input, campaignShared(input), 'trigger_properties');
  }

  triggerCanvas(input: TriggerCanvasInput) {
    return this.#trigger('canvas.trigger.send', input, canvasShared(input, 'context'), 'context');
  }

  async sendMessages(
    input: SendMessagesInput,
  ): Promise<{ recipients: RecipientResultShape[]; dispatchIds: string[] }> {
    const { shared, ids, aliases } = readMessageSend(input, this.maxItems);
    if (input.overrideFrequencyCapping != null)
      shared.override_frequency_capping = input.overrideFrequencyCapping;
    if (ids.length + aliases.length === 0) {
      const answer = await this.client.send(
        'messages.send',
        { ...shared, broadcast: true },
        { deadlineMs: this.deadlineMs },
      );
      return { recipients: [], dispatchIds: [dispatchIdOf(answer.body)] };
    }
    // Named users go through the lane: 50 to a request, shared with other callers' sends of
    // the same message, never one user twice in a request.
    const everyone: SendItem[] = [
      ...ids.map((id) => ({ shared, id, who: `e:${id}` })),
      ...aliases.map((alias) => ({ shared, alias, who: canonicalJson(alias) })),
    ];
    const recipients = await Promise.all(
      everyone.map(async (item): Promise<RecipientResultShape> => {
        try {
          return {
            ok: true,
            error: null,
            dispatchId: await this.lanes.send.submit(item, this.deadlineMs, this.caller),
          };
        } catch (err) {
          return { ok: false, error: toItemError(err), dispatchId: null };
        }
      }),
    );
    const dispatchIds = [
      ...new Set(recipients.flatMap((r) => (r.dispatchId === null ? [] : [r.dispatchId]))),
    ];
    return { recipients, dispatchIds };
  }

  async createSendId(campaignId: string, sendId: string | null | undefined): Promise<string> {
    if (campaignId === '') throw new BadInputError('campaignId must not be empty.');
    const body: Obj = { campaign_id: campaignId };
    if (sendId != null) body.send_id = sendId;
    const answer = await this.client.send('sends.id.create', body, { deadlineMs: this.deadlineMs });
    return typeof answer.body.send_id === 'string' ? answer.body.send_id : (sendId ?? '');
  }

  setSubscriptionStatus(input: SubscriptionStatusInput): Promise<ItemResultShape[]> {
    const shared: Obj = {
      subscription_group_id: input.subscriptionGroupId,
      subscription_state: input.state === 'SUBSCRIBED' ? 'subscribed' : 'unsubscribed',
    };
    if (input.useDoubleOptInLogic != null) shared.use_double_opt_in_logic = input.useDoubleOptInLogic;
    const items: SubscriptionItem[] = [
      ...(input.externalIds ?? []).map((id) => ({ shared, field: 'external_id' as const, id })),
      ...(input.emails ?? []).map((id) => ({ shared, field: 'email' as const, id })),
      ...(input.phones ?? []).map((id) => ({ shared, field: 'phone' as const, id })),
    ];
    if (items.length === 0) {
      return Promise.reject(
        new BadInputError('name at least one of externalIds, emails or phones.', 'input'),
      );
    }
    return itemResults(items, 'ids', this.maxItems, (item, path) => {
      if (item.id === '') throw new BadInputError('ids must not be empty.', path);
      return this.lanes.subscription.submit(item, this.deadlineMs, this.caller);
    });
  }

  /** GET /subscription/user/status, as many users to a request as the endpoint table allows. */
  async userSubscriptions(externalIds: readonly string[]) {
    checkListLength(externalIds.length, 'externalIds', this.maxItems);
    const perRequest = maxItemsOf('subscription.user.status');
    const chunks: string[][] = [];
    for (let i = 0; i < externalIds.length; i += perRequest)
      chunks.push(externalIds.slice(i, i + perRequest));
    const pages = await Promise.all(
      chunks.map((ids) =>
        this.client.send('subscription.user.status', undefined, {
          deadlineMs: this.deadlineMs,
          query: { 'external_id[]': ids, limit: 100 },
        }),
      ),
    );
    return pages.flatMap((p) =>
      objects(p.body.users).map((u) => ({
        externalId: str(u.external_id),
        email: str(u.email),
        phone: str(u.phone),
        groups: objects(u.subscription_groups).map((g) => ({
          id: String(g.id ?? ''),
          name: str(g.name),
          channel: str(g.channel),
          status: str(g.status),
        })),
      })),
    );
  }

  /** Named recipients through the batcher; a broadcast as one request. */
  async #trigger(
    endpoint: 'campaigns.trigger.send' | 'canvas.trigger.send',
    input: TriggerTargetInput,
    shared: Obj,
    propertiesField: 'trigger_properties' | 'context',
  ): Promise<{ recipients: RecipientResultShape[]; dispatchId: string | null; notice: string | null }> {
    const { recipients, broadcast } = readTriggerTarget(input);
    // With named recipients an audience narrows who of them receives it (still not a broadcast):
    // it is part of what recipients must share to travel in one request.
    shared = targetFields(shared, input, broadcast);
    if (broadcast) {
      const answer = await this.client.send(endpoint, shared, { deadlineMs: this.deadlineMs });
      const notice = typeof answer.body.notice === 'string' ? answer.body.notice : null;
      return { recipients: [], dispatchId: dispatchIdOf(answer.body), notice };
    }
    checkListLength(recipients.length, 'input.recipients', this.maxItems);
    const lane = endpoint === 'campaigns.trigger.send' ? this.lanes.campaign : this.lanes.canvas;
    const results = await Promise.all(
      recipients.map(async (r, i): Promise<RecipientResultShape> => {
        try {
          const item = recipientItem(r, `input.recipients[${i}]`, shared, propertiesField);
          return { ok: true, error: null, dispatchId: await lane.submit(item, this.deadlineMs, this.caller) };
        } catch (err) {
          return { ok: false, error: toItemError(err), dispatchId: null };
        }
      }),
    );
    return { recipients: results, dispatchId: null, notice: null };
  }
}

// ---------------------------------------------------------------------------------------------
// What a send is made of, read once for live sends and scheduled ones (src/messaging/schedule.ts)

/** The fields /messages/send and /messages/schedule/create share (docs/braze-facts.md §3.11, §3.18). */
export interface MessageSendInput {
  externalUserIds?: readonly string[] | null;
  userAliases?: readonly UserAliasInput[] | null;
  segmentId?: string | null;
  audience?: Obj | null;
  broadcast?: boolean | null;
  campaignId?: string | null;
  sendId?: string | null;
  recipientSubscriptionState?: string | null;
  messages: Obj;
}

/** A checked message send: what every request of it carries, and the named users (none: a broadcast). */
export interface MessageSend {
  shared: Obj;
  ids: string[];
  aliases: WireUserAlias[];
}

/**
 * Who a /messages/send-shaped call reaches and what it says (docs/braze-facts.md §3.11): named
 * users (at most `maxNamed`), or none and `broadcast: true` to a segment, a connected audience or
 * everyone; at least one channel in `messages`. Throws BadInputError naming the argument.
 */
export function readMessageSend(input: MessageSendInput, maxNamed: number): MessageSend {
  const ids = [...(input.externalUserIds ?? [])];
  const aliases = (input.userAliases ?? []).map((a, i) => toWireAlias(a, `input.userAliases[${i}]`));
  checkListLength(ids.length + aliases.length, 'input recipients', maxNamed);
  const named = ids.length + aliases.length > 0;
  const broadcastTarget = input.segmentId != null || input.audience != null;
  if (named && input.broadcast === true) {
    throw new BadInputError('broadcast cannot be true with externalUserIds or userAliases.', 'input');
  }
  if (!named && input.broadcast !== true) {
    throw new BadInputError(
      broadcastTarget
        ? 'sending to a segment or audience with no named users needs broadcast: true.'
        : 'name recipients (externalUserIds, userAliases) or broadcast to a segmentId or audience.',
      'input',
    );
  }
  if (Object.keys(input.messages).length === 0)
    throw new BadInputError('messages must name at least one channel.', 'input.messages');
  const state = input.recipientSubscriptionState;
  if (state != null && !['opted_in', 'subscribed', 'all'].includes(state)) {
    throw new BadInputError('recipientSubscriptionState must be opted_in, subscribed or all.', 'input');
  }
  const shared: Obj = { messages: input.messages };
  if (input.campaignId != null) shared.campaign_id = input.campaignId;
  if (input.sendId != null) shared.send_id = input.sendId;
  if (input.segmentId != null) shared.segment_id = input.segmentId;
  if (input.audience != null) shared.audience = input.audience;
  if (state != null) shared.recipient_subscription_state = state;
  return { shared, ids, aliases };
}

/** A campaign trigger's shared payload (docs/braze-facts.md §3.12): the campaign, send id, properties. */
export function campaignShared(input: {
  campaignId: string;
  sendId?: string | null;
  triggerProperties?: Obj | null;
}): Obj {
  if (input.campaignId === '') throw new BadInputError('campaignId must not be empty.', 'input.campaignId');
  const shared: Obj = { campaign_id: input.campaignId };
  if (input.sendId != null) shared.send_id = input.sendId;
  if (input.triggerProperties != null) shared.trigger_properties = input.triggerProperties;
  return shared;
}

/**
 * A Canvas trigger's shared payload (docs/braze-facts.md §3.13, §3.18): the Canvas and its entry
 * properties, under the field the endpoint documents (`context` for a send,
 * `canvas_entry_properties` for a schedule).
 */
export function canvasShared(
  input: { canvasId: string; context?: Obj | null },
  propertiesField: 'context' | 'canvas_entry_properties',
): Obj {
  if (input.canvasId === '') throw new BadInputError('canvasId must not be empty.', 'input.canvasId');
  const shared: Obj = { canvas_id: input.canvasId };
  if (input.context != null) shared[propertiesField] = input.context;
  return shared;
}

/** Who a campaign or Canvas trigger goes to, as the caller gave it. */
export interface TriggerTargetInput {
  recipients?: readonly RecipientInput[] | null;
  broadcast?: boolean | null;
  audience?: Obj | null;
}

/**
 * A trigger's target (docs/braze-facts.md §3.12): named recipients, or none and a broadcast to
 * the whole audience of the campaign or Canvas (or to a connected audience).
 */
export function readTriggerTarget(input: TriggerTargetInput): {
  recipients: readonly RecipientInput[];
  broadcast: boolean;
} {
  const recipients = input.recipients ?? [];
  if (recipients.length > 0 && input.broadcast === true) {
    throw new BadInputError('broadcast cannot be true with recipients.', 'input');
  }
  if (recipients.length === 0 && input.broadcast !== true && input.audience == null) {
    throw new BadInputError(
      'name recipients, or set broadcast: true (optionally with an audience).',
      'input',
    );
  }
  return { recipients, broadcast: recipients.length === 0 };
}

/** The shared payload plus `broadcast: true` for a broadcast, and the connected audience if any. */
export function targetFields(shared: Obj, input: TriggerTargetInput, broadcast: boolean): Obj {
  const out: Obj = broadcast ? { ...shared, broadcast: true } : { ...shared };
  if (input.audience != null) out.audience = input.audience;
  return out;
}

/** Trigger recipients name users by these (an email has its own field: docs/braze-facts.md §1.3, C-14). */
const RECIPIENT_REF: RefRules = {
  kinds: ['externalId', 'alias', 'brazeId'],
  operation: "a trigger recipient's user (for an email use recipients[].email)",
};

/** One trigger recipient as Braze takes it (docs/braze-facts.md §3.12), with the payload it travels with. */
export function recipientItem(
  r: RecipientInput,
  path: string,
  shared: Obj,
  propertiesField: string,
): TriggerItem {
  const hasUser = r.user != null;
  const hasEmail = r.email != null;
  if (hasUser === hasEmail) throw new BadInputError('set exactly one of user or email.', path);
  const recipient: Obj = {};
  let who: string;
  if (hasEmail) {
    if (!/^[^@\s]+@[^@\s]+$/.test(r.email!))
      throw new BadInputError('email is not an email address.', `${path}.email`);
    recipient.email = r.email;
    // Braze needs to know which profile to pick when several share the address.
    recipient.prioritization = ['identified', 'most_recently_updated'];
    who = `email:${r.email}`;
  } else {
    const id = readUserRef(r.user!, `${path}.user`, RECIPIENT_REF);
    if (id.kind === 'externalId') recipient.external_user_id = id.value;
    else if (id.kind === 'brazeId') recipient.braze_id = id.value;
    else if (id.kind === 'alias') recipient.user_alias = id.alias;
    who = canonicalJson(wireFieldsOf(id));
  }
  if (r.properties != null) recipient[propertiesField] = r.properties;
  if (r.sendToExistingOnly != null) {
    if (r.sendToExistingOnly === false && recipient.user_alias !== undefined) {
      throw new BadInputError('sendToExistingOnly cannot be false for an alias recipient.', path);
    }
    if (r.sendToExistingOnly === false && r.attributes == null) {
      throw new BadInputError('sendToExistingOnly: false needs attributes to create the profile with.', path);
    }
    recipient.send_to_existing_only = r.sendToExistingOnly;
  }
  if (r.attributes != null) recipient.attributes = r.attributes;
  return { shared, recipient, who };
}
