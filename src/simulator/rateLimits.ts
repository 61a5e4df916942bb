import {
  PER_AUDIENCE_LIMIT,
  RATE_GROUPS,
  fixedWindowStartMs,
  type RateGroup,
  type RateLimit,
} from './brazeRules.js';

/**
 * Braze's rate limiting as the simulator enforces it: one fixed, clock-aligned window per group
 * (docs/braze-facts.md §2, §4.2), counting every authenticated request routed to the group.
 */

export interface WindowStats {
  /** Most requests this simulator admitted in any single window (usage via `consume` excluded). */
  maxInAnyWindow: number;
  limit: number;
  /** Requests answered 429. */
  rejected429: number;
  windowSec: number;
}

export interface RateDecision {
  admitted: boolean;
  limit: number;
  remaining: number;
  /** End of the current window, epoch ms. */
  resetMs: number;
}

interface GroupState {
  limit: RateLimit;
  windowStartMs: number;
  /** Requests counted in the current window, including usage by "other systems". */
  used: number;
  /** Requests admitted over HTTP in the current window. */
  admitted: number;
  maxInAnyWindow: number;
  rejected429: number;
}

export class RateLimiter {
  private readonly groups = new Map<RateGroup, GroupState>();

  constructor(
    limits: Readonly<Record<RateGroup, RateLimit>>,
    private readonly now: () => number,
  ) {
    for (const g of RATE_GROUPS) {
      this.groups.set(g, {
        limit: { ...limits[g] },
        windowStartMs: Number.NEGATIVE_INFINITY,
        used: 0,
        admitted: 0,
        maxInAnyWindow: 0,
        rejected429: 0,
      });
    }
  }

  /** Counts one request against `group`; refused when the window is already full. */
  take(group: RateGroup): RateDecision {
    const s = this.current(group);
    const admitted = s.used < s.limit.limit;
    if (admitted) {
      s.used += 1;
      s.admitted += 1;
      s.maxInAnyWindow = Math.max(s.maxInAnyWindow, s.admitted);
    } else {
      s.rejected429 += 1;
    }
    return this.decision(s, admitted);
  }

  /** The group's current standing, without counting a request. */
  peek(group: RateGroup): RateDecision {
    const s = this.current(group);
    return this.decision(s, s.used < s.limit.limit);
  }

  /** Adds usage in the current window as another system sharing the workspace would. */
  consume(group: RateGroup, n: number): void {
    if (!Number.isFinite(n) || n < 0)
      throw new RangeError(`consume: n must be a non-negative number, got ${n}`);
    this.current(group).used += n;
  }

  /** Changes a group's limit. A new window length starts a new window; the statistics stay. */
  setLimit(group: RateGroup, limit: RateLimit): void {
    if (!(Number.isInteger(limit.limit) && limit.limit >= 0)) {
      throw new RangeError(`rate limit for ${group} must be a non-negative integer, got ${limit.limit}`);
    }
    if (!(Number.isFinite(limit.windowSec) && limit.windowSec > 0)) {
      throw new RangeError(
        `window for ${group} must be a positive number of seconds, got ${limit.windowSec}`,
      );
    }
    const s = this.state(group);
    if (s.limit.windowSec !== limit.windowSec) {
      s.windowStartMs = Number.NEGATIVE_INFINITY;
      s.used = 0;
      s.admitted = 0;
    }
    s.limit = { ...limit };
  }

  limitOf(group: RateGroup): RateLimit {
    return { ...this.state(group).limit };
  }

  stats(group: RateGroup): WindowStats {
    const s = this.state(group);
    return {
      maxInAnyWindow: s.maxInAnyWindow,
      limit: s.limit.limit,
      rejected429: s.rejected429,
      windowSec: s.limit.windowSec,
    };
  }

  /** Forgets usage and statistics; limits stay as configured. */
  reset(): void {
    for (const s of this.groups.values()) {
      s.windowStartMs = Number.NEGATIVE_INFINITY;
      s.used = 0;
      s.admitted = 0;
      s.maxInAnyWindow = 0;
      s.rejected429 = 0;
    }
  }

  private state(group: RateGroup): GroupState {
    const s = this.groups.get(group);
    if (s === undefined) throw new RangeError(`unknown rate group: ${String(group)}`);
    return s;
  }

