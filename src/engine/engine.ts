import type { AttemptTarget, CoordinatorAnswer } from '../coordination/coordinator.js';
import { failureKind, errorStatus, isRetryableError } from '../http/classify.js';
import { retryAfterMs } from '../http/server-hints.js';
import { decide, longestWait, patience, planRetry, type FailedAttempt } from '../policy/decide.js';
import type { GiveUpReason, RetryPolicy } from '../policy/options.js';
import { onAbort } from './abort-fanout.js';
import { Attempt, passAttemptTo, runFirstAttempt, runInAttempt, takeFirstAttempt } from './attempt-context.js';
import { reportHookError, runHook } from './hooks.js';
import { isPromiseLike } from './promise-like.js';
import { GiveUp, timeoutReason } from './give-up.js';
import { RejectedResultError } from './rejected-result.js';
import { verdict } from './user-rules.js';
import { observeCall, type CallObserver } from '../telemetry/call-observer.js';
import { openTelemetryRegistrations } from '../telemetry/otel-global.js';

/** `Class.method` for messages and hooks: a string, or computed from `this` only when needed. */
export type MethodLabel = string | ((thisArg: unknown) => string);

/**
 * What a call site gives the engine once for all its calls (a decorated method, `retry()`): the
 * function each attempt calls, with the call's `this` and arguments, and the name of its calls.
 * One object rather than two values, so that a call keeps one reference to it for a retry.
 */
export interface CallSite {
  readonly fn: Function;
  readonly label: MethodLabel;
}

/**
 * Runs `fn` under `policy`: the first attempt at once, then retries as `decide` says. This engine
 * is the only code that waits or reads the clock.
 *
 * The happy path is kept apart and small: it calls the method and attaches one rejection handler.
 * Everything else (timers, waits, the coordinator's questions) starts in `RetryingCall` after a
 * failure, or from the start when timers or a busy upstream must watch the call from its start.
 * Rare branches sit in functions of their own, and the fast path is one function, so that V8 can
 * inline the wrapper, the fast path and the method itself into the caller. V8 inlines a chain of
 * calls while their bytecode, argument moves included, fits a budget (920 bytes on Node 20); past
 * it the method is called, not inlined, and the happy path costs a fifth more (bench/README.md).
 */
export function callWithRetry(policy: RetryPolicy, site: CallSite, thisArg: unknown, args: readonly unknown[], callerSignal: AbortSignal | undefined): Promise<unknown> {
  if (callerSignal?.aborted || openTelemetryRegistrations() !== undefined || watchedFromStart(policy)) {
    return startWatched(policy, site, thisArg, args, callerSignal);
  }
  // The fast path: the first attempt runs at once, and only a failure starts the retrying loop.
  const result = runFirstAttempt(policy.maxRetries, callerSignal, site.fn, thisArg, args);
  const attempt = takeFirstAttempt();
  // A promise is tested for alone: when V8 inlines the method, it knows the answer.
  if (attempt !== undefined || !(result instanceof Promise)) return settleFirstAttempt(policy, site, thisArg, args, callerSignal, result, attempt);
  return result.then(policy.passSuccess, retryAfterFailure(policy, site, thisArg, args));
}

/** Timers, `retryOnResult` or a busy coordinator must watch the call from its first attempt. */
function watchedFromStart({ watchFromStart, retryOnResult, upstream }: RetryPolicy): boolean {
  return watchFromStart || retryOnResult !== undefined || (upstream !== undefined && !upstream.calm);
}

