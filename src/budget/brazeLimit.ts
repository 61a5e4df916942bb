import type { RateLimit } from './groups.js';

/**
 * What Braze's `X-RateLimit-*` headers say about a group's limit (docs/braze-facts.md §4.1).
 *
 * `X-RateLimit-Limit` is a count with no unit of time: it counts requests in *Braze's* window
 * for the bucket, which is not necessarily the window configured for the group (a data-point
 * contract's `users.track` allows 3,000 per 3 s where the seed says 50,000 per minute). So a
 * limit is never applied on its own: its window is inferred first, and the pair is adopted
 * together, or not at all.
 *
 * Inferring the window. `X-RateLimit-Reset` is the end of Braze's current window, in whole epoch
 * seconds, and Braze's windows are fixed and aligned to the clock (§2, §4.2). A window of W
 * seconds fits an answer when
 *   - the reset falls on a multiple of W (a minute window ends at :00; an hour window on the
 *     hour; every minute boundary is also a 3 s and a 1 s boundary), and
 *   - the reset is at most W (plus `SKEW_TOLERANCE_MS` for clock skew) after the answer
 *     arrived, and not already past.
 * Several windows may fit one answer: one arriving in the last 3 s of a minute fits 3 s and
 * 1 min alike (and 1 s in its last 1.5 s). The rule:
 *   1. a window adopted from an earlier answer stays while it fits (no flapping between 1 s and
 *      3 s in the last second of every 3 s window);
 *   2. otherwise, among `BRAZE_WINDOWS_SEC` and the configured window, the longest that fits and
 *      is no longer than the configured one (else the shortest that fits). Every window that
 *      fits ends at Braze's reset, so they differ only after it, until the first answer of
 *      Braze's next window (a reset a whole window away) settles which it was. Until then a
 *      guess too long sends less than Braze allows for a moment; a guess too short (4 per 3 s
 *      read as 4 per second) sends more than Braze allows, and Braze answers 429s. The gateway
 *      promises never to be rate-limited by surprise, so it errs long;
 *   3. if no window fits (no reset header, a reset in the past, or one no window of Braze's
 *      could give), nothing is inferred and the limit is not adopted: the window in force and
 *      its limit stay. Counting a limit in the wrong window is the worse mistake (3,000 per 3 s
 *      read as 3,000 per minute throttles twenty-fold); Braze's `Remaining` and 429s still move
 *      the count up meanwhile.
 *
 * Examples: a group configured 50,000/1 min gets limit 1,000 with a reset 40 s away on a minute
 * boundary: only 1 min (and longer) fits, so 1,000/1 min. The same group gets limit 3,000 with a
 * reset 1.8 s away at 12:00:03: 1 min does not fit (12:00:03 ends no minute), 3 s does: 3,000/3 s.
 * A group configured 3,000/3 s gets limit 1,000 with a reset 40 s away at a minute boundary: 3 s
 * does not fit (40 s > 3 s), 1 min does: 1,000/1 min.
 */

/** The windows Braze uses (docs/braze-facts.md §2): 1 s tiers, 3 s bursts, minute, hour, day. */
export const BRAZE_WINDOWS_SEC: readonly number[] = [1, 3, 60, 3_600, 86_400];

/** Our clock may run behind Braze's by this much (answers arriving late only shorten the wait). */
export const SKEW_TOLERANCE_MS = 500;

/**
 * The window Braze's answer counts in, or undefined when the answer does not tell (rule above).
 * `adoptedSec` is the window adopted from earlier answers, if any; `configuredSec` the group's
 * configured window; `receivedAtMs` when the answer arrived.
 */
export function inferWindowSec(
  resetAtMs: number | undefined,
  receivedAtMs: number,
  windows: { adoptedSec?: number; configuredSec: number },
): number | undefined {
  if (resetAtMs === undefined || !Number.isFinite(resetAtMs)) return undefined;
  const untilResetMs = resetAtMs - receivedAtMs;
  const fits = (windowSec: number): boolean =>
    resetAtMs % (windowSec * 1000) === 0 &&
    untilResetMs > -SKEW_TOLERANCE_MS &&
    untilResetMs <= windowSec * 1000 + SKEW_TOLERANCE_MS;
  if (windows.adoptedSec !== undefined && fits(windows.adoptedSec)) return windows.adoptedSec;
  // The longest fitting window up to the configured one, else the shortest fitting one.
  let upToConfigured: number | undefined;
  let shortest: number | undefined;
  for (const windowSec of candidateWindowsSec(windows.configuredSec)) {
    if (!fits(windowSec)) continue;
    shortest ??= windowSec;
    if (windowSec <= windows.configuredSec) upToConfigured = windowSec;
  }
  return upToConfigured ?? shortest;
}

/** Braze's windows and the configured one, shortest first (asked for at every answer: kept). */
const candidatesByConfiguredSec = new Map<number, readonly number[]>();

function candidateWindowsSec(configuredSec: number): readonly number[] {
  let candidates = candidatesByConfiguredSec.get(configuredSec);
  if (candidates === undefined) {
    candidates = [...new Set([...BRAZE_WINDOWS_SEC, configuredSec])].sort((a, b) => a - b);
    candidatesByConfiguredSec.set(configuredSec, candidates);
  }
  return candidates;
}

/**
 * Whether Braze's limit binds tighter than the configured one: the configured limit would let
 * more requests through in one of Braze's windows than Braze allows. With equal windows this is
 * simply a lower count. With a shorter Braze window the configured count could all land in it
 * (50,000/min can burst past 3,000 in 3 s); with a longer one the configured rate is summed
 * over it (3,000/3 s is 60,000 a minute, past a Braze limit of 20,000/min).
 */
export function bindsTighter(configured: RateLimit, braze: RateLimit): boolean {
  const perBrazeWindow =
    braze.windowSec <= configured.windowSec
      ? configured.limit
      : configured.limit * (braze.windowSec / configured.windowSec);
  return perBrazeWindow > braze.limit;
}
