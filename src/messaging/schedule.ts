import type { BrazeClient, SendOptions } from '../braze/client.js';
import { objects, str, strings, type Obj } from '../braze/coerce.js';
import { ENDPOINTS, maxItemsOf, type EndpointName } from '../braze/endpoints.js';
import type { WireResponse } from '../braze/wire.js';
import { BadInputError, UpstreamError } from '../errors.js';
import type {
  ScheduleCampaignInput,
  ScheduleCanvasInput,
  ScheduledBroadcastType,
  ScheduleInput,
  ScheduleMessagesInput,
  UpdateScheduledCampaignInput,
  UpdateScheduledCanvasInput,
  UpdateScheduledMessagesInput,
} from '../generated/graphql.js';
import { checkListLength } from '../users/itemResults.js';
import {
  campaignShared,
  canvasShared,
  readMessageSend,
  readTriggerTarget,
  recipientItem,
  targetFields,
  type TriggerTargetInput,
} from './service.js';

/**
 * Scheduled messages (docs/braze-facts.md §3.18): schedule, change and cancel a message, an
 * API-triggered campaign or an API-triggered Canvas, and list what is due.
 *
 * A schedule is one Braze request and comes back as one schedule id, which its caller later
 * updates or cancels. So, unlike live sends, scheduled ones never share a request with other
 * callers (their schedules would become one), and a create names at most 50 users or recipients.
 * What a send is made of is read by the same functions as the live sends (service.ts); what is
 * added here is the schedule: its time checked before anything is sent, and Braze's answers typed.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Braze schedules at most 90 days ahead (docs/braze-facts.md §3.18). */
const MAX_AHEAD_MS = 90 * DAY_MS;
/** A clock time comes first to UTC+14 (14 hours before UTC) and last to UTC−12 (12 hours after). */
const FIRST_ZONE_AHEAD_MS = 14 * HOUR_MS;
const LAST_ZONE_BEHIND_MS = 12 * HOUR_MS;

export interface ScheduledMessageShape {
  scheduleId: string;
  dispatchId: string;
}

export interface ScheduleChangeShape {
  scheduleId: string;
}

export interface ScheduledBroadcastShape {
  id: string;
  name: string;
  type: ScheduledBroadcastType | null;
  tags: string[];
  nextSendTime: Date | null;
  scheduleType: string | null;
  inLocalTime: boolean;
  atOptimalTime: boolean;
}

/** `2026-03-02T09:00:00`: a clock time with no zone, as Braze takes local and optimal times. */
const wallClock = (d: Date): string => d.toISOString().slice(0, 19);

/**
 * Braze's schedule object for `input` (docs/braze-facts.md §3.18), refused while still ours to
 * refuse: a time already past (for a local or optimal time: past in every time zone, which is when
 * Braze refuses it), more than 90 days ahead, or both local and optimal delivery.
 */
export function scheduleBody(input: ScheduleInput, path: string, nowMs: number): Obj {
  const local = input.inLocalTime === true;
  const optimal = input.atOptimalTime === true;
  if (local && optimal) {
    throw new BadInputError(
      'choose inLocalTime (a clock time in each time zone) or atOptimalTime (each user’s best time that day), not both.',
      path,
    );
  }
  const t = input.time.getTime();
  const dayStart = t - (t % DAY_MS);
  // When the first and the last user would get it.
  const [firstMs, lastMs] = optimal
    ? [dayStart - FIRST_ZONE_AHEAD_MS, dayStart + DAY_MS + LAST_ZONE_BEHIND_MS]
    : local
      ? [t - FIRST_ZONE_AHEAD_MS, t + LAST_ZONE_BEHIND_MS]
      : [t, t];
  if (lastMs <= nowMs) {
    throw new BadInputError(
      local || optimal
        ? `${wallClock(input.time)} has already passed in every time zone; a schedule must be in the future.`
        : `${input.time.toISOString()} is in the past; a schedule must be in the future.`,
      `${path}.time`,
    );
  }
  if (firstMs > nowMs + MAX_AHEAD_MS) {
    throw new BadInputError('Braze schedules at most 90 days ahead.', `${path}.time`);
  }
  const body: Obj = { time: local || optimal ? wallClock(input.time) : input.time.toISOString() };
  if (local) body.in_local_time = true;
  if (optimal) body.at_optimal_time = true;
  return body;
}

/** What differs between scheduling a campaign trigger and a Canvas trigger. */
interface TriggerEndpoints {
  create: EndpointName;
  update: EndpointName;
  delete: EndpointName;
  /** The body field and the GraphQL argument naming the campaign or Canvas. */
  idField: string;
  idArg: string;
  /** Where per-recipient properties go (docs/braze-facts.md §3.18). */
  propertiesField: 'trigger_properties' | 'canvas_entry_properties';
}

