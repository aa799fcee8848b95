import { admitCost, bookingHorizon, hasHeadroom, initialAdmissionState, lookAgainAfter, type AdmissionState, type Booking } from './admission.js';
import type { AdmissionRequest, AttemptOutcome, CoordinatorAnswer, RetryRequest } from './coordinator.js';
import { advance, queue, turn } from './pacing-queue.js';

/**
 * What one upstream limit is known to be doing, shared by every call to it: the served rate
 * learned from successes and 429s, the pacing schedule, a server's cool-down, and whether the
 * upstream looks down. A plain, JSON-safe object, so a store can keep it anywhere (in memory, on
 * Redis); the transitions below are pure functions of it and of `now`.
 */
export interface UpstreamState {
  /** Served requests per second, learned; 0 until the upstream first limits us. */
  rate: number;
  /** Doubling phase: no paced retry has been refused since the upstream started limiting. */
  slowStart: boolean;
  /** When `rate` last changed (slow start grows it with the time since). */
  rateAt: number;
  /** When a refused paced retry last cut the rate, and the rate it cut (0: none yet). */
  cutAt: number;
  peak: number;
  /**
   * The queue of refused calls, served at `rate`: tickets handed out, how many of them are due
   * (fractional: it moves on with time), and the time that count was taken.
   */
  ticketsIssued: number;
  queueHead: number;
  queueAt: number;
  /** When the latest paced call went (or will go), 0 before any: the next goes an interval after it. */
  departedAt: number;
  /** No attempt before this: the latest firm hint's end. */
  coolDownUntil: number;
  /** Until when calls are treated as contended and every attempt asks (ms of the clock). */
  busyUntil: number;
  /** Successes counted in whole windows of WINDOW_MS: the current one and the one before. */
  windowStart: number;
  windowSuccesses: number;
  previousWindowSuccesses: number;
  /** Consecutive server errors, network failures and timeouts, across calls. */
  faults: number;
  /** How many of those were first attempts: how many calls the streak has hit. */
  faultedCalls: number;
  /** Whether the upstream looks down, and since when. */
  down: boolean;
  downSince: number;
  /** While down: when the next probe may go, and whether a call has taken it. */
  probeAt: number;
  probeTaken: boolean;
  /** After a probe's success: attempts of waiting calls are spread until this time. */
  releaseUntil: number;
  /** The limits the upstream announces in its rate-limit headers, as buckets charged by every admission. */
  admission: AdmissionState;
}

export const WINDOW_MS = 1000;
/** Consecutive faults, across calls, that make an upstream look down. */
export const FAULTS_FOR_OUTAGE = 3;
/** How long a refusal keeps the upstream contended: long enough to learn the rate in. */
const BUSY_MS = 5000;
/** Lower bound of the learned rate, requests per second. */
const MIN_RATE = 0.2;
/**
 * Slow start doubles the rate every SLOW_START_DOUBLING_MS of contention, and grows it by half per
 * success at least: growth in time, not only per success, since a first share of 1/s (a burst of
 * one) would take seconds to learn 10/s at one step per success.
 */
const SLOW_START_DOUBLING_MS = 500;
const SLOW_START_GROWTH = 1.5;
/**
 * After slow start each success adds a little: every cycle of probing past the limit costs a
 * refusal, so a cycle must be long (here ~35 successes from a 10% cut). A tenth past the rate last
 * refused, or QUIET_MS after the last cut, without a refusal, the limit has grown or others have
 * left (a process that won a small share, at 1/s, would take half a minute to find out by steps):
 * slow start again.
 */
const PROBE_STEP = 0.003;
const REGROW_PAST_PEAK = 1.1;
const QUIET_MS = 5000;
/**
 * ...but only while more than this many seconds of calls wait at the current rate: a faster rate
 * would serve them sooner, whereas a shorter queue ends before slow start pays, and its overshoot
 * refuses the last calls on their last retries (crowds: 2 of 500 lost without it).
 */
