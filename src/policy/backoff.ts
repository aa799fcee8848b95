import type { Jitter } from './options.js';

/** How waits grow and spread; the policy has one for most failures and one for 429 rate limits. */

export interface BackoffSchedule {
  readonly initialDelay: number;
  readonly multiplier: number;
  readonly maxDelay: number;
  readonly jitter: Jitter;
}

/** `d_k = min(maxDelay, initialDelay · multiplier^(k-1))` for retry k = 1, 2, … */
export function exponentialDelay(schedule: BackoffSchedule, retry: number): number {
  // 0 · Infinity is NaN, and a huge k overflows to Infinity: both are settled by the guards.
  if (schedule.initialDelay === 0) return 0;
  return Math.min(schedule.maxDelay, schedule.initialDelay * schedule.multiplier ** (retry - 1));
}

/**
 * The wait before retry k under the schedule's jitter. `previousDelay` is the wait before
 * retry k-1 (only decorrelated jitter uses it). `random` returns a uniform number in [0, 1).
 */
export function backoffDelay(schedule: BackoffSchedule, retry: number, previousDelay: number | undefined, random: () => number): number {
  const { initialDelay, maxDelay } = schedule;
  switch (schedule.jitter) {
    case 'none':
      return exponentialDelay(schedule, retry);
    case 'full':
      return random() * exponentialDelay(schedule, retry);
    case 'equal': {
      const ceiling = exponentialDelay(schedule, retry);
      return ceiling / 2 + (random() * ceiling) / 2;
    }
    case 'decorrelated': {
      const upper = Math.max(initialDelay, 3 * (previousDelay ?? initialDelay));
      return Math.min(maxDelay, initialDelay + random() * (upper - initialDelay));
    }
  }
}

/**
 * How far past a server's firm hint a call may be spread, as a share of the hint at the first retry,
 * doubling at each retry after it. Small, so a lone caller told "1 s" is back by 1.2 s; a crowd told
 * the same time is spread by its Upstream's pacing instead, and callers that share nothing spread
 * more with every refusal.
 */
export const HINT_SPREAD_RATIO = 0.2;

/** The share of the hint a spread may reach at retry k; bounded so that a huge k stays finite (0 · Infinity is NaN). */
export function hintSpreadShare(retry: number): number {
  return HINT_SPREAD_RATIO * 2 ** Math.min(retry - 1, 30);
}

/**
 * The wait when the server named a least wait (`floor`): never shorter than the floor, with a
 * random spread on top so that clients told the same time do not return in one wave. The spread is
 * at most the backoff's own window and `HINT_SPREAD_RATIO · 2^(k-1)` times the hint, and the result
 * never exceeds `maxDelay`.
 */
export function delayAfterServerHint(schedule: BackoffSchedule, retry: number, floor: number, random: () => number): number {
  // Stryker disable next-line EqualityOperator: at floor === maxDelay the spread below is 0, so `>` gives maxDelay too
  if (floor >= schedule.maxDelay) return schedule.maxDelay;
  if (schedule.jitter === 'none') return floor;
  const spread = Math.min(exponentialDelay(schedule, retry), schedule.maxDelay - floor, hintSpreadShare(retry) * floor);
  return floor + random() * spread;
}