/** A call that may need more than the fast path: aborted already, observed by telemetry, or watched from its start. */
function startWatched(policy: RetryPolicy, site: CallSite, thisArg: unknown, args: readonly unknown[], callerSignal: AbortSignal | undefined): Promise<unknown> {
  // Aborted before it began: the engine never takes charge, so no hook runs and nothing is held.
  if (callerSignal?.aborted) return Promise.reject(callerSignal.reason);
  const observer = openTelemetryRegistrations() && observeCall(policy, labelText(site, thisArg));
  if (observer === undefined && !watchedFromStart(policy)) {
    // Telemetry is registered but does not observe this call (`telemetry: false`): the fast path's
    // outcome, through its rarer ends, so that the fast path itself stays one function.
    const result = runFirstAttempt(policy.maxRetries, callerSignal, site.fn, thisArg, args);
    return settleFirstAttempt(policy, site, thisArg, args, callerSignal, result, takeFirstAttempt());
  }
  return new RetryingCall(policy, site, thisArg, args, callerSignal, observer).run(undefined, undefined);
}

/**
 * The rarer ends of a first attempt on the fast path: the method asked for its context, or returned
 * another thenable (adopted, so the caller always gets a Promise) or no promise at all.
 */
function settleFirstAttempt(policy: RetryPolicy, site: CallSite, thisArg: unknown, args: readonly unknown[], callerSignal: AbortSignal | undefined, result: unknown, attempt: Attempt | undefined): Promise<unknown> {
  const promise = result instanceof Promise ? result : isPromiseLike(result) ? Promise.resolve(result) : undefined;
  if (promise === undefined) return Promise.reject(notAPromise(site, thisArg, result));
  if (attempt === undefined) return promise.then(policy.passSuccess, retryAfterFailure(policy, site, thisArg, args));
  if (attempt.following) promise.then(() => attempt.release(), () => attempt.release());
  return promise.then(policy.passSuccess, (error: unknown) => new RetryingCall(policy, site, thisArg, args, callerSignal).run(attempt, error));
}

/**
 * After a first attempt fails on the fast path, the call goes on in a `RetryingCall`. The closure
 * keeps only what that needs: each variable it holds is allocated on every call. It needs no
 * caller's signal: a call with one has its first attempt's context built at once, and
 * `settleFirstAttempt` takes it the other way.
 */
function retryAfterFailure(policy: RetryPolicy, site: CallSite, thisArg: unknown, args: readonly unknown[]) {
  return (error: unknown) => new RetryingCall(policy, site, thisArg, args, undefined).run(new Attempt(1, policy.maxRetries, undefined), error);
}

function labelText({ label }: CallSite, thisArg: unknown): string {
  return typeof label === 'string' ? label : label(thisArg);
}

function notAPromise(site: CallSite, thisArg: unknown, result: unknown): TypeError {
  const got = result === null ? 'null' : typeof result;
  const subject = site.fn === passAttemptTo ? 'retry(): fn' : `@Retryable on ${labelText(site, thisArg)}: the method`;
  return new TypeError(`${subject} must return a Promise, but it returned ${got}`);
}