const RESTART_QUEUED_S = 2;
/**
 * A refused paced retry cuts the rate to what was served in the last second, by 10% to 30% (as AWS
 * adaptive retry and CUBIC cut by a share): served is the measure once sending saturated the limit
 * (each process's share when several share it), but it counts few events at small rates and halves
 * under a burst of one when sends alternate served and refused, so no deeper than 30% a cut; more
 * refusals cut again, once per interval. Leaving slow start, by 30% (CUBIC's β): what was served
 * then lags a rate that doubles.
 */
const CUT = 0.9;
const DEEPEST_CUT = 0.7;
const SLOW_START_EXIT = 0.7;
/** How long waiting calls are spread over after a probe's success: enough that they do not land in one instant. */
const RELEASE_MS = 250;

export function initialUpstreamState(): UpstreamState {
  return {
    rate: 0, slowStart: true, rateAt: 0, cutAt: 0, peak: 0, ticketsIssued: 0, queueHead: 0, queueAt: 0, departedAt: 0, coolDownUntil: 0, busyUntil: 0,
    windowStart: 0, windowSuccesses: 0, previousWindowSuccesses: 0,
    faults: 0, faultedCalls: 0, down: false, downSince: 0, probeAt: 0, probeTaken: false, releaseUntil: 0,
    admission: initialAdmissionState(),
  };
}

/** Calm: nothing limits or fails, and every announced limit has room to spare, so first attempts need not ask. */
export function isCalm(state: UpstreamState, now: number): boolean {
  return !state.down && now >= state.busyUntil && now >= state.coolDownUntil && now >= state.releaseUntil && hasHeadroom(state.admission, now);
}

/** Whether the upstream announces its limits, so that admission follows them rather than the learned rate. */
export const knowsLimits = (state: UpstreamState) => state.admission.heard === 'limits';

/**
 * The time between probes while down: short at first, so a brief outage ends soon after it does;
 * a tenth of the outage so far later, at most 3 s, so a long one costs few calls. Being late by a
 * share ε of an outage of unknown length costs about ln(D / 5 s) / ε probes: no gap keeps both
 * small for every D (bench/README.md, the outage family).
 */
export function probeGap(state: UpstreamState, now: number): number {
  return Math.min(3000, Math.max(500, (now - state.downSince) / 10));
}

function rollWindow(state: UpstreamState, now: number): void {
  const windows = Math.floor((now - state.windowStart) / WINDOW_MS);
  if (windows <= 0) return;
  state.previousWindowSuccesses = windows === 1 ? state.windowSuccesses : 0;
  state.windowSuccesses = 0;
  state.windowStart += windows * WINDOW_MS;
}

/** Successes in the last second: this window's, and the share of the previous one still inside it. */
function servedInLastSecond(state: UpstreamState, now: number): number {
  return state.windowSuccesses + state.previousWindowSuccesses * Math.max(0, 1 - (now - state.windowStart) / WINDOW_MS);
}

export function recordSuccess(state: UpstreamState, now: number): void {
  rollWindow(state, now);
  state.windowSuccesses++;
  state.faults = 0;
  state.faultedCalls = 0;
  if (state.down) {
    state.down = false;
    state.probeTaken = false;
    state.releaseUntil = now + RELEASE_MS;
  }
  // While contended, each success says the rate we send at is served: ask for more.
  if (now >= state.busyUntil) return;
  advance(state, now);
  const rate = Math.max(state.rate, MIN_RATE);
  const grown = state.slowStart ? rate * Math.max(SLOW_START_GROWTH, 2 ** ((now - state.rateAt) / SLOW_START_DOUBLING_MS)) : rate * (1 + PROBE_STEP);
  const queuedSeconds = (state.ticketsIssued - state.queueHead) / rate;
  if (!state.slowStart && (grown >= state.peak * REGROW_PAST_PEAK || now - state.cutAt >= QUIET_MS) && queuedSeconds > RESTART_QUEUED_S) state.slowStart = true;
  // Growing no further than twice what was served in the last second: a rate nobody has seen served is a guess.
  setRate(state, now, Math.max(state.rate, Math.min(grown, 2 * servedInLastSecond(state, now) + 1)));
}

function setRate(state: UpstreamState, now: number, rate: number): void {
  state.rate = rate;
  state.rateAt = now;
}

