import { passAttemptTo, type AttemptContext } from '../engine/attempt-context.js';
import { callWithRetry } from '../engine/engine.js';
import { policyForCall } from '../policy/defaults.js';
import type { RetryOptions } from '../policy/options.js';

const noArguments: readonly unknown[] = Object.freeze([]);

/**
 * Runs `fn` with the same engine and options as `@Retryable`, for plain functions. `fn` receives
 * the attempt context; pass `attempt.signal` on to the SDK. Cancellation comes from `options.signal`.
 */
export function retry<T>(fn: (attempt: AttemptContext) => PromiseLike<T>, options?: RetryOptions): Promise<T> {
  if (typeof fn !== 'function') throw new TypeError(`retry(): fn must be a function, got ${fn === null ? 'null' : typeof fn}`);
  const policy = policyForCall(options);
  if (typeof policy.signal === 'function') throw new TypeError('retry(): signal must be an AbortSignal; a function of the arguments only serves @Retryable');
  return callWithRetry(policy, fn.name || 'retry()', passAttemptTo, fn, noArguments, policy.signal) as Promise<T>;
}