const TRIGGER = {
  campaign: {
    create: 'campaigns.trigger.schedule.create',
    update: 'campaigns.trigger.schedule.update',
    delete: 'campaigns.trigger.schedule.delete',
    idField: 'campaign_id',
    idArg: 'campaignId',
    propertiesField: 'trigger_properties',
  },
  canvas: {
    create: 'canvas.trigger.schedule.create',
    update: 'canvas.trigger.schedule.update',
    delete: 'canvas.trigger.schedule.delete',
    idField: 'canvas_id',
    idArg: 'canvasId',
    propertiesField: 'canvas_entry_properties',
  },
} as const satisfies Record<string, TriggerEndpoints>;
type TriggerKind = keyof typeof TRIGGER;

function nonEmpty(value: string, argName: string): string {
  if (value === '') throw new BadInputError(`${argName} must not be empty.`, argName);
  return value;
}

/** A ScheduledBroadcast's `type` from Braze's `Campaign` / `Canvas`. */
function broadcastType(v: unknown): ScheduledBroadcastType | null {
  if (v === 'Campaign') return 'CAMPAIGN';
  if (v === 'Canvas') return 'CANVAS';
  return null;
}

/**
 * Braze's `next_send_time`: ISO 8601, or `YYYY-MM-DD HH:mm:ss`, with a zone unless the schedule is
 * local or optimal. A time without a zone is a clock time, returned in UTC form (as ScheduleInput
 * takes one); null when it does not parse.
 */
export function nextSendTime(v: unknown): Date | null {
  if (typeof v !== 'string') return null;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(
    v.trim(),
  );
  if (m === null) return null;
  const d = new Date(`${m[1]}T${m[2]}${m[3] ?? 'Z'}`);
  return Number.isNaN(d.getTime()) ? null : d;
}

