import type { AdmissionRequest, AttemptOutcome, Coordinator, CoordinatorAnswer, RetryRequest } from './coordinator.js';
import { hear, type Booking, type Heard } from './admission.js';
import { MemoryStore, type Transition, type UpstreamStore } from './upstream-store.js';
import { admitAttempt, isCalm, recordFailure, recordSuccess, recordSuccesses, scheduleRetry } from './upstream-state.js';
import { CreditLedger, hearFailure, upstreamFetch, type FetchLike } from './upstream-fetch.js';

export interface UpstreamOptions {
  /** Names the limit (one API key and model, one deployment); stores key their state by it. Default `'upstream'`. */
  name?: string;
  /** Where the state lives: in this process by default; `redisStore(client)` from `retryable/redis` for a fleet. */
  store?: UpstreamStore;
  /** What a method needs to call this upstream as one of `targets` (say `{ model: 'gpt-4o' }`); it reads it as `currentAttempt().target`. */
  target?: unknown;
}

let unnamed = 0;
/** Without a time, calm successes fold in this many at a time. */
const SYNC_EVERY = 64;

/**
 * The shared state of one upstream limit, and the coordinator that the calls to it consult. A lone
 * caller keeps its own short backoff; calls refused together are paced at the rate the upstream is
 * seen to serve, in the order they were refused; while the upstream looks down, one call probes and
 * the others wait for its outcome. Every decorated method has one by default; share one instance
 * (`@Retryable({ upstream })`) among the methods and classes that call the same limit.
 */
export class Upstream implements Coordinator {
  readonly name: string;
  /** The `target` payload it was built with, if any. */
  readonly target: unknown;
  /** See `Coordinator.calm`; refreshed by every transition. */
  calm = true;
  readonly successNeedsTime: boolean;
  private readonly store: UpstreamStore;
  /** The store's `syncInterval`: successes while calm are counted here, not sent one by one. */
  private readonly syncInterval: number | undefined;
  /** Successes counted while calm and not yet folded into the store's state. */
  private unsynced = 0;
  /** When the next success folds the count in and re-reads `calm` (engine clock). */
  private syncAt = -Infinity;
  /** The time of the latest decision: what a success on the happy path is taken to have happened at. */
  private lastNow = 0;
  /** Requests the engine admitted whose `fetch()` has not come yet: it must not charge them again. */
  readonly credits = new CreditLedger();
  /**
   * Set once a request went through `fetch()`: attempts then make their requests through it, which
   * admits them knowing their tokens, and the engine's admission stands aside (no double charge).
   */
  fetching = false;

