import { Attempt, runFirstAttempt, runInAttempt } from './attempt-context.js';
import { backoffDelay, delayAfterServerHint } from '../policy/backoff.js';
import { isRateLimitError, isRetryableError } from '../http/classify.js';
import type { GiveUpReason, RetryPolicy } from '../policy/options.js';
import { reportHookError, runHook } from './hooks.js';
import { isPromiseLike } from './promise-like.js';
import { rateLimitResetMs, retryAfterMs } from '../http/server-hints.js';

/** `Class.method` for messages and hooks: a string, or computed from `this` only when needed. */
export type MethodLabel = string | ((thisArg: unknown) => string);

/**
 * Runs `fn` under `policy`: the first attempt at once, then retries with backoff. This is the only
 * code that touches time. `args` undefined means `fn` receives the attempt context instead.
 *
 * The happy path allocates one derived promise and the closure that would retry; the attempt
 * context is built only if asked for, and the retry machinery (`RetryingCall`) only after a
 * failure, or up front when timers or a budget must watch the call from its start.
 */
export function callWithRetry(
  policy: RetryPolicy,
  label: MethodLabel,
  fn: Function,
  thisArg: unknown,
  args: readonly unknown[] | undefined,
  callerSignal: AbortSignal | undefined,
): Promise<unknown> {
  if (callerSignal?.aborted || policy.timeout !== undefined || policy.attemptTimeout !== undefined || policy.budget !== undefined) {
    return superviseFromStart(policy, label, fn, thisArg, args, callerSignal);
  }
  let result: unknown;
  try {
    result = runFirstAttempt(policy.maxRetries, callerSignal, fn, thisArg, args);
  } catch (error) {
    result = Promise.reject(error);
  }
  if (!isPromiseLike(result)) return Promise.reject(notAPromise(label, thisArg, result));
  return asPromise(result).then(undefined, (error: unknown) =>
    new RetryingCall(policy, label, fn, thisArg, args, callerSignal).resumeAfterFirstAttempt(error));
}

// Kept out of callWithRetry so that the happy path stays small enough for V8 to inline.
function superviseFromStart(
  policy: RetryPolicy,
  label: MethodLabel,
  fn: Function,
  thisArg: unknown,
  args: readonly unknown[] | undefined,
  callerSignal: AbortSignal | undefined,
): Promise<unknown> {
  if (callerSignal?.aborted) return Promise.reject(callerSignal.reason);
  return new RetryingCall(policy, label, fn, thisArg, args, callerSignal).start();
}

/**
 * A promise passes through as it is; another thenable is adopted, so the caller always gets a
 * Promise. (`Promise.resolve` alone would do, but its constructor check costs a tenth of the happy path.)
 */
function asPromise(thenable: PromiseLike<unknown>): Promise<unknown> {
  return thenable instanceof Promise ? thenable : Promise.resolve(thenable);
}

function labelText(label: MethodLabel, thisArg: unknown): string {
  return typeof label === 'string' ? label : label(thisArg);
}

function notAPromise(label: MethodLabel, thisArg: unknown, result: unknown): TypeError {
  const got = result === null ? 'null' : typeof result;
  return new TypeError(`@Retryable on ${labelText(label, thisArg)}: the method must return a Promise, but it returned ${got}`);
}

/** The state of one call once it may retry: timers, the caller's signal and the attempts. */
class RetryingCall {
  private resolve!: (value: unknown) => void;
  private reject!: (reason: unknown) => void;
  private readonly promise = new Promise<unknown>((resolve, reject) => {
    this.resolve = resolve;
    this.reject = reject;
  });
  private attempt: Attempt | undefined;
  private attemptInFlight = false;
  private lastError: unknown;
  private previousDelay: number | undefined;
  private startedAt = 0;
  private deadlinePassed = false;
  private settled = false;
  private waitTimer: unknown;
  private attemptTimer: unknown;
  private deadlineTimer: unknown;
  private readonly onCallerAbort = () => this.callerAborted();

