/**
 * The simulated workspace's email and SMS lists (docs/braze-facts.md §3.19): hard-bounced and
 * unsubscribed addresses, the spam list, and phone numbers marked invalid. Braze fills them from
 * delivery feedback, which the simulator has none of, so they start from a seed
 * (`SimulatorOptions.lists`, or `defaultLists` for a fresh `npm start`) and then change only
 * through the REST routes: a removed bounce disappears from `/email/hard_bounces`, a blocklisted
 * address appears there and in `/email/unsubscribes`.
 *
 * Addresses and numbers are kept as sent: the simulator does not normalise case or format.
 * Unsubscribes made through `/users/track` (`email_subscribe`) do not reach these lists.
 */

export type InvalidPhoneReason = 'provider_error' | 'deactivated';
export const INVALID_PHONE_REASONS: readonly InvalidPhoneReason[] = ['provider_error', 'deactivated'];

/** When an address or number joined a list: epoch ms or an ISO-8601 string. */
type When = number | string;

/**
 * Seed data for `SimulatorOptions.lists`. Each list given replaces that list of the default
 * seed; a list left out keeps it (so `{ hardBounces: [] }` means "no hard bounces").
 */
export interface ListsSeed {
  hardBounces?: Array<{ email: string; at: When }>;
  unsubscribes?: Array<{ email: string; at: When }>;
  spam?: Array<{ email: string; at: When }>;
  invalidPhones?: Array<{ phone: string; at: When; reason: InvalidPhoneReason }>;
}

const DAY_MS = 86_400_000;

/**
 * A few entries dated relative to `nowMs` (the simulator's start), so the playground's "hard
 * bounces of the last 7 days" has something to show in simulator mode.
 */
export function defaultLists(nowMs: number): Required<ListsSeed> {
  const ago = (days: number, hours = 0) => nowMs - days * DAY_MS - hours * 3_600_000;
  return {
    hardBounces: [
      { email: 'bounced-1@example.com', at: ago(1, 2) },
      { email: 'bounced-2@example.com', at: ago(3, 5) },
      { email: 'old-bounce@example.com', at: ago(20) },
    ],
    unsubscribes: [
      { email: 'left-1@example.com', at: ago(2, 1) },
      { email: 'left-2@example.com', at: ago(6, 3) },
    ],
    spam: [{ email: 'complained@example.com', at: ago(4) }],
    invalidPhones: [
      { phone: '+14155550100', at: ago(1, 4), reason: 'provider_error' },
      { phone: '+14155550101', at: ago(5), reason: 'deactivated' },
    ],
  };
}

export interface InvalidPhone {
  at: number;
  reason: InvalidPhoneReason;
}

const epochMs = (when: When): number => (typeof when === 'number' ? when : Date.parse(when));

export class ContactLists {
  /** Address → when it hard-bounced (epoch ms). */
  readonly hardBounces = new Map<string, number>();
  /** Address → when it unsubscribed. */
  readonly unsubscribes = new Map<string, number>();
  /** Address → when it was reported as spam. */
  readonly spam = new Map<string, number>();
  /** Number → when it was found invalid, and why. */
  readonly invalidPhones = new Map<string, InvalidPhone>();

  /** Replaces each list the seed gives. */
  seed(seed: ListsSeed): void {
    const fill = (list: Map<string, number>, entries: Array<{ email: string; at: When }> | undefined) => {
      if (entries === undefined) return;
      list.clear();
      for (const e of entries) list.set(e.email, epochMs(e.at));
    };
    fill(this.hardBounces, seed.hardBounces);
    fill(this.unsubscribes, seed.unsubscribes);
    fill(this.spam, seed.spam);
    if (seed.invalidPhones !== undefined) {
      this.invalidPhones.clear();
      for (const p of seed.invalidPhones)
        this.invalidPhones.set(p.phone, { at: epochMs(p.at), reason: p.reason });
    }
  }

  clear(): void {
    this.hardBounces.clear();
    this.unsubscribes.clear();
    this.spam.clear();
    this.invalidPhones.clear();
  }
}
