/**
 * The limit model behind admission: each limit the upstream announces in its rate-limit headers
 * (requests, tokens) mirrored as the token bucket the server keeps, charged by every attempt this
 * model admits and corrected by every response that tells where the server's bucket stands. Pure
 * and JSON-safe, like the rest of an upstream's state: `now` is passed in, nothing is kept outside.
 *
 * An admission is a reservation (as in GCRA): the cost is charged at once, so the level may go
 * below zero, and the attempt goes when the bucket would have refilled to cover it. Calls held
 * together thus get slots one after the other, in the order they asked, without asking again.
 */
import type { LimitState, RateLimitSnapshot } from '../http/rate-limit-headers.js';

export type LimitKind = 'requests' | 'tokens';

/** One limit as we believe the server's bucket stands. */
export interface BucketModel {
  capacity: number;
  /** Refill rate, per ms. */
  perMs: number;
  /** The level at `at`, net of every charge this model made since: below 0 when slots are booked ahead. */
  level: number;
  at: number;
  /**
   * The rate anchor: when an earlier response said the bucket would be full again, and `spent` at
   * its charge (-1: none). Between two such responses the full time moves on by exactly the cost
   * charged meanwhile divided by the rate, whatever the rounding of `remaining`.
   */
  anchorFullAt: number;
  anchorSpent: number;
}

export interface AdmissionState {
  requests: BucketModel | null;
  tokens: BucketModel | null;
  /** Everything ever charged, per limit: what was admitted after a request is the difference with its `Charge`. */
  spentRequests: number;
  spentTokens: number;
  /** What responses have shown: nothing yet, rate-limit headers, or a response without them. */
  heard: 'nothing' | 'limits' | 'no limits';
  /** Before anything is heard: requests out, and when the first of them went. */
  coldInFlight: number;
  coldSince: number;
}

/** What a request costs: 1 request (0 when the engine booked it already), and its estimated tokens (0: unknown). */
export interface Cost {
  readonly requests: number;
  readonly tokens: number;
}

/** `spent` of each limit right after a request's charge: its response's headers are read against it. */
export interface Charge {
  readonly requests: number;
  readonly tokens: number;
}

/** Until the first response tells the limit, at most this many requests go out together. */
export const COLD_IN_FLIGHT = 4;
/** ...for at most this long: a first response that never comes must not hold everyone. */
export const COLD_HOLD_MS = 2000;
/** A request held for the first response looks again this often. */
export const COLD_POLL_MS = 50;
/**
 * A slot leaves this share of the capacity unspent. Requests sent close together may reach the
 * server in another order than they were admitted in; the margin absorbs that jitter. It shifts
 * every slot by the same time, so it costs no throughput.
 */
export const SLOT_MARGIN = 0.1;
/** The upstream is calm while every limit keeps at least this share of its capacity free. */
export const CALM_SHARE = 0.2;
/** Without any rate seen, OpenAI's limits are per minute: a full bucket refills in 60 s. */
const MINUTE_MS = 60_000;

export function initialAdmissionState(): AdmissionState {
  return { requests: null, tokens: null, spentRequests: 0, spentTokens: 0, heard: 'nothing', coldInFlight: 0, coldSince: 0 };
}

export function levelAt(bucket: BucketModel, now: number): number {
  return Math.min(bucket.capacity, bucket.level + Math.max(0, now - bucket.at) * bucket.perMs);
}

/** Whether every known limit has room to spare, so that attempts need not ask. */
export function hasHeadroom(state: AdmissionState, now: number): boolean {
  return isRoomy(state.requests, now) && isRoomy(state.tokens, now);
}

// At module level: the happy path's count of successes folds in through `hasHeadroom`.
function isRoomy(bucket: BucketModel | null, now: number): boolean {
  return bucket === null || levelAt(bucket, now) >= bucket.capacity * CALM_SHARE;
}

