import type { CoordinatorAnswer, WaitReason } from '../coordination/coordinator.js';
import { isRateLimitError } from '../http/classify.js';
import { rateLimitResetMs, retryAfterMs } from '../http/server-hints.js';
import { backoffDelay, delayAfterServerHint, exponentialDelay } from './backoff.js';
import type { GiveUpReason, RetryPolicy } from './options.js';

/**
 * Whether to retry after a failed attempt, and after how long. The one place for every waiting
 * rule: classification's verdict, firm and soft server hints, `maxDelay`, jitter, rounding, the
 * deadline, and the coordinator's word. Pure: time and randomness come in as arguments.
 *
 * It runs in two steps because the coordinator is asked in between, and only about a retry the
 * call itself would make: `planRetry` gives the call's own answer, `decide` folds in the
 * coordinator's and applies the limits that hold whatever anyone said.
 */

export interface FailedAttempt {
  readonly error: unknown;
  /** The number of the attempt that failed (1 for the first call). */
  readonly attempt: number;
  /** The classification's verdict (or `retryIf`'s); an attempt cut by `attemptTimeout` is retryable. */
  readonly retryable: boolean;
  /** The retry goes to another target at once (`failoverIf`): no wait, and no hint of the failed one applies. */
  readonly failover: boolean;
  /** Why the call must end whatever the error: the caller aborted, or the deadline passed. */
  readonly stopped: 'aborted' | 'deadline' | undefined;
  readonly now: number;
  /** When the call's `timeout` ends (Infinity without one). */
  readonly deadline: number;
  /** The wait before the attempt that failed, if it was a retry (decorrelated jitter uses it). */
  readonly previousDelay: number | undefined;
}

export type Decision =
  | { readonly retry: false; readonly reason: GiveUpReason }
  | {
    readonly retry: true;
    /** Milliseconds to wait before the next attempt. */
    readonly delay: number;
    /** The wait the server asked for, firm or soft, if any. */
    readonly serverHint: number | undefined;
    /** The firm hint alone: no wait may be shorter. */
    readonly firmHint: number | undefined;
    readonly reason: WaitReason;
  };

/** The call's own answer: give up, or retry after its backoff and the server's hints. */
export function planRetry(policy: RetryPolicy, failed: FailedAttempt, random: () => number): Decision {
  if (failed.stopped !== undefined) return { retry: false, reason: failed.stopped };
  if (!failed.retryable) return { retry: false, reason: 'not-retryable' };
  if (failed.attempt > policy.maxRetries) return { retry: false, reason: 'retries-exhausted' };
  // The failed target's hint is reported, not waited for: the next target never sent it.
  if (failed.failover) return { retry: true, delay: 0, serverHint: retryAfterMs(failed.error, failed.now), firmHint: undefined, reason: 'failover' };
  const { error, now } = failed;
  const schedule = isRateLimitError(error) ? policy.rateLimit : policy;
  const firmHint = retryAfterMs(error, now);
  if (firmHint !== undefined) {
    // Waiting less would only earn another refusal; waiting more than maxDelay is not allowed.
    if (firmHint > policy.maxDelay) return { retry: false, reason: 'hint-exceeds-max-delay' };
    const delay = delayAfterServerHint(schedule, failed.attempt, firmHint, random);
    return { retry: true, delay, serverHint: firmHint, firmHint, reason: 'server-hint' };
  }
  const backoff = backoffDelay(schedule, failed.attempt, failed.previousDelay, random);
  // A soft hint says when the limit is full again, not the least wait: it may only lengthen.
  const softHint = rateLimitResetMs(error);
  if (softHint === undefined || softHint <= backoff) return { retry: true, delay: backoff, serverHint: softHint, firmHint: undefined, reason: 'backoff' };
  const delay = delayAfterServerHint(schedule, failed.attempt, Math.min(softHint, policy.maxDelay), random);
  return { retry: true, delay, serverHint: softHint, firmHint: undefined, reason: 'server-hint' };
}

/**
 * How long a call may still wait in all after attempt `failedAttempt`: what is left of its `timeout`
 * when it has one (the caller said how long it will wait), else what its remaining retries would
 * wait at most under its own schedule.
 */
export function patience(policy: RetryPolicy, failedAttempt: number, now: number, deadline: number): number {
  if (deadline !== Infinity) return deadline - now;
  let total = 0;
  for (let retry = failedAttempt; retry <= policy.maxRetries; retry++) {
    const delay = exponentialDelay(policy, retry);
    if (delay === 0) break; // and so are all after it (initialDelay 0)
    // From the cap on, every wait is maxDelay: no need to count them one by one (maxRetries may be huge).
    if (delay >= policy.maxDelay) return total + (policy.maxRetries - retry + 1) * policy.maxDelay;
    total += delay;
  }
  return total;
}

/** The longest a call may wait from `now`: its `maxDelay`, and what is left before its deadline. */
export function longestWait(policy: RetryPolicy, now: number, deadline: number): number {
  return Math.min(policy.maxDelay, deadline - now);
}

/**
 * The final decision: the plan with the coordinator's answer folded in (it replaces the planned
 * wait, never below the firm hint), in whole milliseconds rounded up so that a hint is never cut
 * short, at most `maxDelay`, and only if the wait ends before the deadline.
 */
export function decide(policy: RetryPolicy, plan: Decision, answer: CoordinatorAnswer | undefined, failed: FailedAttempt): Decision {
  if (!plan.retry) return plan;
  if (answer !== undefined && 'refuse' in answer) return { retry: false, reason: answer.refuse };
  const wanted = answer === undefined ? plan.delay : Math.max(answer.wait, plan.firmHint ?? 0);
  const delay = Math.min(Math.ceil(wanted), policy.maxDelay);
  if (delay >= failed.deadline - failed.now) return { retry: false, reason: 'deadline' };
  const reason = answer === undefined || answer.wait <= plan.delay ? plan.reason : answer.reason;
  return { ...plan, delay, reason };
}
