import type { AttemptTarget } from '../coordination/coordinator.js';
import { onAbort } from './abort-fanout.js';
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
  /**
   * The OpenAI SDK's request options for this attempt, to pass as its second argument: the
   * attempt's `signal`, and `x-stainless-retry-count` so the server sees the true retry number
   * (with the client's `maxRetries: 0` the SDK would send 0 on every attempt).
   */
  readonly requestOptions: { readonly signal: AbortSignal; readonly headers: { readonly 'x-stainless-retry-count': string } };
  /**
   * With `targets`: the `target` of the Upstream this attempt goes to (say `{ model: 'gpt-4o' }`),
   * for the method to call it with. Undefined otherwise.
   */
  readonly target: unknown;
}

/** One attempt's state. The engine owns it; methods see it through `currentAttempt()`. */
export class Attempt implements AttemptContext {
  // Fields are declared and assigned in the constructor rather than initialised as class fields:
  // one is built per call, and class-field definitions cost a third of the happy path on Node 20.
  declare readonly attempt: number;
  declare readonly maxRetries: number;
  /** Created when something may abort this attempt and someone needs its signal. */
  declare controller: AbortController | undefined;
  declare timedOut: boolean;
  /** Where the coordinator sent this attempt, if it routes among targets. */
  declare route: AttemptTarget | undefined;
  /** It went when its turn in the coordinator's queue came. */
  declare paced: boolean;
  private declare readonly callerSignal: AbortSignal | undefined;
  private declare unfollow: (() => void) | undefined;

  constructor(attempt: number, maxRetries: number, callerSignal: AbortSignal | undefined) {
    this.attempt = attempt;
    this.maxRetries = maxRetries;
    this.callerSignal = callerSignal;
    this.controller = undefined;
    this.timedOut = false;
    this.route = undefined;
    this.paced = false;
    this.unfollow = undefined;
  }

  get target(): unknown {
    return this.route?.target;
  }

  get signal(): AbortSignal {
    return (this.controller ?? this.link()).signal;
  }

  get requestOptions(): AttemptContext['requestOptions'] {
    return { signal: this.signal, headers: { 'x-stainless-retry-count': String(this.attempt - 1) } };
  }

  /**
   * Gives the attempt its own controller, aborted when the caller's signal aborts. Its own, not
   * the caller's signal itself: the SDK adds a listener to the signal of every request, and a
   * caller's signal shared by many calls would collect them (Node warns past ten).
   */
  link(): AbortController {
    const controller = (this.controller = new AbortController());
    const caller = this.callerSignal;
    if (caller?.aborted) controller.abort(caller.reason);
    else if (caller !== undefined) this.unfollow = onAbort(caller, () => controller.abort(caller.reason));
    return controller;
  }

  /** Stops following the caller's signal; the engine calls it when the attempt has settled. */
  release(): void {
    this.unfollow?.();
    this.unfollow = undefined;
  }

  /** Whether `release` has anything to do. */
  get following(): boolean {
    return this.unfollow !== undefined;
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
  if (typeof running !== 'number') return running;
  return (shared.running = new Attempt(1, running, undefined));
}

/** The first attempt's context, if the method asked for it while `runFirstAttempt` ran it. */
let builtFirstAttempt: Attempt | undefined;

// A constant of this module, which V8 folds into the fast path; the imported binding is loaded and
// checked at each use (2% of the happy path, counted in instructions).
const slot = shared;

/**
 * Calls `fn` as the first attempt of a call, building its context only if the code asks for it
 * through `currentAttempt()`: most first attempts succeed without looking, and the allocation would
 * be a tenth of the happy path. Until then the slot holds the attempt's `maxRetries`, all that
 * `currentAttempt()` needs to build it; a call with the caller's signal gets its context at once.
 * Right after it returns, `takeFirstAttempt()` hands over that context, so a retry decision sees the
 * very object the method saw. A method that throws synchronously fails its attempt as a rejection would.
 *
 * Kept this small on purpose: V8 inlines a call chain only while its bytecode fits a budget, and
 * with the method's own code this function is close to it (bench/README.md, the happy path).
 */
export function runFirstAttempt(maxRetries: number, callerSignal: AbortSignal | undefined, fn: Function, thisArg: unknown, args: readonly unknown[]): unknown {
  const outer = slot.running;
  slot.running = callerSignal === undefined ? maxRetries : firstAttemptFollowing(maxRetries, callerSignal);
  let result: unknown;
  try {
    result = invoke(fn, thisArg, args);
  } catch (error) {
    result = Promise.reject(error);
  }
  const running = slot.running;
  slot.running = outer;
  if (typeof running !== 'number') builtFirstAttempt = running;
  return result;
}

// Apart, so that the construction's bytecode stays out of `runFirstAttempt`'s inlining budget.
function firstAttemptFollowing(maxRetries: number, callerSignal: AbortSignal): Attempt {
  return new Attempt(1, maxRetries, callerSignal);
}

/** The context `runFirstAttempt` built, if any; read it at once, before any other call runs. */
export function takeFirstAttempt(): Attempt | undefined {
  const attempt = builtFirstAttempt;
  if (attempt !== undefined) builtFirstAttempt = undefined;
  return attempt;
}

/** Calls `fn` with `attempt` as the running attempt. */
export function runInAttempt(attempt: Attempt, fn: Function, thisArg: unknown, args: readonly unknown[]): unknown {
  const outer = shared.running;
  shared.running = attempt;
  try {
    return invoke(fn, thisArg, args);
  } finally {
    shared.running = outer;
  }
}

/**
 * `fn.apply(thisArg, args)`, with up to three arguments passed directly. `apply` with an array the
 * engine keeps (for a retry) copies it onto the stack in a builtin; the direct calls save a tenth
 * of the happy path at two and three arguments (bench/README.md, the argument-count family). Longer
 * lists go through `apply`: each case adds bytecode to the fast path, which must fit V8's inlining
 * budget.
 */
function invoke(fn: Function, thisArg: unknown, args: readonly unknown[]): unknown {
  const count = args.length;
  return count === 0 ? fn.call(thisArg) : count === 1 ? fn.call(thisArg, args[0]) : count === 2 ? fn.call(thisArg, args[0], args[1])
    : count === 3 ? fn.call(thisArg, args[0], args[1], args[2]) : fn.apply(thisArg, args);
}

/**
 * The function `retry()` hands to the engine: it is called with the user's function as `this` and
 * passes it the running attempt. So `retry()` needs neither a closure per call nor a special case.
 */
export function passAttemptTo(this: (attempt: AttemptContext) => unknown): unknown {
  return this(currentAttempt()!);
}
