import type { Attempt } from './attempt-context.js';
import type { DecoratedMethod } from '../policy/defaults.js';
import type { RetryOptions } from '../policy/options.js';

/**
 * The library's few pieces of process-wide state. An application can load both the ESM and the
 * CJS build (one dependency imports, another requires); keeping the state on `globalThis` under a
 * registered symbol lets both copies share it, so `currentAttempt()` from one sees an attempt
 * started by the other and `setRetryDefaults` reaches every decorated method.
 */
export interface SharedState {
  /**
   * The attempt whose synchronous part is running, if any; while a first attempt runs with no
   * context built yet, its `maxRetries`, which is all `currentAttempt()` needs to build it.
   */
  running: Attempt | number | undefined;
  applicationDefaults: RetryOptions;
  defaultsVersion: number;
  readonly decoratedMethods: Set<DecoratedMethod>;
  readonly methodsByWrapper: WeakMap<Function, DecoratedMethod>;
}

const key = Symbol.for('retryable.shared-state.v2');
const holder = globalThis as typeof globalThis & { [key]?: SharedState };

export const shared: SharedState = (holder[key] ??= {
  running: undefined,
  applicationDefaults: Object.freeze({}),
  defaultsVersion: 0,
  decoratedMethods: new Set(),
  methodsByWrapper: new WeakMap(),
});