  /** The group's state, rolled over to a fresh window when the clock has left the old one. */
  private current(group: RateGroup): GroupState {
    const s = this.state(group);
    const startMs = fixedWindowStartMs(this.now(), s.limit.windowSec);
    if (startMs !== s.windowStartMs) {
      s.windowStartMs = startMs;
      s.used = 0;
      s.admitted = 0;
    }
    return s;
  }

  private decision(s: GroupState, admitted: boolean): RateDecision {
    return {
      admitted,
      limit: s.limit.limit,
      remaining: Math.max(0, s.limit.limit - s.used),
      resetMs: s.windowStartMs + s.limit.windowSec * 1000,
    };
  }
}

/** At most 10 broadcast requests per minute per unique audience (brazeRules.ts `PER_AUDIENCE_LIMIT`). */
export const DEFAULT_BROADCAST_PER_AUDIENCE_LIMIT: Readonly<RateLimit> = PER_AUDIENCE_LIMIT;

/** Statistics of the per-audience broadcast limit. */
export interface AudienceStats {
  limit: number;
  windowSec: number;
  /** Most requests admitted for any one audience in any single window. */
  maxInAnyWindow: number;
  /** Requests answered 429 because their audience's window was full. */
  rejected429: number;
  /** Distinct audiences seen in the current window. */
  audiencesInWindow: number;
}

function checkLimit(what: string, limit: RateLimit): void {
  if (!(Number.isInteger(limit.limit) && limit.limit >= 0)) {
    throw new RangeError(`${what} must be a non-negative integer, got ${limit.limit}`);
  }
  if (!(Number.isFinite(limit.windowSec) && limit.windowSec > 0)) {
    throw new RangeError(`${what} window must be a positive number of seconds, got ${limit.windowSec}`);
  }
}

/**
 * Braze's second broadcast limit (docs/braze-facts.md §2 row 6): besides 250/min across all audiences, at most
 * 10 requests per minute per unique audience. One fixed, clock-aligned window shared by all
 * audiences; each audience counts on its own within it.
 */
export class AudienceLimiter {
  private limit: RateLimit;
  private windowStartMs = Number.NEGATIVE_INFINITY;
  /** Requests admitted per audience key in the current window; emptied when the window ends. */
  private readonly used = new Map<string, number>();
  private maxInAnyWindow = 0;
  private rejected429 = 0;

  constructor(
    limit: RateLimit,
    private readonly now: () => number,
  ) {
    checkLimit('broadcast per-audience limit', limit);
    this.limit = { ...limit };
  }

  /** Whether one more request for `audience` fits in the current window (nothing is counted). */
  admits(audience: string): boolean {
    this.roll();
    return (this.used.get(audience) ?? 0) < this.limit.limit;
  }

  /** Counts an admitted request for `audience`. */
  take(audience: string): void {
    this.roll();
    const n = (this.used.get(audience) ?? 0) + 1;
    this.used.set(audience, n);
    this.maxInAnyWindow = Math.max(this.maxInAnyWindow, n);
  }

  /** Notes a request refused because its audience's window was full. */
  reject(): void {
    this.rejected429 += 1;
  }

  setLimit(limit: RateLimit): void {
    checkLimit('broadcast per-audience limit', limit);
    if (limit.windowSec !== this.limit.windowSec) {
      this.windowStartMs = Number.NEGATIVE_INFINITY;
      this.used.clear();
    }
    this.limit = { ...limit };
  }

  stats(): AudienceStats {
    this.roll();
    return {
      limit: this.limit.limit,
      windowSec: this.limit.windowSec,
      maxInAnyWindow: this.maxInAnyWindow,
      rejected429: this.rejected429,
      audiencesInWindow: this.used.size,
    };
  }

  /** Forgets usage and statistics; the limit stays. */
  reset(): void {
    this.windowStartMs = Number.NEGATIVE_INFINITY;
    this.used.clear();
    this.maxInAnyWindow = 0;
    this.rejected429 = 0;
  }

  private roll(): void {
    const startMs = fixedWindowStartMs(this.now(), this.limit.windowSec);
    if (startMs !== this.windowStartMs) {
      this.windowStartMs = startMs;
      this.used.clear();
    }
  }
}
