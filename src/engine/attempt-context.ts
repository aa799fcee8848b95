import { shared } from './shared-state.js';

/** What a method can learn about the attempt it is running in. */
export interface AttemptContext {
  /** 1 for the first call, 2 for the first retry, and so on. */
  readonly attempt: number;
  /** The most retries this call may make. */
  readonly maxRetries: number;
  /**
   * Aborts when the caller's signal aborts, when `attemptTimeout` passes, or when the overall
   * `timeout` passes. Pass it to the SDK so that an attempt really stops.
   */
  readonly signal: AbortSignal;
}

/** One attempt's state. The engine owns it; methods see it through `currentAttempt()`. */
export class Attempt implements AttemptContext {
  // Fields are declared and assigned in the constructor rather than initialised as class fields:
  // one is built per call, and class-field definitions cost a third of the happy path on Node 20.
  declare readonly attempt: number;
  declare readonly maxRetries: number;
  /** Created by the engine when timers may abort this attempt, or lazily by `signal`. */
  declare controller: AbortController | undefined;
  declare timedOut: boolean;
  private declare readonly callerSignal: AbortSignal | undefined;

  constructor(attempt: number, maxRetries: number, callerSignal: AbortSignal | undefined) {
    this.attempt = attempt;
    this.maxRetries = maxRetries;
    this.callerSignal = callerSignal;
    this.controller = undefined;
    this.timedOut = false;
  }

  get signal(): AbortSignal {
    if (this.controller !== undefined) return this.controller.signal;
    // With no timers, only the caller can cancel this attempt, so its own signal serves as is
    // and no listener is needed. Otherwise nothing can cancel it: a fresh signal that never aborts.
    if (this.callerSignal !== undefined) return this.callerSignal;
    this.controller = new AbortController();
    return this.controller.signal;
  }
}

// The attempt whose synchronous part is running is a plain slot rather than AsyncLocalStorage,
// which would slow every promise in the application. It is saved and restored around each call, so
// nested decorated calls see their own attempt and no call ever sees another's.

/**
 * The attempt the calling code runs in: valid in the synchronous part of a `@Retryable` method or
 * a `retry()` function, before its first `await` (where the SDK call is made). Elsewhere undefined.
 */
export function currentAttempt(): AttemptContext | undefined {
  const { running } = shared;
  if (running !== undefined || shared.firstAttemptMaxRetries === undefined) return running;
  return (shared.running = new Attempt(1, shared.firstAttemptMaxRetries, shared.firstAttemptSignal));
}

/**
 * Calls `fn` as the first attempt of a call, building its context only if the code asks for it
 * through `currentAttempt()`: most first attempts succeed without looking, and the allocation would
 * be a tenth of the happy path. `args` undefined means "pass the attempt".
 */
export function runFirstAttempt(maxRetries: number, callerSignal: AbortSignal | undefined, fn: Function, thisArg: unknown, args: readonly unknown[] | undefined): unknown {
  const { running, firstAttemptMaxRetries, firstAttemptSignal } = shared;
  shared.running = undefined;
  shared.firstAttemptMaxRetries = maxRetries;
  shared.firstAttemptSignal = callerSignal;
  try {
    return args === undefined ? fn.call(thisArg, currentAttempt()) : fn.apply(thisArg, args);
  } finally {
    shared.running = running;
    shared.firstAttemptMaxRetries = firstAttemptMaxRetries;
    shared.firstAttemptSignal = firstAttemptSignal;
  }
}

/** Calls `fn` with `attempt` as the running attempt; `args` undefined means "pass the attempt". */
export function runInAttempt(attempt: Attempt, fn: Function, thisArg: unknown, args: readonly unknown[] | undefined): unknown {
  const outer = shared.running;
  shared.running = attempt;
  try {
    return args === undefined ? fn.call(thisArg, attempt) : fn.apply(thisArg, args);
  } finally {
    shared.running = outer;
  }
}
