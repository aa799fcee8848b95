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
}

/** The default store: one state per upstream name, in this process. */
export class MemoryStore implements UpstreamStore {
  private readonly states = new Map<string, UpstreamState>();

  apply<A, R>(upstream: string, transition: Transition<A, R>, argument: A): R {
    let state = this.states.get(upstream);
    if (state === undefined) this.states.set(upstream, (state = initialUpstreamState()));
    return transition(state, argument);
  }
}