/**
 * `count` successes at `now`, as `count` calls of `recordSuccess` would record them. Only while
 * contended does each one change more than the count (the rate grows with each), so a calm fold of
 * many successes costs one step, not one per success.
 */
export function recordSuccesses(state: UpstreamState, now: number, count: number): void {
  if (count === 0) return;
  if (now < state.busyUntil) {
    for (let i = 0; i < count; i++) recordSuccess(state, now);
    return;
  }
  recordSuccess(state, now);
  state.windowSuccesses += count - 1;
}

export function recordFailure(state: UpstreamState, outcome: AttemptOutcome): void {
  const { now, failure, firmHint, attempt } = outcome;
  rollWindow(state, now);
  if (failure === 'rate-limit') {
    state.faults = 0;
    state.faultedCalls = 0;
    // Calm until now, every queued call went without waiting for its turn: the queue starts empty.
    if (now >= state.busyUntil) {
      state.queueHead = state.ticketsIssued;
      state.queueAt = now;
    }
    // A paced attempt refused (a retry, or a first attempt that waited for its turn) says that we
    // sent one too many, and the cut answers that. Its hint is its own (it waits for it), not a
    // cool-down for the queue: with whole-second hints (retry-after: 1 for a token 100 ms away) each
    // refusal would stall a second of turns.
    const paced = (attempt > 1 || outcome.paced === true) && state.rate > 0 && now < state.busyUntil;
    if (firmHint !== undefined && !paced) state.coolDownUntil = Math.max(state.coolDownUntil, now + firmHint);
    if (state.rate === 0) {
      // The first refusal: what was served in the last second is the best first guess (none: unknown).
      setRate(state, now, state.windowSuccesses + state.previousWindowSuccesses);
    } else if (paced && now - state.cutAt >= 1000 / state.rate) {
      // We send faster than the upstream serves. Once per interval at the rate cut to: a refusal
      // sooner than that answers the rate before the cut.
      advance(state, now);
      const served = servedInLastSecond(state, now);
      const cut = state.slowStart ? state.rate * SLOW_START_EXIT : Math.min(state.rate * CUT, Math.max(served, state.rate * DEEPEST_CUT));
      state.peak = state.rate;
      setRate(state, now, Math.max(MIN_RATE, cut));
      state.cutAt = now;
      state.slowStart = false;
    }
    state.busyUntil = Math.max(state.busyUntil, now + BUSY_MS, state.coolDownUntil);
    return;
  }
  if (failure === 'server' || failure === 'network' || failure === 'timeout') {
    state.faults++;
    if (attempt === 1) state.faultedCalls++;
    if (state.down) {
      // The probe failed: the next one goes a gap later.
      state.probeTaken = false;
      state.probeAt = Math.max(state.probeAt, now + probeGap(state, now));
    } else if (state.faults >= FAULTS_FOR_OUTAGE && state.faultedCalls >= 2) {
      // Down only when more than one call fails: a lone caller's own retries are its probes.
      state.down = true;
      state.downSince = now;
      state.probeTaken = false;
      state.probeAt = now + probeGap(state, now);
    }
  }
}

/** When the retry after a failure may go: paced behind other refused calls, or at the next probe. */
export function scheduleRetry(state: UpstreamState, request: RetryRequest): CoordinatorAnswer {
  const { now, ownDelay, firmHint, maxWait } = request;
  // Paced only once a rate is known; a lone caller, who has seen no success, keeps its own delay.
  // With announced limits, the retry keeps its own delay too, and its admission gives it a slot.
  if (request.failure === 'rate-limit' && state.rate > 0 && !knowsLimits(state)) {
    // After a firm hint the own delay is the hint plus its spread; otherwise the turn may come sooner.
    return queue(state, now, firmHint !== undefined ? ownDelay : 0, maxWait, ownDelay);
  }
  // While down, the calls wait for the next probe, then ask again: one of them probes, the others
  // learn its outcome at once and go when it succeeds.
  // The call that just probed comes back last, so that the next probe is another call's attempt.
  if (state.down) return { wait: Math.max(0, state.probeAt - now) + (request.probed ? PROBE_POLL_MS : 0), reason: 'probe', askAgain: true };
  const wait = Math.max(ownDelay, state.coolDownUntil - now);
  return { wait, reason: wait > ownDelay ? 'cool-down' : 'backoff' };
}

