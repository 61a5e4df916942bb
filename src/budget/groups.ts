/**
 * Braze's rate-limit groups, as data. Each group is one shared bucket per Braze workspace
 * (docs/braze-facts.md §2). The seed's numbers are the defaults; `BRAZE_CONTRACT` and `RATE_LIMIT_<GROUP>`
 * override them (see config.ts). Nothing else in the code base repeats these numbers.
 */

export interface RateLimit {
  /** Requests allowed per window. */
  limit: number;
  /** Window length; windows are fixed and aligned to the clock (a 1 min window resets at :00). */
  windowSec: number;
}

export const RATE_GROUP_NAMES = [
  'users.track',
  'users.export.ids',
  'catalog.lists',
  'users.identity',
  'users.external_ids.rename',
  'users.external_ids.remove',
  'messaging.broadcast',
  'sends.id.create',
  'subscription.status.set',
  'campaigns.data_series',
  'default',
] as const;

export type RateGroupName = (typeof RATE_GROUP_NAMES)[number];

/** The seed's defaults (Braze's French "API overview"), with the groups added since. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<RateGroupName, RateLimit>> = {
  'users.track': { limit: 50_000, windowSec: 60 },
  'users.export.ids': { limit: 2_500, windowSec: 60 },
  'catalog.lists': { limit: 1_000, windowSec: 3_600 },
  'users.identity': { limit: 20_000, windowSec: 60 },
  'users.external_ids.rename': { limit: 1_000, windowSec: 60 },
  'users.external_ids.remove': { limit: 1_000, windowSec: 60 },
  'messaging.broadcast': { limit: 250, windowSec: 60 },
  'sends.id.create': { limit: 100, windowSec: 86_400 },
  'subscription.status.set': { limit: 5_000, windowSec: 60 },
  // Campaign analytics have a bucket of their own (docs/braze-facts.md §2 row 10).
  'campaigns.data_series': { limit: 50_000, windowSec: 60 },
  default: { limit: 250_000, windowSec: 3_600 },
};

/** `users.track` → `RATE_LIMIT_USERS_TRACK` (the public env contract). */
export function rateLimitEnvName(group: RateGroupName): string {
  return `RATE_LIMIT_${group.toUpperCase().replace(/\./g, '_')}`;
}

export function isRateGroupName(name: string): name is RateGroupName {
  return (RATE_GROUP_NAMES as readonly string[]).includes(name);
}

/** Start of the clock-aligned window containing `nowMs`, and its end (the reset time). */
export function windowBounds(nowMs: number, windowSec: number): { startMs: number; resetMs: number } {
  const windowMs = windowSec * 1000;
  const startMs = Math.floor(nowMs / windowMs) * windowMs;
  return { startMs, resetMs: startMs + windowMs };
}
