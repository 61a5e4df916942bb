import type { Dispatch } from './store.js';

/**
 * Scheduled sends the simulated workspace holds (docs/braze-facts.md §3.18): what
 * /messages/schedule/create and the two scheduled-trigger creates accepted, until an update
 * replaces their schedule (or messages) or a delete cancels them. /messages/scheduled_broadcasts
 * lists the ones that belong to a campaign or Canvas. The simulator never fires them: a test reads
 * what Braze would send from here.
 */

/** Which create made a scheduled send. */
export type ScheduleEndpoint =
  'messages.schedule.create' | 'campaigns.trigger.schedule.create' | 'canvas.trigger.schedule.create';

/** A checked `schedule` object (docs/braze-facts.md §3.18) and when it sends. */
export interface SimSchedule {
  /** `time` as sent. */
  time: string;
  inLocalTime: boolean;
  atOptimalTime: boolean;
  /** Epoch ms at which the first user's message goes out (the earliest time zone for local sends). */
  firstSendMs: number;
  /** Epoch ms after which nobody is left to send to (the latest time zone for local sends). */
  lastSendMs: number;
}

/**
 * One scheduled send, for tests to inspect: what a dispatch of it would record (its campaign or
 * Canvas, send id, broadcast, segment, audience, messages or properties) and its schedule.
 */
export interface ScheduledSend extends Omit<Dispatch, 'endpoint' | 'at' | 'recipients' | 'skipped'> {
  scheduleId: string;
  endpoint: ScheduleEndpoint;
  /** Named users as sent: `external_user_ids` and `user_aliases` entries, or trigger `recipients`. */
  recipients: unknown[];
  schedule: SimSchedule;
  /** Simulator clock, epoch ms. */
  createdAt: number;
  updatedAt: number;
}

/** Scheduled sends kept at most (the oldest are forgotten first). */
export const SCHEDULE_CAP = 10_000;

export class ScheduleBook {
  readonly #byId = new Map<string, ScheduledSend>();

  /** Number of scheduled sends held. */
  get size(): number {
    return this.#byId.size;
  }

  add(s: ScheduledSend): void {
    this.#byId.set(s.scheduleId, s);
    // A Map iterates in insertion order: the first key is the oldest schedule.
    for (const id of this.#byId.keys()) {
      if (this.#byId.size <= SCHEDULE_CAP) break;
      this.#byId.delete(id);
    }
  }

  get(scheduleId: string): ScheduledSend | undefined {
    return this.#byId.get(scheduleId);
  }

  /** Cancels a schedule; false when there is none with this id. */
  delete(scheduleId: string): boolean {
    return this.#byId.delete(scheduleId);
  }

  /** Every scheduled send, oldest first. */
  all(): ScheduledSend[] {
    return [...this.#byId.values()];
  }

  clear(): void {
    this.#byId.clear();
  }
}
