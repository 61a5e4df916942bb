import { DEFAULT_RATE_LIMITS, type RateGroupName, type RateLimit } from '../budget/groups.js';

/**
 * Braze contract profiles (`BRAZE_CONTRACT`). They differ in how many objects one
 * `/users/track` request may carry and in the `users.track` rate limit (docs/braze-facts.md §2 row 1, C-10).
 */
export const CONTRACT_NAMES = ['legacy', 'current', 'mau'] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export interface TrackCapacity {
  /** Most objects of one kind (attributes, events or purchases) in one request. */
  perArray: number;
  /** Most objects in total across the three arrays in one request. */
  total: number;
}

export interface ContractProfile {
  track: TrackCapacity;
  /** Limits that differ from the seed's defaults under this contract. */
  rateLimits: Partial<Record<RateGroupName, RateLimit>>;
}

export const CONTRACTS: Readonly<Record<ContractName, ContractProfile>> = {
  // The seed: 75 events + 75 purchases + 75 attribute objects, 50,000 requests / minute.
  legacy: { track: { perArray: 75, total: 225 }, rateLimits: {} },
  // Data-point contracts since 2024-10: 75 objects in total, 3,000 requests / 3 s.
  current: {
    track: { perArray: 75, total: 75 },
    rateLimits: { 'users.track': { limit: 3_000, windowSec: 3 } },
  },
  // MAU CY24-25 contracts: at most 50 objects in total per request, plus a burst limit.
  mau: {
    track: { perArray: 50, total: 50 },
    rateLimits: { 'users.track': { limit: 3_000, windowSec: 3 } },
  },
};

export function isContractName(name: string): name is ContractName {
  return (CONTRACT_NAMES as readonly string[]).includes(name);
}

/** Each group's limit: the seed's default, then the contract's, then explicit overrides. */
export function effectiveRateLimits(
  contract: ContractName,
  overrides: Partial<Record<RateGroupName, RateLimit>> = {},
): Record<RateGroupName, RateLimit> {
  const limits: Record<RateGroupName, RateLimit> = {
    ...DEFAULT_RATE_LIMITS,
    ...CONTRACTS[contract].rateLimits,
  };
  for (const [group, limit] of Object.entries(overrides) as Array<[RateGroupName, RateLimit | undefined]>) {
    if (limit !== undefined) limits[group] = limit;
  }
  return limits;
}
