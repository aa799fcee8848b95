import { initialUpstreamState, type UpstreamState } from './upstream-state.js';

/** A transition of an upstream's state: a pure function of the state and one argument. */
export type Transition<A, R> = (state: UpstreamState, argument: A) => R;

/**
 * Where an upstream's state lives. `apply` runs one transition atomically against the shared state
 * and returns its result: synchronously in memory, after one round trip on Redis. A store that
 * cannot reach its backend must fail open: apply the transition to a local copy and carry on.
 */
export interface UpstreamStore {
  apply<A, R>(upstream: string, transition: Transition<A, R>, argument: A): R | Promise<R>;
  /**
   * Set by a store whose every `apply` costs a round trip (Redis). While calm, an `Upstream` then
   * counts successes locally and folds them into the shared state with its next transition, or at
   * most this often (ms) while calls flow; that fold also tells it whether the fleet is still calm.
   * Absent (in memory): every success is applied at once, as it costs nothing.
   */
  readonly syncInterval?: number;
}

/** The default store: one state per upstream name, in this process. */
export class MemoryStore implements UpstreamStore {
  /**
   * Calm successes are counted and folded in every 100 ms: the happy path then costs a counter,
   * not a transition, and the rate learned at the first refusal is at most 100 ms late.
   */
  readonly syncInterval = 100;
  private readonly states = new Map<string, UpstreamState>();

  apply<A, R>(upstream: string, transition: Transition<A, R>, argument: A): R {
    let state = this.states.get(upstream);
    if (state === undefined) this.states.set(upstream, (state = initialUpstreamState()));
    return transition(state, argument);
  }
}