/** One call once it may wait: an `async` loop of attempts, with one abortable sleep. */
class RetryingCall {
  private readonly startedAt: number;
  private readonly deadline: number;
  private readonly stopCallerWatch: () => void;
  private deadlineTimer: unknown;
  private deadlinePassed = false;
  /** Holds by a coordinator end by this time: the call's patience, from its own schedule. */
  private patientUntil: number;
  private attemptsRun = 0;
  private running: Attempt | undefined;
  /** The coordinator let the running attempt through as its outage probe. */
  private probing = false;
  /** The call's place in the coordinator's queue, from its last answer, until the next attempt starts. */
  private ticket: number | undefined;
  /** The targets this call failed over from since its last backoff: its next attempt goes elsewhere. */
  private readonly avoid: AttemptTarget[] = [];
  private wake: ((completed: boolean) => void) | undefined;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly site: CallSite,
    private readonly thisArg: unknown,
    private readonly args: readonly unknown[],
    private readonly callerSignal: AbortSignal | undefined,
    private readonly observer?: CallObserver,
  ) {
    const { clock, timeout } = policy;
    this.startedAt = clock.now();
    this.deadline = timeout === undefined ? Infinity : this.startedAt + timeout;
    this.patientUntil = this.startedAt + patience(policy, 1, this.startedAt, this.deadline);
    if (timeout !== undefined) this.deadlineTimer = clock.setTimeout(() => this.deadlineReached(), timeout);
    this.stopCallerWatch = callerSignal === undefined ? () => {} : onAbort(callerSignal, () => this.callerAborted());
  }

  /** Runs attempts until one succeeds or `decide` gives up; `failed`/`error` resume after a first attempt that failed on the fast path. */
  async run(failed: Attempt | undefined, error: unknown): Promise<unknown> {
    this.attemptsRun = failed?.attempt ?? 0;
    try {
      let previousDelay: number | undefined;
      for (;;) {
        if (failed !== undefined) {
          previousDelay = await this.waitBeforeRetry(failed, error, previousDelay);
        }
        const admitted = this.admit(failed === undefined ? 1 : failed.attempt + 1, error, failed !== undefined);
        // Taken without an await when nothing holds it, so a first attempt starts within the call.
        const attempt = admitted instanceof Attempt ? admitted : await admitted;
        try {
          const value = await this.runAttempt(attempt);
          this.policy.upstream?.recordSuccess(this.policy.clock.now(), attempt.route);
          this.observer?.succeeded();
          return value;
        } catch (attemptError) {
          if (GiveUp.is(attemptError)) throw attemptError;
          [failed, error] = [attempt, attemptError];
        }
      }
    } catch (thrown) {
      if (!GiveUp.is(thrown)) throw thrown;
      this.observer?.gaveUp(thrown.reason, thrown.error);
      runHook(this.policy.onGiveUp, { error: thrown.error, attempts: this.attemptsRun, reason: thrown.reason, method: labelText(this.site, this.thisArg) }, 'onGiveUp');
      return this.lastWord(thrown);
    } finally {
      this.dispose();
    }
  }

  /** Decides about the failed attempt and waits as decided; throws GiveUp to end the call. */
  private async waitBeforeRetry(attempt: Attempt, error: unknown, previousDelay: number | undefined): Promise<number> {
    const { policy } = this;
    const { upstream: coordinator, clock, random } = policy;
    const now = clock.now();
    const failure = failureKind(error, attempt.timedOut);
    const firmHint = retryAfterMs(error, now);
    const target = attempt.route;
    coordinator?.record({ now, attempt: attempt.attempt, failure, status: errorStatus(error), firmHint, error, target, paced: attempt.paced });
    const stopped = this.callerSignal?.aborted ? 'aborted' : this.deadlinePassed ? 'deadline' : undefined;
    const failover = stopped === undefined && this.failsOver(error, attempt);
    const failed: FailedAttempt = {
      error,
      attempt: attempt.attempt,
      retryable: failover || attempt.timedOut || RejectedResultError.is(error) || this.shouldRetry(error, attempt),
      failover,
      stopped,
      now,
      deadline: this.deadline,
      previousDelay,
    };
    const plan = planRetry(policy, failed, random);
    let answer: CoordinatorAnswer | undefined;
    const patienceLeft = patience(policy, attempt.attempt, now, this.deadline);
    this.patientUntil = now + patienceLeft;
    // A failover goes at once; its target is chosen when the next attempt is admitted.
    if (plan.retry && !failover && coordinator !== undefined) {
      const maxWait = longestWait(policy, now, this.deadline);
      const request = { now, attempt: attempt.attempt + 1, maxWait, patience: patienceLeft, random, failure, firmHint, ownDelay: plan.delay, probed: this.probing, error, target };
      answer = await this.ask(() => coordinator.scheduleRetry(request));
      this.ticket = answer !== undefined && 'wait' in answer ? answer.ticket : undefined;
    }
    const decision = decide(policy, plan, answer, failed);
    if (!decision.retry) throw this.giveUp(error, decision.reason);
    // After a backoff, every target is worth trying again.
    if (failover) this.avoid.push(target!);
    else this.avoid.length = 0;
    const { delay, serverHint } = decision;
    runHook(policy.onRetry, { error, attempt: attempt.attempt, delay, serverHint, method: labelText(this.site, this.thisArg) }, 'onRetry');
    this.observer?.waiting(delay, decision.reason, serverHint);
    if (!(await this.sleep(delay))) throw this.stopped(error);
    return delay;
  }

  /** The next attempt, once a busy coordinator lets it start; synchronous when nothing holds it. */
  private admit(number: number, lastError: unknown, retrying: boolean): Attempt | Promise<Attempt> {
    const { upstream: coordinator, clock, random } = this.policy;
    if (coordinator === undefined || coordinator.calm) return this.newAttempt(number, lastError, undefined);
    const now = clock.now();
    const answer = this.ask(() => coordinator.admit({ now, attempt: number, maxWait: longestWait(this.policy, now, this.deadline), random, ticket: this.ticket, avoid: this.avoid }));
    const hold = (word: CoordinatorAnswer | undefined): Attempt | Promise<Attempt> => {
      const go = () => this.newAttempt(number, lastError, word !== undefined && 'wait' in word ? word : undefined);
      if (word !== undefined && 'refuse' in word) return retrying ? Promise.reject(this.giveUp(lastError, word.refuse)) : go();
      this.probing = word !== undefined && word.wait <= 0 && word.reason === 'probe';
      this.ticket = word?.ticket;
      if (word === undefined || word.wait <= 0) return go();
      // Waiting for an outage's probe past the call's patience: a retry gives up; a first attempt
      // goes, and the server decides.
      if (word.reason === 'probe' && word.askAgain === true && now + word.wait > this.patientUntil) {
        return retrying ? Promise.reject(this.giveUp(lastError, 'outage')) : go();
      }
      this.observer?.waiting(word.wait, word.reason, undefined);
      // Whole milliseconds, rounded up: a timer cannot wait less than 1 ms, and a fraction would spin.
      return this.sleep(Math.ceil(word.wait)).then((completed) => {
        if (!completed) throw this.stopped(retrying ? lastError : timeoutReason('timeout', this.policy.timeout));
        return word.askAgain === true ? this.admit(number, lastError, retrying) : go();
      });
    };
    return isPromiseLike(answer) ? answer.then(hold) : hold(answer);
  }

  /** No attempt starts once the caller has aborted. `admission`: the coordinator's word that let it go, if it was asked. */
  private newAttempt(number: number, lastError: unknown, admission: Exclude<CoordinatorAnswer, { refuse: unknown }> | undefined): Attempt {
    if (this.callerSignal?.aborted) throw this.giveUp(lastError, 'aborted');
    const attempt = new Attempt(number, this.policy.maxRetries, this.callerSignal);
    attempt.route = admission?.target;
    attempt.paced = admission?.reason === 'paced';
    if (this.policy.watchFromStart) attempt.link();
    return attempt;
  }

  private async runAttempt(attempt: Attempt): Promise<unknown> {
    const { clock, attemptTimeout } = this.policy;
    this.running = attempt;
    this.attemptsRun = attempt.attempt;
    const timer = attemptTimeout === undefined ? undefined : clock.setTimeout(() => {
      attempt.timedOut = true;
      attempt.controller!.abort(timeoutReason('attemptTimeout', attemptTimeout));
    }, attemptTimeout);
    try {
      const { observer, site: { fn } } = this;
      const result = observer === undefined ? runInAttempt(attempt, fn, this.thisArg, this.args) : observer.attempt(attempt.attempt, runInAttempt, attempt, fn, this.thisArg, this.args);
      if (!isPromiseLike(result)) throw this.giveUp(notAPromise(this.site, this.thisArg, result), 'not-retryable');
      const value = await result;
      if (this.rejects(value)) throw new RejectedResultError(value);
      return value;
    } finally {
      this.running = undefined;
      attempt.release();
      if (timer !== undefined) clock.clearTimeout(timer);
    }
  }

  /** A coordinator's answer; one that throws or rejects is reported and treated as silent. */
  private ask(question: () => CoordinatorAnswer | PromiseLike<CoordinatorAnswer>): CoordinatorAnswer | undefined | Promise<CoordinatorAnswer | undefined> {
    const silent = (fault: unknown) => {
      reportHookError('coordinator', fault);
      return undefined;
    };
    try {
      const answer = question();
      return isPromiseLike(answer) ? Promise.resolve(answer).then(undefined, silent) : answer;
    } catch (fault) {
      return silent(fault);
    }
  }

  private shouldRetry(error: unknown, attempt: Attempt): boolean {
    const { retryIf } = this.policy;
    return retryIf === undefined ? isRetryableError(error) : verdict('retryIf', retryIf, error, attempt);
  }

  /** With targets: the failure moves the call at once to a target it has not failed over from. */
  private failsOver(error: unknown, attempt: Attempt): boolean {
    const { failoverIf, upstream } = this.policy;
    const failed = attempt.route;
    if (failoverIf === undefined || failed === undefined) return false;
    const untried = upstream?.targets?.some((target) => target !== failed && !this.avoid.includes(target)) === true;
    return untried && (attempt.timedOut || verdict('failoverIf', failoverIf, error, attempt));
  }

  /** `retryOnResult`'s verdict on a value; only `true` turns it down, and a hook that throws accepts it. */
  private rejects(value: unknown): boolean {
    const { retryOnResult } = this.policy;
    return retryOnResult !== undefined && verdict('retryOnResult', retryOnResult, value, undefined);
  }

  /**
   * What the caller gets once retrying ends: the last value `retryOnResult` turned down; else the
   * fallback's answer (or its error, unchanged), except after the caller's own abort; else the error.
   */
  private lastWord({ error, reason }: GiveUp): unknown {
    if (RejectedResultError.is(error)) return error.value;
    const { fallback } = this.policy;
    if (fallback === undefined || reason === 'aborted') throw error;
    return fallback.call(this.thisArg, error, ...this.args);
  }

  /** The caller gets the last attempt's error, except after its own abort: then its signal's reason. */
  private giveUp(error: unknown, reason: GiveUpReason): GiveUp {
    return new GiveUp(reason === 'aborted' ? this.callerSignal!.reason : error, reason);
  }

  /** A wait was cut short: by the caller's abort, or else by the deadline. */
  private stopped(lastError: unknown): GiveUp {
    return this.giveUp(lastError, this.callerSignal?.aborted ? 'aborted' : 'deadline');
  }

  /** Resolves true after `ms`, or false at once when the caller aborts or the deadline passes. */
  private sleep(ms: number): Promise<boolean> {
    if (this.deadlinePassed || this.callerSignal?.aborted) return Promise.resolve(false);
    // No timer for no wait (a failover): a timer's turn would cost a millisecond or more.
    if (ms === 0) return Promise.resolve(true);
    const { clock } = this.policy;
    return new Promise((resolve) => {
      const timer = clock.setTimeout(() => finish(true), ms);
      const finish = (completed: boolean) => {
        this.wake = undefined;
        if (!completed) clock.clearTimeout(timer);
        resolve(completed);
      };
      this.wake = finish;
    });
  }

  /** A wait ends now; an attempt in flight follows the caller's signal by itself and settles. */
  private callerAborted(): void {
    this.wake?.(false);
  }

  private deadlineReached(): void {
    this.deadlineTimer = undefined;
    this.deadlinePassed = true;
    this.running?.controller?.abort(timeoutReason('timeout', this.policy.timeout!));
    this.wake?.(false);
  }

  private dispose(): void {
    if (this.deadlineTimer !== undefined) this.policy.clock.clearTimeout(this.deadlineTimer);
    this.stopCallerWatch();
  }
}
