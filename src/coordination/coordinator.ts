import type { GiveUpReason } from '../policy/options.js';

/**
 * The seam between the engine and whatever coordinates calls to one upstream: a retry budget, a
 * shared pacer, an outage probe, admission from rate-limit headers, failover across targets. The
 * engine asks three questions and reports what happened; it never changes when a coordinator is
 * added. Answers may be promises (a Redis store needs a round trip); the engine bounds every wait by
 * the call's own `maxDelay`, `timeout` and signal, and treats a coordinator that throws as silent.
 */
export interface Coordinator {
  /**
   * True while nothing limits or fails on this upstream. The engine then runs a first attempt
   * without asking, and reports its success through `recordSuccess` only: the happy path stays as
   * cheap as a call without coordination. Read on every call, so keep it a plain field.
   */
  readonly calm: boolean;
  /** May this attempt start now? Asked before every attempt while the coordinator is not calm. */
  admit(request: AdmissionRequest): CoordinatorAnswer | PromiseLike<CoordinatorAnswer>;
  /** A retryable attempt failed: when may the retry start? Asked once per retry, after `record`. */
  scheduleRetry(request: RetryRequest): CoordinatorAnswer | PromiseLike<CoordinatorAnswer>;
  /** What an attempt ended in, success or failure. */
  record(outcome: AttemptOutcome): void;
  /**
   * A success, with the `target` the attempt went to. `now` is the engine's clock, or undefined on
   * the happy path of a calm coordinator, where reading the clock would cost a third of the call.
   */
  recordSuccess(now: number | undefined, target?: AttemptTarget): void;
  /** The coordinator wants the time of every success, even on the happy path (a shared store does). */
  readonly successNeedsTime?: boolean;
  /**
   * The targets a failover coordinator routes attempts among (see `Targets`). While the call has
   * not tried one of them, a failure that `failoverIf` accepts is retried at once on another.
   */
  readonly targets?: readonly AttemptTarget[];
}

/** Where an attempt goes when a coordinator routes among several: `target` is what the method reads in `currentAttempt().target`. */
export interface AttemptTarget {
  readonly target?: unknown;
}

/** How an attempt failed, as far as an upstream cares. */
export type FailureKind = 'rate-limit' | 'server' | 'network' | 'timeout' | 'other';

/** Why a wait is as long as it is; `onRetry` and telemetry report it. */
export type WaitReason = 'backoff' | 'server-hint' | 'cool-down' | 'paced' | 'probe' | 'admission' | 'failover';

export interface AdmissionRequest {
  readonly now: number;
  /** The attempt about to start: 1 for the first. */
  readonly attempt: number;
  /** The longest the call may wait (its `maxDelay`, and what is left of its `timeout`). */
  readonly maxWait: number;
  readonly random: () => number;
  /** The ticket of the coordinator's last answer to this call, if it gave one (its place in a queue). */
  readonly ticket?: number;
  /** Targets this attempt must not go to: the ones the call just failed over from. */
  readonly avoid?: readonly AttemptTarget[];
}

export interface RetryRequest extends AdmissionRequest {
  /**
   * How long the call may still wait in all: what its own remaining retries would wait at most,
   * and what is left of its `timeout`. A coordinator holding it longer (say, for an outage's
   * probe) should refuse instead.
   */
  readonly patience: number;
  readonly failure: FailureKind;
  /** The firm hint (`retry-after-ms`/`retry-after`) in ms, if the server sent one. */
  readonly firmHint: number | undefined;
  /** The wait the call's own schedule asks for (backoff and server hints), before coordination. */
  readonly ownDelay: number;
  /** The failed attempt was the probe `admit` let through while the upstream looked down. */
  readonly probed: boolean;
  /** The error, exactly as thrown; for coordinators that route on it, never to be changed. */
  readonly error: unknown;
  /** The target the failed attempt went to, if the coordinator chose one. */
  readonly target?: AttemptTarget;
}

/**
 * `wait`: go after this many ms (the whole wait: a retry's answer replaces the call's own delay,
 * and should not be shorter than the firm hint); with `askAgain`, ask `admit` again after it
 * (an outage's probe is still out), showing `ticket` if one was given (the call's place in a
 * queue); `target`: where the attempt goes (an admission's answer from a coordinator of several
 * targets). `refuse`: give up now with the last error.
 */
export type CoordinatorAnswer =
  | { readonly wait: number; readonly reason: WaitReason; readonly askAgain?: boolean; readonly ticket?: number; readonly target?: AttemptTarget }
  | { readonly refuse: GiveUpReason };

export interface AttemptOutcome {
  readonly now: number;
  readonly attempt: number;
  /** Undefined for a success. */
  readonly failure: FailureKind | undefined;
  readonly status: number | undefined;
  readonly firmHint: number | undefined;
  readonly error: unknown;
  /** The target the attempt went to, if the coordinator chose one. */
  readonly target?: AttemptTarget;
  /** The attempt went when its turn in the coordinator's queue came. */
  readonly paced?: boolean;
}
