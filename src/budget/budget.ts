import type { RateGroupName } from './groups.js';

/**
 * The rate-budget seam. The Braze client calls `acquire` before every request and `observe`
 * with Braze's `X-RateLimit-*` headers after it. Being over the limit is a result, not an error:
 * `acquire` resolves `{ ok: false, retryAfterMs }` when no unit frees up before the deadline.
 */
export type AcquireResult = { ok: true } | { ok: false; retryAfterMs: number };

/** Braze's view of a group's window, read from one response (facts §4.1). */
export interface RateHeaders {
  limit?: number;
  remaining?: number;
  /** End of the current window, epoch ms. */
  resetAtMs?: number;
}

export interface RateBudget {
  /** Take one request unit from `group`, waiting (FIFO) no later than `deadlineMs` (epoch ms). */
  acquire(group: RateGroupName, deadlineMs: number): Promise<AcquireResult>;
  /** Reconcile with what Braze reported for `group`. */
  observe(group: RateGroupName, headers: RateHeaders, status: number): void;
  close(): Promise<void>;
}

/**
 * A budget that never refuses: the seam's placeholder until the shared budget lands. Braze's own
 * 429s are still classified and reported as RATE_LIMITED.
 */
export class UnlimitedBudget implements RateBudget {
  async acquire(): Promise<AcquireResult> {
    return { ok: true };
  }
  observe(): void {}
  async close(): Promise<void> {}
}