  constructor(options: UpstreamOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`new Upstream(): options must be an object, got ${String(options)}`);
    const { name, store } = options;
    if (name !== undefined && (typeof name !== 'string' || name === '')) throw new TypeError(`new Upstream(): name must be a non-empty string, got ${JSON.stringify(name)}`);
    if (store !== undefined && typeof (store as Partial<UpstreamStore> | null)?.apply !== 'function') {
      throw new TypeError(`new Upstream(): store must have an apply method, got ${String(store)}`);
    }
    this.name = name ?? `upstream-${++unnamed}`;
    this.store = store ?? new MemoryStore();
    this.target = options.target;
    this.syncInterval = this.store.syncInterval;
    // A store shared with other processes refreshes `calm` by the clock; one in memory needs no time.
    this.successNeedsTime = !(this.store instanceof MemoryStore);
  }

  admit(request: AdmissionRequest): CoordinatorAnswer | Promise<CoordinatorAnswer> {
    this.lastNow = request.now;
    if (this.unsynced !== 0) this.sync(request.now);
    return this.answer(this.store.apply(this.name, this.fetching ? admittingDeferred : admitting, request), request.now);
  }

  /**
   * A `fetch` for SDK clients (`new OpenAI({ maxRetries: 0, fetch: upstream.fetch() })`): each
   * request is admitted by this upstream (held until it fits the limits its responses announce,
   * its tokens estimated from its JSON body), and each response's rate-limit headers teach them.
   * Bodies pass untouched, streams included. Works with or without `@Retryable`.
   */
  fetch(baseFetch?: FetchLike): FetchLike {
    return upstreamFetch(this, baseFetch);
  }

  /** Runs a transition of `fetch()` on the state and takes `calm` from its result. @internal */
  applyFetch<A, R extends { calm: boolean }>(transition: Transition<A, R>, argument: A): R | Promise<R> {
    const result = this.store.apply(this.name, transition, argument);
    if (result instanceof Promise) return result.then((settled) => ((this.calm = settled.calm), settled));
    this.calm = result.calm;
    return result;
  }

  scheduleRetry(request: RetryRequest): CoordinatorAnswer | Promise<CoordinatorAnswer> {
    this.lastNow = request.now;
    if (this.unsynced !== 0) this.sync(request.now);
    return this.answer(this.store.apply(this.name, scheduling, request));
  }

  record(outcome: AttemptOutcome): void {
    if (outcome.failure === undefined) return this.recordSuccess(outcome.now);
    this.lastNow = outcome.now;
    if (this.unsynced !== 0) this.sync(outcome.now);
    this.refresh(this.store.apply(this.name, failing, { outcome, heard: hearFailure(outcome) }));
  }

  /**
   * The fast path's success handler when successes need no time (the store is in memory): while
   * calm, a counter. Bound once here rather than a closure that calls `recordSuccess`: that one
   * cost about 120 instructions more a call (of 1,250) once other code had run in the process
   * (bench/README.md, the happy path).
   */
  readonly passSuccess = <T>(value: T): T => {
    if (this.calm && this.unsynced < SYNC_EVERY - 1) this.unsynced++;
    else this.recordSuccess(undefined);
    return value;
  };

  /**
   * On the happy path: no allocation beyond what the store needs. With a shared store, successes
   * while calm are only counted; one of them every `syncInterval` ms folds the count into the
   * shared state and re-reads `calm`, so a calm process learns within that time that another one
   * was refused. (A store batches an apply made right before another into the same round trip.)
   */
  recordSuccess(now: number | undefined): void {
    // The happy path does not read the clock (that alone cost a third of a call): the time of the
    // latest decision stands in, and the count folds in every SYNC_EVERY successes instead.
    const time = now ?? this.lastNow;
    if (this.syncInterval === undefined || !this.calm) return this.refresh(this.store.apply(this.name, succeeding, time));
    this.unsynced++;
    if (now === undefined ? this.unsynced >= SYNC_EVERY : now >= this.syncAt) this.sync(time);
  }

  /** Folds the counted successes in, with `now` as their time: at most `syncInterval` ms late. */
  private sync(now: number): void {
    this.lastNow = now;
    const successes = this.unsynced;
    this.unsynced = 0;
    this.syncAt = now + this.syncInterval!;
    this.refresh(this.store.apply(this.name, folding, { now, successes }));
  }

  private refresh(calm: boolean | Promise<boolean>): void {
    if (typeof calm === 'boolean') this.calm = calm;
    else calm.then((value) => (this.calm = value), () => {});
  }

  private answer(result: Answered | Promise<Answered>, now?: number): CoordinatorAnswer | Promise<CoordinatorAnswer> {
    const settle = (settled: Answered) => {
      this.calm = settled.calm;
      // The engine's attempt was charged a request: its fetch() charges only its tokens.
      if (settled.booked !== undefined && 'wait' in settled.answer) this.credits.grant(now! + settled.answer.wait, settled.booked);
      return settled.answer;
    };
    return result instanceof Promise ? result.then(settle) : settle(result);
  }
}

/** A transition's answer, whether the upstream is calm after it, and what the limit model booked for an admitted attempt. */
interface Answered {
  readonly answer: CoordinatorAnswer;
  readonly calm: boolean;
  readonly booked?: Booking;
}

// Module-level transitions, so that a call allocates no closure to run one.
const admitting: Transition<AdmissionRequest, Answered> = (state, request) => {
  const { answer, booked } = admitAttempt(state, request);
  return { answer, booked, calm: isCalm(state, request.now) };
};
const admittingDeferred: Transition<AdmissionRequest, Answered> = (state, request) => ({ answer: admitAttempt(state, request, true).answer, calm: isCalm(state, request.now) });
const scheduling: Transition<RetryRequest, Answered> = (state, request) => ({ answer: scheduleRetry(state, request), calm: isCalm(state, request.now) });
const failing: Transition<{ outcome: AttemptOutcome; heard: Heard | undefined }, boolean> = (state, { outcome, heard }) => {
  recordFailure(state, outcome);
  if (heard !== undefined) hear(state.admission, heard, outcome.now);
  return isCalm(state, outcome.now);
};
const succeeding: Transition<number, boolean> = (state, now) => {
  recordSuccess(state, now);
  return isCalm(state, now);
};
const folding: Transition<{ readonly now: number; readonly successes: number }, boolean> = (state, { now, successes }) => {
  recordSuccesses(state, now, successes);
  return isCalm(state, now);
};