  constructor(
    private readonly policy: RetryPolicy,
    private readonly label: MethodLabel,
    private readonly fn: Function,
    private readonly thisArg: unknown,
    private readonly args: readonly unknown[] | undefined,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    callerSignal?.addEventListener('abort', this.onCallerAbort);
  }

  /** The supervised path: timers and the budget watch the call from its first attempt. */
  start(): Promise<unknown> {
    const { clock, timeout, budget } = this.policy;
    this.startedAt = clock.now();
    if (timeout !== undefined) this.deadlineTimer = clock.setTimeout(() => this.deadlineReached(), timeout);
    const hold = budget?.holdBeforeFirstAttempt(this.startedAt, this.policy.random) ?? 0;
    if (hold > 0) this.waitTimer = clock.setTimeout(() => this.runAttempt(1), hold);
    else this.runAttempt(1);
    return this.promise;
  }

  /** The unsupervised path: the first attempt ran without us and failed. */
  resumeAfterFirstAttempt(error: unknown): Promise<unknown> {
    const attempt = new Attempt(1, this.policy.maxRetries, this.callerSignal);
    this.attempt = attempt;
    this.attemptInFlight = true;
    this.startedAt = this.policy.clock.now();
    this.attemptFailed(attempt, error);
    return this.promise;
  }

  private runAttempt(number: number): void {
    this.waitTimer = undefined;
    const { policy, callerSignal } = this;
    if (callerSignal !== undefined && callerSignal.aborted) return this.giveUp(callerSignal.reason, 'aborted');
    const attempt = new Attempt(number, policy.maxRetries, callerSignal);
    this.attempt = attempt;
    this.attemptInFlight = true;
    if (policy.attemptTimeout !== undefined || policy.timeout !== undefined) {
      attempt.controller = new AbortController();
    }
    if (policy.attemptTimeout !== undefined) {
      const limit = policy.attemptTimeout;
      this.attemptTimer = policy.clock.setTimeout(() => {
        this.attemptTimer = undefined;
        attempt.timedOut = true;
        attempt.controller!.abort(timeoutReason('attemptTimeout', limit));
      }, limit);
    }
    let result: unknown;
    try {
      result = runInAttempt(attempt, this.fn, this.thisArg, this.args);
    } catch (error) {
      return this.attemptFailed(attempt, error);
    }
    if (!isPromiseLike(result)) return this.giveUp(notAPromise(this.label, this.thisArg, result), 'not-retryable');
    asPromise(result).then(
      (value) => this.attemptSucceeded(value),
      (error: unknown) => this.attemptFailed(attempt, error),
    );
  }

  private attemptSucceeded(value: unknown): void {
    this.policy.budget?.recordSuccess(this.policy.clock.now());
    this.finish();
    this.resolve(value);
  }

  private attemptFailed(attempt: Attempt, error: unknown): void {
    this.attemptInFlight = false;
    this.lastError = error;
    this.clearAttemptTimer();
    const { policy, callerSignal } = this;
    if (callerSignal !== undefined && callerSignal.aborted) return this.giveUp(callerSignal.reason, 'aborted');
    if (this.deadlinePassed) return this.giveUp(error, 'deadline');
    if (!attempt.timedOut && !this.shouldRetry(error, attempt)) return this.giveUp(error, 'not-retryable');
    if (attempt.attempt > policy.maxRetries) return this.giveUp(error, 'retries-exhausted');

    const now = policy.clock.now();
    const retry = attempt.attempt;
    const rateLimited = isRateLimitError(error);
    const firmHint = retryAfterMs(error, now);
    if (firmHint !== undefined && firmHint > policy.maxDelay) return this.giveUp(error, 'hint-exceeds-max-delay');
    const { serverHint, delay: planned } = this.delayBeforeRetry(error, retry, rateLimited, firmHint);
    let delay = planned;
    if (policy.budget !== undefined) {
      const allowed = policy.budget.beforeRetry({ now, delay, firmHint, rateLimited, error, random: policy.random });
      if (allowed === undefined) return this.giveUp(error, 'budget');
      delay = allowed;
    }
    // Whole milliseconds, rounded up so that a server hint is never cut short; timers cannot do better.
    delay = Math.min(Math.ceil(delay), policy.maxDelay);
    if (policy.timeout !== undefined && delay >= this.startedAt + policy.timeout - now) return this.giveUp(error, 'deadline');

    this.previousDelay = delay;
    runHook(policy.onRetry, { error, attempt: retry, delay, serverHint, method: labelText(this.label, this.thisArg) }, 'onRetry');
    if (this.settled) return; // a hook may have aborted the caller's signal
    this.waitTimer = policy.clock.setTimeout(() => this.runAttempt(retry + 1), delay);
  }