export class ScheduleService {
  constructor(
    private readonly client: BrazeClient,
    private readonly deadlineMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** POST /messages/schedule/create: a /messages/send body, `override_messaging_limits`, `schedule`. */
  async scheduleMessages(input: ScheduleMessagesInput): Promise<ScheduledMessageShape> {
    const { shared, ids, aliases } = readMessageSend(input, maxItemsOf('messages.schedule.create'));
    const body: Obj = { ...shared, schedule: scheduleBody(input.schedule, 'input.schedule', this.now()) };
    if (ids.length > 0) body.external_user_ids = ids;
    if (aliases.length > 0) body.user_aliases = aliases;
    if (ids.length + aliases.length === 0) body.broadcast = true;
    if (input.overrideMessagingLimits != null) body.override_messaging_limits = input.overrideMessagingLimits;
    return this.#created('messages.schedule.create', body);
  }

  /** POST /messages/schedule/update: a new schedule, new messages, or both. */
  async updateScheduledMessages(input: UpdateScheduledMessagesInput): Promise<ScheduleChangeShape> {
    const body: Obj = { schedule_id: nonEmpty(input.scheduleId, 'input.scheduleId') };
    if (input.schedule == null && input.messages == null) {
      throw new BadInputError('give a new schedule, new messages, or both.', 'input');
    }
    if (input.schedule != null) body.schedule = scheduleBody(input.schedule, 'input.schedule', this.now());
    if (input.messages != null) {
      if (Object.keys(input.messages).length === 0)
        throw new BadInputError('messages must name at least one channel.', 'input.messages');
      body.messages = input.messages;
    }
    await this.#send('messages.schedule.update', body);
    return { scheduleId: input.scheduleId };
  }

  /** POST /messages/schedule/delete. */
  async cancelScheduledMessages(scheduleId: string): Promise<ScheduleChangeShape> {
    await this.#send('messages.schedule.delete', { schedule_id: nonEmpty(scheduleId, 'scheduleId') });
    return { scheduleId };
  }

  scheduleCampaign(input: ScheduleCampaignInput): Promise<ScheduledMessageShape> {
    return this.#scheduleTrigger('campaign', input, campaignShared(input));
  }

  scheduleCanvas(input: ScheduleCanvasInput): Promise<ScheduledMessageShape> {
    return this.#scheduleTrigger('canvas', input, canvasShared(input, TRIGGER.canvas.propertiesField));
  }

  updateScheduledCampaign(input: UpdateScheduledCampaignInput): Promise<ScheduleChangeShape> {
    return this.#updateTrigger('campaign', input.campaignId, input.scheduleId, input.schedule);
  }

  updateScheduledCanvas(input: UpdateScheduledCanvasInput): Promise<ScheduleChangeShape> {
    return this.#updateTrigger('canvas', input.canvasId, input.scheduleId, input.schedule);
  }

  cancelScheduledCampaign(campaignId: string, scheduleId: string): Promise<ScheduleChangeShape> {
    return this.#cancelTrigger('campaign', campaignId, scheduleId);
  }

  cancelScheduledCanvas(canvasId: string, scheduleId: string): Promise<ScheduleChangeShape> {
    return this.#cancelTrigger('canvas', canvasId, scheduleId);
  }

  /** GET /messages/scheduled_broadcasts?end_time=. */
  async scheduledBroadcasts(endTime: Date): Promise<ScheduledBroadcastShape[]> {
    const answer = await this.#send('messages.scheduled_broadcasts', undefined, {
      end_time: endTime.toISOString(),
    });
    return objects(answer.scheduled_broadcasts).flatMap((b): ScheduledBroadcastShape[] => {
      const id = str(b.id);
      if (id === null) return []; // an entry without an id cannot be referred to
      const scheduleType = str(b.schedule_type);
      return [
        {
          id,
          name: str(b.name) ?? '',
          type: broadcastType(b.type),
          tags: strings(b.tags),
          nextSendTime: nextSendTime(b.next_send_time),
          scheduleType,
          inLocalTime: scheduleType === 'local_time_zones',
          atOptimalTime: scheduleType === 'intelligent_delivery',
        },
      ];
    });
  }

  /** Named recipients (at most 50, all in this one request) or a broadcast, plus `schedule`. */
  #scheduleTrigger(
    kind: TriggerKind,
    input: TriggerTargetInput & { schedule: ScheduleInput },
    shared: Obj,
  ): Promise<ScheduledMessageShape> {
    const { create, propertiesField } = TRIGGER[kind];
    const { recipients, broadcast } = readTriggerTarget(input);
    checkListLength(recipients.length, 'input.recipients', maxItemsOf(create));
    const body = targetFields(shared, input, broadcast);
    if (!broadcast) {
      body.recipients = recipients.map(
        (r, i) => recipientItem(r, `input.recipients[${i}]`, shared, propertiesField).recipient,
      );
    }
    body.schedule = scheduleBody(input.schedule, 'input.schedule', this.now());
    return this.#created(create, body);
  }

  async #updateTrigger(
    kind: TriggerKind,
    id: string,
    scheduleId: string,
    schedule: ScheduleInput,
  ): Promise<ScheduleChangeShape> {
    const { update, idField, idArg } = TRIGGER[kind];
    await this.#send(update, {
      [idField]: nonEmpty(id, `input.${idArg}`),
      schedule_id: nonEmpty(scheduleId, 'input.scheduleId'),
      schedule: scheduleBody(schedule, 'input.schedule', this.now()),
    });
    return { scheduleId };
  }

  async #cancelTrigger(kind: TriggerKind, id: string, scheduleId: string): Promise<ScheduleChangeShape> {
    const { delete: endpoint, idField, idArg } = TRIGGER[kind];
    await this.#send(endpoint, {
      [idField]: nonEmpty(id, idArg),
      schedule_id: nonEmpty(scheduleId, 'scheduleId'),
    });
    return { scheduleId };
  }

  /** A create: its schedule and dispatch ids, which Braze always answers (§3.18). */
  async #created(endpoint: EndpointName, body: Obj): Promise<ScheduledMessageShape> {
    const answer = await this.#send(endpoint, body);
    const scheduleId = str(answer.schedule_id, { numbers: true });
    if (scheduleId === null) {
      // Braze scheduled something the caller cannot name: say so rather than invent an id.
      throw new UpstreamError('rejected', `Braze answered ${endpoint} without a schedule_id.`);
    }
    return { scheduleId, dispatchId: str(answer.dispatch_id, { numbers: true }) ?? '' };
  }

  /**
   * One request. A 400 refuses what this caller asked (an unknown campaign or schedule id, a time
   * Braze will not take): BAD_USER_INPUT with Braze's reason, since sending it again fails again.
   */
  async #send(
    endpoint: EndpointName,
    body: Obj | undefined,
    query?: SendOptions['query'],
  ): Promise<WireResponse> {
    try {
      const answer = await this.client.send(endpoint, body, {
        deadlineMs: this.deadlineMs,
        ...(query === undefined ? {} : { query }),
      });
      return answer.body;
    } catch (err) {
      if (err instanceof UpstreamError && err.kind === 'rejected' && err.status === 400) {
        const reason = err.brazeMessage ?? 'no reason given';
        throw new BadInputError(`Braze rejected ${ENDPOINTS[endpoint].path}: ${reason}.`);
      }
      throw err;
    }
  }
}