/** A probe out longer than this is taken for lost. */
const PROBE_LEASE_MS = 30_000;
/** Waiting calls look again this often while a probe is out. */
const PROBE_POLL_MS = 250;

/**
 * Whether an attempt may start now. While down, the first call at or after the probe time probes
 * and the others wait for its outcome; after its success they are spread over a short window;
 * during a server's cool-down, new calls take paced slots after it.
 */
export function admit(state: UpstreamState, request: AdmissionRequest): CoordinatorAnswer {
  return admitAttempt(state, request).answer;
}

/**
 * `admit`, with what the limit model booked when the attempt was admitted by it. `deferred`: the
 * attempt's request goes through `upstream.fetch()`, which admits it knowing its tokens; the
 * engine's admission then only keeps it behind a cool-down.
 */
export function admitAttempt(state: UpstreamState, request: AdmissionRequest, deferred = false): { answer: CoordinatorAnswer; booked?: Booking } {
  const { now, random } = request;
  if (state.down) {
    // A probe that never reported (its caller went away mid-attempt) frees its turn after a while.
    if (state.probeTaken && now >= state.probeAt + PROBE_LEASE_MS) state.probeTaken = false;
    if (!state.probeTaken && now >= state.probeAt) {
      state.probeTaken = true;
      return { answer: { wait: 0, reason: 'probe' } };
    }
    return { answer: { wait: state.probeTaken ? PROBE_POLL_MS : state.probeAt - now, reason: 'probe', askAgain: true } };
  }
  if (now < state.releaseUntil) return { answer: { wait: random() * (state.releaseUntil - now), reason: 'probe' } };
  if (knowsLimits(state)) return byLimits(state, request, deferred);
  if (request.ticket !== undefined && state.rate > 0) return { answer: turn(state, now, request.ticket, request.maxWait) };
  // New calls while contended take turns in the queue too (behind any cool-down): unpaced, a pool
  // of workers would earn a refusal for almost every request. One that cannot wait its turn goes,
  // and the server answers.
  if (request.attempt === 1 && state.rate > 0 && (now < state.coolDownUntil || now < state.busyUntil)) {
    return { answer: queue(state, now, Math.max(0, state.coolDownUntil - now), request.maxWait, 0) };
  }
  return { answer: { wait: 0, reason: 'backoff' } };
}

/**
 * An attempt's slot in the announced limits, charged one request now; a first attempt's comes after
 * any cool-down too (a retry waited for the hint already). A slot later than the call may wait is
 * not taken: the attempt goes, uncharged, and the server decides, as a soft hint never ends a call.
 */
function byLimits(state: UpstreamState, request: AdmissionRequest, deferred: boolean): { answer: CoordinatorAnswer; booked?: Booking } {
  const { now, maxWait } = request;
  const coolDown = request.attempt === 1 ? Math.max(0, state.coolDownUntil - now) : 0;
  if (deferred) return { answer: { wait: coolDown, reason: 'cool-down' } };
  // Its tokens are not known before its request: its fetch(), if any, books them.
  const horizon = bookingHorizon(state.admission);
  const admitted = admitCost(state.admission, { requests: 1, tokens: 0 }, now, Math.min(maxWait - coolDown, horizon), false);
  if (!('wait' in admitted)) {
    // Past the booking horizon but within the call's patience: it asks again when within reach.
    const slot = 'tooLong' in admitted ? admitted.tooLong : Infinity;
    if (slot <= maxWait - coolDown) return { answer: { wait: Math.max(coolDown, lookAgainAfter(slot, horizon)), reason: 'admission', askAgain: true } };
    return { answer: { wait: 0, reason: 'admission' } };
  }
  const wait = Math.max(coolDown, admitted.wait);
  return { answer: { wait, reason: wait > admitted.wait ? 'cool-down' : 'admission' }, booked: { charge: admitted.charge } };
}
