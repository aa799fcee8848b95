import type { CoordinatorAnswer } from './coordinator.js';
import type { UpstreamState } from './upstream-state.js';

/**
 * The queue of refused calls, served at the rate learned from successes and 429s: what paces an
 * upstream that announces no limits. Tickets are handed out in the order calls were refused; the
 * head moves on with time at the learned rate.
 */

/** Moves the queue on at the learned rate: the tickets due by now are served. None during a cool-down. */
function advance(state: UpstreamState, now: number): void {
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
 * refused. A call refused while nobody waits keeps its own delay (a lone caller is fast); the ones
 * refused after it queue behind it. The turn is computed again when the call comes back, at the
 * rate learned meanwhile. A call that cannot wait for its turn gives up now rather than retry into
 * another refusal, except while the rate is still growing from a small first share.
 */
export function queue(state: UpstreamState, now: number, earliest: number, maxWait: number, ownDelay: number): CoordinatorAnswer {
  advance(state, now);
  const ticket = state.ticketsIssued + 1;
  if (state.ticketsIssued - state.queueHead < 1) {
    state.ticketsIssued = ticket;
    const wait = Math.max(ownDelay, state.coolDownUntil - now);
    return wait > maxWait ? { refuse: 'paced' } : { wait, reason: wait > ownDelay ? 'cool-down' : 'backoff' };
  }
  const wait = Math.max(dueAt(state, ticket) - now, earliest);
  if (wait > maxWait && !state.slowStart) return { refuse: 'paced' };
  state.ticketsIssued = ticket;
  return { wait: Math.max(earliest, recheckAfter(Math.min(wait, maxWait))), reason: 'paced', askAgain: true, ticket };
}

/** A queued call back for its turn: go when its ticket is due, else wait for it. */
export function turn(state: UpstreamState, now: number, ticket: number, maxWait: number): CoordinatorAnswer {
  advance(state, now);
  const wait = dueAt(state, ticket) - now;
  if (wait < 1) return { wait: 0, reason: 'paced' };
  if (wait > maxWait && !state.slowStart) return { refuse: 'paced' };
  return { wait: recheckAfter(Math.min(wait, maxWait)), reason: 'paced', askAgain: true, ticket };
}

/**
 * A queued call comes back before its turn to look again, since the rate may have grown meanwhile:
 * halfway there, or at the turn itself once that is near.
 */
function recheckAfter(untilTurn: number): number {
  return Math.min(untilTurn, Math.max(RECHECK_MS, untilTurn / 2));
}

/** A queued call looks again at least this long before its turn. */
const RECHECK_MS = 250;
