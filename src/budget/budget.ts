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
  /**
   * Take one request unit from `group`, waiting (FIFO) no later than `deadlineMs` (epoch ms).
   * `audience` names a broadcast's unique audience, whose own bucket must have room too.
   */
  acquire(group: RateGroupName, deadlineMs: number, audience?: string): Promise<AcquireResult>;
  /** Reconcile with what Braze reported for `group`. */
  observe(group: RateGroupName, headers: RateHeaders, status: number): void;
  close(): Promise<void>;
}