/**
 * How far ahead slots are booked: one refill of the smallest bucket (its capacity over its rate:
 * a minute for OpenAI's limits), and at least MIN_HORIZON_MS. Booked further ahead, slots keep the
 * shape of the moment they were booked: a pool of workers that books a slot as each request ends
 * replays any lull among its requests a booking time later, and during a lull longer than a refill
 * the server's bucket stands full and loses what the model counts on (bench/README.md, the batch
 * family). A request whose slot lies further looks again when it would be within reach. The floor
 * keeps those looks few where a refill is short (each one is a round trip on Redis).
 */
export function bookingHorizon(state: AdmissionState): number {
  const refill = (bucket: BucketModel | null) => (bucket === null ? Infinity : bucket.capacity / bucket.perMs);
  return Math.max(MIN_HORIZON_MS, Math.min(refill(state.requests), refill(state.tokens)));
}

/** See `bookingHorizon`: 5 and 10 s gave no refusal in the batch family where 20 s gave 2%, and 25 s (no horizon) 13%. */
export const MIN_HORIZON_MS = 5000;

/** When a request whose slot lies `wait` ms ahead, past the horizon, looks again: once within it, and at most four times a refill. */
export function lookAgainAfter(wait: number, horizon: number): number {
  return Math.max(wait - horizon, horizon / 4);
}

/** ms until `cost` fits the bucket (0: now); a cost above the capacity is capped: it never fits, and the server decides. */
function waitFor(bucket: BucketModel | null, cost: number, now: number): number {
  if (bucket === null || cost <= 0) return 0;
  const short = Math.min(cost, bucket.capacity * (1 - SLOT_MARGIN)) + bucket.capacity * SLOT_MARGIN - levelAt(bucket, now);
  return short <= 0 ? 0 : short / bucket.perMs;
}

function charge(bucket: BucketModel | null, cost: number, now: number): void {
  if (bucket === null || cost <= 0) return;
  bucket.level = levelAt(bucket, now) - Math.min(cost, bucket.capacity);
  bucket.at = now;
}

/** What an engine admission booked for an attempt whose request is still to come: one request, its tokens left to its fetch(). */
export interface Booking {
  readonly charge: Charge;
}

export type Admitted =
  | { readonly wait: number; readonly charge: Charge; readonly cold: boolean }
  | { readonly tooLong: number }
  | { readonly poll: number };

/**
 * Admits a request of `cost`: charged now, to go after `wait` ms; or, when that is longer than
 * `maxWait`, not charged (`tooLong`); or, before the limit is known and with enough requests out
 * to learn it from (`cold`), to look again after `poll` ms.
 */
export function admitCost(state: AdmissionState, cost: Cost, now: number, maxWait: number, cold: boolean): Admitted {
  const counted = cold && state.heard === 'nothing';
  if (counted) {
    if (state.coldInFlight === 0) state.coldSince = now;
    else if (state.coldInFlight >= COLD_IN_FLIGHT && now < state.coldSince + COLD_HOLD_MS) return { poll: COLD_POLL_MS };
    state.coldInFlight++;
  }
  const wait = Math.max(waitFor(state.requests, cost.requests, now), waitFor(state.tokens, cost.tokens, now));
  if (wait > maxWait) return { tooLong: wait };
  charge(state.requests, cost.requests, now);
  charge(state.tokens, cost.tokens, now);
  state.spentRequests += cost.requests;
  state.spentTokens += cost.tokens;
  return { wait, charge: { requests: state.spentRequests, tokens: state.spentTokens }, cold: counted };
}

/** A cold request settled (answered or not): it no longer holds others back. */
export function settleCold(state: AdmissionState): void {
  if (state.coldInFlight > 0) state.coldInFlight--;
}

export interface Heard {
  /** What the response's headers said (`readRateLimits`); undefined when it had none. */
  readonly limits: RateLimitSnapshot | undefined;
  /** The request's charge; undefined when unknown (an error reported without going through `fetch`). */
  readonly charge: Charge | undefined;
  /** The server refused the request (429), so it charged nothing for it. */
  readonly refused: boolean;
}

/** Learns from one response: the limits it announces, or that it announces none. */
export function hear(state: AdmissionState, heard: Heard, now: number): void {
  if (heard.limits === undefined) {
    if (state.heard === 'nothing') state.heard = 'no limits';
    return;
  }
  state.heard = 'limits';
  const { requests, tokens } = heard.limits;
  if (requests) state.requests = learn(state.requests, requests, heard, state.spentRequests, heard.charge?.requests, now);
  if (tokens) state.tokens = learn(state.tokens, tokens, heard, state.spentTokens, heard.charge?.tokens, now);
}

