import { passAttemptTo, type AttemptContext } from '../engine/attempt-context.js';
import { callWithRetry, type CallSite } from '../engine/engine.js';
import { policyForCall } from '../policy/defaults.js';
import type { RetryOptions } from '../policy/options.js';

const noArguments: readonly unknown[] = Object.freeze([]);

// The user's function is the call's `this` (see `passAttemptTo`), and names the call when a hook or
// a span needs it: the name is not read on a call that needs none.
const retrySite: CallSite = { fn: passAttemptTo, label: (fn) => (fn as Function).name || 'retry()' };

/**
 * Runs `fn` with the same engine and options as `@Retryable`, for plain functions. `fn` receives
 * the attempt context; pass `attempt.signal` on to the SDK. Cancellation comes from `options.signal`.
 */
export function retry<T>(fn: (attempt: AttemptContext) => PromiseLike<T>, options?: RetryOptions): Promise<T> {
  if (typeof fn !== 'function') throw new TypeError(`retry(): fn must be a function, got ${fn === null ? 'null' : typeof fn}`);
  const policy = policyForCall(options);
  if (typeof policy.signal === 'function') throw new TypeError('retry(): signal must be an AbortSignal; a function of the arguments only serves @Retryable');
  return callWithRetry(policy, retrySite, fn, noArguments, policy.signal) as Promise<T>;
}
