import type { RateGroupName } from './groups.js';

/**
 * The rate-budget seam. The Braze client calls `acquire` before every request and `observe`
 * with Braze's `X-RateLimit-*` headers after it. Being over the limit is a result, not an error:
 * `acquire` resolves `{ ok: false, retryAfterMs }` when no unit frees up before the deadline.
 */
export type AcquireResult =
  | {
      ok: true;
      /**
       * When the window the unit was counted in ends, on this process's clock. A request not
       * sent by then would land in the next window at Braze: the caller asks again instead.
       */
      windowEndsAtMs?: number;
      /** Fair shares on: the caller charged with the unit (see `RateBudget.split`). */
      charge?: Charge;
    }
  | { ok: false; retryAfterMs: number };

/** Braze's view of a group's window, read from one response (docs/braze-facts.md §4.1). */
export interface RateHeaders {
  limit?: number;
  remaining?: number;
  /** End of the current window, epoch ms. */
  resetAtMs?: number;
  /** The answer's `Date` header, epoch ms (Braze's own clock, whole seconds). */
  serverDateMs?: number;
}

export interface AcquireOptions {
  /** A broadcast's unique audience, whose own bucket must have room too. */
  audience?: string;
  /** Aborting stops the wait: the caller no longer wants the unit (resolves `{ ok: false }`). */
  signal?: AbortSignal;
  /**
   * Told when the caller starts waiting, with the earliest time (epoch ms) a unit may free up:
   * a lane refuses at once the items whose deadlines end before then.
   */
  onWait?: (untilMs: number) => void;
  /**
   * Fair shares on: the callers whose items this unit may carry. The budget grants units to
   * callers in proportion to their shares, and says which one it charged (`charge`).
   */
  callers?: CallerDemand;
}

/** The caller a fair grant charged, and the window (store clock) the charge belongs to. */
export interface Charge {
  caller: string;
  resetAtMs: number;
}

/** Items waiting per caller: a live view, read by the budget at each take (fair shares). */
export type CallerDemand = ReadonlyMap<string, number>;

export interface ObserveOptions {
  /** The broadcast audience the answered request was for (as given to `acquire`). */
  audience?: string;
  /**
   * The 429 was about one resource of the endpoint (a segment already being exported), not the
   * group's window: the count is reconciled from the headers and the window is not emptied.
   */
  resourceBusy?: boolean;
}

export interface RateBudget {
  /** Take one request unit from `group`, waiting (FIFO) no later than `deadlineMs` (epoch ms). */
  acquire(group: RateGroupName, deadlineMs: number, opts?: AcquireOptions): Promise<AcquireResult>;
  /** A refusal's retry hint for `group`: the time until its current window ends. */
  retryHintMs(group: RateGroupName): number;
  /**
   * Reconcile with what Braze reported for `group`: its headers and the answer's status, told
   * as soon as the answer arrives (the arrival time dates the reset, to infer Braze's window).
   */
  observe(group: RateGroupName, headers: RateHeaders, status: number, opts?: ObserveOptions): void;
  /**
   * A fair grant's request carried items of several callers: spread its one unit over them by
   * items (`counts`), instead of charging it all to `charge.caller`.
   */
  split?(group: RateGroupName, charge: Charge, counts: CallerDemand): void;
  close(): Promise<void>;
}
