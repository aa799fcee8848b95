import type { CoordinatorAnswer } from './coordinator.js';
import type { UpstreamState } from './upstream-state.js';

/**
 * The queue of refused calls, served at the rate learned from successes and 429s: what paces an
 * upstream that announces no limits. Tickets are handed out in the order calls were refused; the
 * head moves on with time at the learned rate.
 */

/** Moves the queue on at the learned rate: the tickets due by now are served. None during a cool-down. */
export function advance(state: UpstreamState, now: number): void {
  if (now <= state.queueAt) return;
  const from = Math.max(state.queueAt, state.coolDownUntil);
  if (now > from) state.queueHead = Math.min(state.ticketsIssued, state.queueHead + ((now - from) * state.rate) / 1000);
  state.queueAt = now;
}

/** When a ticket comes due at the current rate: its place in the queue, served from the end of any cool-down. */
function dueAt(state: UpstreamState, ticket: number): number {
  return Math.max(state.queueAt, state.coolDownUntil) + ((ticket - state.queueHead) * 1000) / state.rate;
}

/**
 * A place in the queue of refused calls, served at the learned rate in the order they were
 * refused. A call refused while nobody waits keeps its own delay (a lone caller is fast) unless its
 * turn at the learned rate comes sooner; the ones refused after it queue behind it. The turn is
 * computed again when the call comes back, at the rate learned meanwhile. A call that cannot wait
 * for its turn gives up now rather than retry into another refusal, except while the rate is still
 * growing from a small first share.
 */
export function queue(state: UpstreamState, now: number, earliest: number, maxWait: number, ownDelay: number): CoordinatorAnswer {
  advance(state, now);
  const ticket = state.ticketsIssued + 1;
  const wait = Math.max(dueAt(state, ticket) - now, earliest);
  if (state.ticketsIssued - state.queueHead < 1 && wait >= ownDelay) {
    state.ticketsIssued = ticket;
    // Not within an interval of the latest paced departure, if any: the two would take one token.
    const afterDeparture = state.departedAt > 0 ? state.departedAt + 1000 / state.rate - now : 0;
    const own = Math.max(ownDelay, state.coolDownUntil - now, afterDeparture);
    if (own > maxWait) return { refuse: 'paced' };
    state.departedAt = Math.max(state.departedAt, now + own);
    return { wait: own, reason: own === ownDelay ? 'backoff' : own === afterDeparture ? 'paced' : 'cool-down' };
  }
  if (wait > maxWait && !state.slowStart) return { refuse: 'paced' };
  state.ticketsIssued = ticket;
  contendedUntil(state, now + wait);
  return { wait: Math.max(earliest, recheckAfter(state, Math.min(wait, maxWait))), reason: 'paced', askAgain: true, ticket };
}

/**
 * While calls wait for their turns the upstream stays contended: calm, they would go without
 * asking, all at their next look, and the rate would stop growing with the successes.
 */
function contendedUntil(state: UpstreamState, time: number): void {
  state.busyUntil = Math.max(state.busyUntil, time);
}

/** A queued call back for its turn: go when its ticket is due, else wait for it. */
export function turn(state: UpstreamState, now: number, held: number, maxWait: number): CoordinatorAnswer {
  advance(state, now);
  // A place after the queue's end (it ended before a call that gave up, and the rate grew since):
  // the head never passes the end, so the call takes the next place at it.
  const ticket = held > state.ticketsIssued ? ++state.ticketsIssued : held;
  const wait = dueAt(state, ticket) - now;
  if (wait < 1) {
    // Its turn has come; calls that came back late go one interval apart, not at once.
    const at = Math.max(now, state.departedAt + 1000 / state.rate);
    state.departedAt = at;
    return { wait: at - now, reason: 'paced' };
  }
  if (wait > maxWait && !state.slowStart) {
    // Every turn after it is later still: their calls give up too when they look again. The queue
    // ends before it, and the turns after it go to calls refused from now on. (Moving the head on
    // instead made the calls in front due at once, and the queue look empty while they waited.)
    state.ticketsIssued = Math.min(state.ticketsIssued, ticket - 1);
    return { refuse: 'paced' };
  }
  contendedUntil(state, now + wait);
  return { wait: recheckAfter(state, Math.min(wait, maxWait)), reason: 'paced', askAgain: true, ticket };
}

/**
 * A queued call comes back before its turn to look again, since the rate may have grown meanwhile:
 * halfway there, or at the turn itself once that is near, and at least every RECHECK_MAX_MS (every
 * RECHECK_MS in slow start, which doubles the rate faster), so that no turn passes while its call sleeps.
 */
function recheckAfter(state: UpstreamState, untilTurn: number): number {
  return Math.min(untilTurn, Math.max(RECHECK_MS, Math.min(untilTurn / 2, state.slowStart ? RECHECK_MS : RECHECK_MAX_MS)));
}

/** A queued call looks again at least this long before its turn, and at most this long after its last look. */
const RECHECK_MS = 250;
const RECHECK_MAX_MS = 1000;