/**
 * The bucket as one response shows it. The server counts `remaining` after this request's charge
 * and before those of requests admitted after it: those are taken off again. Without the charge
 * (no way to tell what came after), the level is only ever lowered.
 */
function learn(bucket: BucketModel | null, told: LimitState, heard: Heard, spent: number, charged: number | undefined, now: number): BucketModel | null {
  const capacity = told.limit ?? bucket?.capacity;
  if (capacity === undefined || !(capacity > 0)) return bucket;
  const remaining = Math.min(told.remaining, capacity);
  const perMs = rateOf(bucket, capacity, remaining, told.resetMs, heard, charged, now);
  // `remaining` is rounded down by servers; the reset time pins the level within that unit.
  const exact = told.resetMs === undefined ? remaining : capacity - perMs * told.resetMs;
  const serverLevel = Math.min(remaining + 1, Math.max(remaining, exact));
  const level = charged === undefined ? Math.min(bucket === null ? serverLevel : levelAt(bucket, now), serverLevel) : serverLevel - (spent - charged);
  return { capacity, perMs, level, at: now, ...anchor(bucket, capacity, remaining, told.resetMs, heard, charged, now) };
}

/**
 * The anchor measures over at least this long (ms of full time): responses arrive with network
 * jitter, which a short span would turn into a wrong rate.
 */
const ANCHOR_MIN_SPAN_MS = 250;
/** ...and over at least half the capacity charged, so that the rounding of resets stays below a percent. */
const ANCHOR_SPAN = 0.5;

/** The anchor after this response: kept until enough was charged since it, moved here, or dropped. */
function anchor(bucket: BucketModel | null, capacity: number, remaining: number, resetMs: number | undefined, heard: Heard, charged: number | undefined, now: number): Pick<BucketModel, 'anchorFullAt' | 'anchorSpent'> {
  // A refused request was charged here but not by the server: the anchor would count it. A full
  // bucket may have stood full for a while: its full time says nothing of the rate.
  if (remaining >= capacity || resetMs === undefined || charged === undefined || heard.refused) return { anchorFullAt: -1, anchorSpent: -1 };
  const span = now + resetMs - (bucket?.anchorFullAt ?? 0);
  if (bucket !== null && bucket.anchorFullAt >= 0 && (charged - bucket.anchorSpent < capacity * ANCHOR_SPAN || span < ANCHOR_MIN_SPAN_MS)) {
    return { anchorFullAt: bucket.anchorFullAt, anchorSpent: bucket.anchorSpent };
  }
  return { anchorFullAt: now + resetMs, anchorSpent: charged };
}

/**
 * The refill rate: (limit − remaining) / reset, which the rounding of `remaining` leaves within one
 * unit; the anchor's measure over many charges, when there is one, picks the rate within that range.
 */
function rateOf(bucket: BucketModel | null, capacity: number, remaining: number, resetMs: number | undefined, heard: Heard, charged: number | undefined, now: number): number {
  const known = bucket?.perMs ?? capacity / MINUTE_MS;
  if (resetMs === undefined || resetMs <= 0 || remaining >= capacity) return known;
  const high = (capacity - remaining) / resetMs;
  const low = Math.max(0, capacity - remaining - 1) / resetMs;
  // The rate believed so far, else the middle of the range; then the anchor's measure if it has one.
  let measured = bucket === null ? (low + high) / 2 : known;
  if (bucket !== null && bucket.anchorFullAt >= 0 && charged !== undefined && !heard.refused) {
    const fullMovedBy = now + resetMs - bucket.anchorFullAt;
    const chargedSince = charged - bucket.anchorSpent;
    if (fullMovedBy >= ANCHOR_MIN_SPAN_MS && chargedSince >= capacity * ANCHOR_SPAN) measured = chargedSince / fullMovedBy;
  }
  return Math.min(high, Math.max(low, measured));
}
