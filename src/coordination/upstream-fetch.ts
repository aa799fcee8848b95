import { readRateLimits } from '../http/rate-limit-headers.js';
import { responseHeadersOf } from '../http/server-hints.js';
import { estimateRequestTokens } from '../http/token-estimate.js';
import { admitCost, bookingHorizon, hear, lookAgainAfter, settleCold, type Admitted, type Booking, type Charge, type Heard } from './admission.js';
import type { AttemptOutcome } from './coordinator.js';
import type { Transition } from './upstream-store.js';
import { isCalm } from './upstream-state.js';
import type { Upstream } from './upstream.js';

/** The shape of `fetch` that SDK clients take (openai's `fetch` option, undici, node 18+). */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** How long after its slot an engine-admitted attempt may make its request and still be the one admitted. */
const CREDIT_MS = 1000;

/**
 * Requests the engine has admitted (and charged) whose HTTP request has not gone yet. The SDK calls
 * `fetch` a few microtasks after the method started, out of reach of `currentAttempt()`; so the
 * next `fetch()` takes the oldest open credit instead of charging another request. Any credit will
 * do, since all are one request each; one left unused (an attempt that made no request through
 * this fetch) lapses shortly after its slot, so a later bare request is charged in full.
 */
export class CreditLedger {
  private readonly open: Array<{ readonly from: number; readonly until: number; readonly booked: Booking }> = [];

  grant(startsAt: number, booked: Booking): void {
    this.open.push({ from: startsAt, until: startsAt + CREDIT_MS, booked });
  }

  /** The oldest credit whose slot has come: a request sent before an attempt's slot is not that attempt's. */
  take(now: number): Booking | undefined {
    for (let index = 0; index < this.open.length; index++) {
      const credit = this.open[index]!;
      if (credit.until < now) this.open.splice(index--, 1);
      else if (credit.from <= now) return this.open.splice(index, 1)[0]!.booked;
    }
    return undefined;
  }
}

/** Response headers already learned from by `fetch()`: the engine's report of the same 429 must not count them twice. */
const heardHeaders = new WeakSet<object>();

/** What an attempt's failure says about the limits, unless it carries no response or `fetch()` already heard it. */
export function hearFailure(outcome: AttemptOutcome): Heard | undefined {
  if (outcome.status === undefined) return undefined;
  const headers = responseHeadersOf(outcome.error);
  if (headers !== undefined && heardHeaders.has(headers)) return undefined;
  return { limits: readRateLimits(headers, outcome.now), charge: undefined, refused: outcome.status === 429 };
}

interface FetchAdmission {
  readonly now: number;
  /** The request's estimated tokens (0: unknown). */
  readonly tokens: number;
  /** What the engine booked, when it admitted the attempt making this request. */
  readonly credit: Booking | undefined;
}

const admittingFetch: Transition<FetchAdmission, { admitted: Admitted; coolDown: number; calm: boolean }> = (state, { now, tokens, credit }) => {
  const horizon = bookingHorizon(state.admission);
  const booked: Admitted = credit === undefined
    ? admitCost(state.admission, { requests: 1, tokens }, now, horizon, true)
    : withBooking(admitCost(state.admission, { requests: 0, tokens }, now, horizon, false), credit);
  // A slot past the horizon is not booked: the request looks again when it would be within reach.
  const admitted = 'tooLong' in booked && booked.tooLong !== Infinity ? { poll: lookAgainAfter(booked.tooLong, horizon) } : booked;
  return { admitted, coolDown: Math.max(0, state.coolDownUntil - now), calm: isCalm(state, now) };
};

const hearing: Transition<{ now: number; heard: Heard | undefined; cold: boolean }, { calm: boolean }> = (state, { now, heard, cold }) => {
  if (heard !== undefined) hear(state.admission, heard, now);
  if (cold) settleCold(state.admission);
  return { calm: isCalm(state, now) };
};

/** A credited request's charge: its request's as booked by the engine, its tokens' as charged now. */
function withBooking(admitted: Admitted, credit: Booking): Admitted {
  return 'wait' in admitted ? { ...admitted, charge: { requests: credit.charge.requests, tokens: admitted.charge.tokens } } : admitted;
}

/** Reports a response; nobody awaits it, so a store that fails must not leave a rejection unhandled. */
function tell(upstream: Upstream, news: { now: number; heard: Heard | undefined; cold: boolean }): void {
  const told = upstream.applyFetch(hearing, news);
  if (told instanceof Promise) told.catch(() => {});
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first; no timer or listener outlives it. */
function hold(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.ceil(ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A request's place in the limits: the charge its response is read against, and whether it went before the limits were known. */
interface Ticket {
  readonly charge: Charge | undefined;
  readonly cold: boolean;
}

/** Waits until the request fits the limits and charges it: one request (none if the engine did) and its tokens. */
async function admitRequest(upstream: Upstream, tokens: number, signal: AbortSignal | undefined): Promise<Ticket> {
  // Taken once: a request that looks again keeps the attempt's credit.
  const credit = upstream.credits.take(Date.now());
  for (;;) {
    if (signal?.aborted) throw signal.reason;
    const now = Date.now();
    const { admitted, coolDown } = await upstream.applyFetch(admittingFetch, { now, tokens, credit });
    // Before any response told the limits, enough requests are out to learn them from; or its slot
    // lies past the horizon: look again later.
    if ('poll' in admitted) {
      await hold(admitted.poll, signal);
      continue;
    }
    // With no bound on the wait, only a limit that cannot refill ends here: the server decides.
    if ('tooLong' in admitted) return { charge: credit?.charge, cold: false };
    const wait = Math.max(admitted.wait, coolDown);
    if (wait > 0) await hold(wait, signal);
    return { charge: admitted.charge, cold: admitted.cold };
  }
}

/** See `Upstream.fetch`. */
export function upstreamFetch(upstream: Upstream, baseFetch: FetchLike = (input, init) => fetch(input, init)): FetchLike {
  if (typeof baseFetch !== 'function') throw new TypeError(`upstream.fetch(): baseFetch must be a function, got ${String(baseFetch)}`);
  return async function fetchThroughUpstream(input, init) {
    // A JSON string body can be read without touching it; a stream or form data is left alone, cost unknown.
    const tokens = typeof init?.body === 'string' ? estimateRequestTokens(init.body) ?? 0 : 0;
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined) ?? undefined;
    upstream.fetching = true;
    const ticket = await admitRequest(upstream, tokens, signal);
    let response: Response;
    try {
      response = await baseFetch(input, init);
    } catch (error) {
      tell(upstream, { now: Date.now(), heard: undefined, cold: ticket.cold });
      throw error;
    }
    // Only the headers are read: the body, a stream or not, reaches the caller as it came.
    const now = Date.now();
    heardHeaders.add(response.headers);
    const heard: Heard = { limits: readRateLimits(response.headers, now), charge: ticket.charge, refused: response.status === 429 };
    tell(upstream, { now, heard, cold: ticket.cold });
    return response;
  };
}
