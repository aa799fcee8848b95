import type { AttemptContext } from '../engine/attempt-context.js';
import type { BackoffSchedule } from './backoff.js';
import type { RetryBudget } from '../coordination/budget.js';
import type { Coordinator } from '../coordination/coordinator.js';
import type { Upstream } from '../coordination/upstream.js';

/** How the wait before each retry is spread. See the README for the exact formulas. */
export type Jitter = 'none' | 'full' | 'equal' | 'decorrelated';

/** The backoff fields that `rateLimit` can set apart from the main schedule. */
export interface RateLimitSchedule {
  initialDelay?: number;
  multiplier?: number;
  jitter?: Jitter;
}

/** Time as the engine sees it. Inject one in tests to run retries in virtual time. */
export interface RetryClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What `onRetry` receives before each wait. */
export interface RetryEvent {
  /** The error the failed attempt threw, exactly as thrown. */
  readonly error: unknown;
  /** The number of the attempt that failed (the first call is attempt 1). */
  readonly attempt: number;
  /** Milliseconds the engine waits before the next attempt. */
  readonly delay: number;
  /** The wait the server asked for (`retry-after-ms`, `retry-after` or `x-ratelimit-reset-*`), if any. */
  readonly serverHint: number | undefined;
  /** `Class.method` for the decorator, or the function's name for `retry()`. */
  readonly method: string;
}

/** Why the engine stopped retrying. */
export type GiveUpReason =
  | 'not-retryable'
  | 'retries-exhausted'
  | 'hint-exceeds-max-delay'
  | 'deadline'
  | 'budget'
  | 'paced'
  | 'outage'
  | 'aborted';

/** What `onGiveUp` receives once, when a call fails for good. */
export interface GiveUpEvent {
  /** What the caller receives: the last attempt's error, or the caller's `signal.reason`. */
  readonly error: unknown;
  /** How many attempts ran. */
  readonly attempts: number;
  readonly reason: GiveUpReason;
  readonly method: string;
}

export interface RetryOptions {
  /** Retries after the first call (so at most `maxRetries + 1` attempts). Default 3. */
  maxRetries?: number;
  /** Milliseconds before the first retry, before jitter. Default 1000. */
  initialDelay?: number;
  /** Growth of the delay from one retry to the next. Default 2. */
  multiplier?: number;
  /** Milliseconds: no wait is ever longer; a firm server hint above it ends the retries. Default 30000. */
  maxDelay?: number;
  /** How waits are randomised. Default `'equal'` (429s: `'full'`, see `rateLimit`). */
  jitter?: Jitter;
  /**
   * The schedule for 429 rate limits, which want a wide, early spread rather than a short first
   * wait. A field left unset here takes the main option of the same name if someone set it, else
   * the rate-limit default: `{ initialDelay: 10000, multiplier: 1, jitter: 'full' }`, a wait spread
   * evenly over 10 s (on top of any server hint). `maxDelay` is shared.
   */
  rateLimit?: RateLimitSchedule;
  /** Milliseconds for the whole call, attempts and waits together. No limit by default. */
  timeout?: number;
  /** Milliseconds for each attempt; the attempt's signal aborts when it passes. No limit by default. */
  attemptTimeout?: number;
  /** Decides whether an error is retried; replaces `isRetryableError`. */
  retryIf?: (error: unknown, attempt: AttemptContext) => boolean;
  /** Called before each wait. Its errors are reported as process warnings and never change the outcome. */
  onRetry?: (event: RetryEvent) => void;
  /** Called once when the call fails for good. Its errors are reported like `onRetry`'s. */
  onGiveUp?: (event: GiveUpEvent) => void;
  /**
   * The caller's cancellation. An `AbortSignal`, or a function that picks it from the method's
   * arguments. Without it, the decorator looks for an `AbortSignal` argument or a `signal` field.
   */
  signal?: AbortSignal | ((...args: any[]) => AbortSignal | undefined);
  /**
   * The upstream limit these calls share (`new Upstream({ name })`), coordinating them with every
   * other call to it; `false` turns coordination off. Default: an Upstream of this method's own
   * (for `retry()`, of this options object).
   */
  upstream?: Coordinator | false;
  /**
   * Upstreams that can each serve this method, in order of preference, each built with the
   * `target` the method needs to call it (`new Upstream({ name: 'gpt-4o', target: { model: 'gpt-4o' } })`).
   * Each attempt goes to the first one that is not cooling down or holding calls, and the method
   * reads it as `currentAttempt().target`. Not together with `upstream`. See docs/failover.md.
   */
  targets?: readonly Upstream[];
  /**
   * With `targets`: whether a failure moves the call to a target it has not tried yet, at once
   * (it is still an attempt of the `maxRetries + 1`). Default `shouldFailOver`. An attempt cut by
   * `attemptTimeout` always fails over.
   */
  failoverIf?: (error: unknown, attempt: AttemptContext) => boolean;
  /**
   * Called once when the call fails for good (not after the caller's abort), with the last error,
   * then the method's arguments, and the method's `this`. What it returns, or throws, is what the
   * caller gets: its error passes through unchanged.
   */
  fallback?: (this: any, error: unknown, ...args: any[]) => unknown;
  /**
   * Whether a value the method resolved with is a failure in disguise (a truncated answer, an
   * empty message): then the attempt is retried with the normal backoff. When no attempt is
   * left, the caller gets the last value.
   */
  retryOnResult?: (value: any) => boolean;
  /** Shares a retry allowance and server cool-downs across calls (superseded by `upstream`). */
  budget?: RetryBudget;
  /** A source of uniform numbers in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Default: the global `Date.now`, `setTimeout` and `clearTimeout`, looked up at each use. */
  clock?: RetryClock;
  /**
   * `false` keeps this method out of OpenTelemetry. Default `true`: spans and metrics are reported
   * whenever the application has registered an OpenTelemetry SDK (see docs/telemetry.md).
   */
  telemetry?: boolean;
}

/** The validated, frozen form of the options that the engine runs on. */
export interface RetryPolicy {
  readonly maxRetries: number;
  readonly initialDelay: number;
  readonly multiplier: number;
  readonly maxDelay: number;
  readonly jitter: Jitter;
  /** The schedule used after a 429 (its `maxDelay` is the policy's). */
  readonly rateLimit: BackoffSchedule;
  readonly timeout: number | undefined;
  readonly attemptTimeout: number | undefined;
  readonly retryIf: RetryOptions['retryIf'];
  readonly onRetry: RetryOptions['onRetry'];
  readonly onGiveUp: RetryOptions['onGiveUp'];
  readonly signal: RetryOptions['signal'];
  readonly budget: RetryBudget | undefined;
  /** The coordinator in force: the `targets`, the `upstream`, the `budget`, or the options' own Upstream. */
  readonly upstream: Coordinator | undefined;
  readonly targets: readonly Upstream[] | undefined;
  /** Set only with `targets` (then `shouldFailOver` by default). */
  readonly failoverIf: RetryOptions['failoverIf'];
  readonly fallback: RetryOptions['fallback'];
  readonly retryOnResult: RetryOptions['retryOnResult'];
  readonly random: () => number;
  readonly clock: RetryClock;
  /** Report to OpenTelemetry when an SDK is registered. */
  readonly telemetry: boolean;
  /** Timers must watch every call from its start (a `timeout` or an `attemptTimeout` is set). */
  readonly watchFromStart: boolean;
  /** The happy path's success handler: reports the success to the coordinator, passes the value on. */
  readonly passSuccess: (<T>(value: T) => T) | undefined;
}