  /**
   * Backoff from the schedule of this kind of failure, unless the server named a wait: a firm hint
   * replaces the backoff, a soft one may only lengthen it. Either gets a spread on top.
   */
  private delayBeforeRetry(error: unknown, retry: number, rateLimited: boolean, firmHint: number | undefined): { delay: number; serverHint: number | undefined } {
    const { policy } = this;
    const schedule = rateLimited ? policy.rateLimit : policy;
    if (firmHint !== undefined) return { delay: delayAfterServerHint(schedule, retry, firmHint, policy.random), serverHint: firmHint };
    const backoff = backoffDelay(schedule, retry, this.previousDelay, policy.random);
    const softHint = rateLimitResetMs(error);
    if (softHint === undefined || softHint <= backoff) return { delay: backoff, serverHint: softHint };
    return { delay: delayAfterServerHint(schedule, retry, Math.min(softHint, policy.maxDelay), policy.random), serverHint: softHint };
  }

  private shouldRetry(error: unknown, attempt: Attempt): boolean {
    const { retryIf } = this.policy;
    if (retryIf === undefined) return isRetryableError(error);
    try {
      const verdict = retryIf(error, attempt);
      // Not awaited: only `true` retries. A rejection must still be reported, never left unhandled.
      if (isPromiseLike(verdict)) verdict.then(undefined, (hookError: unknown) => reportHookError('retryIf', hookError));
      return verdict === true;
    } catch (hookError) {
      reportHookError('retryIf', hookError);
      return false;
    }
  }

  private callerAborted(): void {
    if (this.settled) return;
    const reason = this.callerSignal!.reason;
    // An attempt in flight is cancelled through its signal and settles by itself; a wait ends now.
    if (this.attemptInFlight) this.attempt?.controller?.abort(reason);
    else this.giveUp(reason, 'aborted');
  }

  private deadlineReached(): void {
    this.deadlineTimer = undefined;
    this.deadlinePassed = true;
    if (this.attemptInFlight) this.attempt?.controller?.abort(timeoutReason('timeout', this.policy.timeout!));
    // Waiting: the caller gets the last attempt's error, or, if the budget held the first
    // attempt back until now, the timeout itself.
    else this.giveUp(this.attempt !== undefined ? this.lastError : timeoutReason('timeout', this.policy.timeout), 'deadline');
  }

  private giveUp(error: unknown, reason: GiveUpReason): void {
    if (this.settled) return;
    this.finish();
    runHook(this.policy.onGiveUp, { error, attempts: this.attempt?.attempt ?? 0, reason, method: labelText(this.label, this.thisArg) }, 'onGiveUp');
    this.reject(error);
  }

  private finish(): void {
    this.settled = true;
    this.attemptInFlight = false;
    const { clock } = this.policy;
    if (this.waitTimer !== undefined) clock.clearTimeout(this.waitTimer);
    if (this.deadlineTimer !== undefined) clock.clearTimeout(this.deadlineTimer);
    this.clearAttemptTimer();
    this.waitTimer = this.deadlineTimer = undefined;
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }

  private clearAttemptTimer(): void {
    if (this.attemptTimer !== undefined) this.policy.clock.clearTimeout(this.attemptTimer);
    this.attemptTimer = undefined;
  }
}

function timeoutReason(option: 'timeout' | 'attemptTimeout', ms: number | undefined): DOMException {
  return new DOMException(`retryable: ${option} of ${ms} ms passed`, 'TimeoutError');
}
