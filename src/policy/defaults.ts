import type { RetryOptions, RetryPolicy } from './options.js';
import { checkOptionsShape, resolvePolicy } from './policy.js';
import { shared } from '../engine/shared-state.js';

/**
 * A decorated method's own options and the policy resolved from them. The policy is replaced
 * (never mutated) when the application defaults change, so a call reads one field and never merges.
 */
export interface DecoratedMethod {
  readonly options: RetryOptions;
  readonly label: string;
  policy: RetryPolicy;
  readonly onPolicyChange: (policy: RetryPolicy) => void;
}

// Classes live as long as the application, so holding their records (in shared.decoratedMethods)
// is not a leak in practice.

export function registerDecoratedMethod(
  options: RetryOptions,
  label: string,
  onPolicyChange: (policy: RetryPolicy) => void,
): DecoratedMethod {
  const record: DecoratedMethod = { options, label, policy: resolvePolicy(options, shared.applicationDefaults, label), onPolicyChange };
  shared.decoratedMethods.add(record);
  return record;
}

/**
 * Sets the options every `@Retryable` method and `retry()` call starts from (replacing any earlier
 * call's), for example one `onRetry` logger for the whole application. Methods decorated before
 * this call take the new defaults too. If the new defaults clash with any method's own options,
 * it throws, names that method, and changes nothing.
 */
export function setRetryDefaults(options: RetryOptions): void {
  const where = 'setRetryDefaults';
  checkOptionsShape(options, where);
  const next = Object.freeze({ ...options });
  resolvePolicy({}, next, where);
  const updated = [...shared.decoratedMethods].map((method) => [method, resolvePolicy(method.options, next, method.label)] as const);
  shared.applicationDefaults = next;
  shared.defaultsVersion++;
  for (const [method, policy] of updated) {
    method.policy = policy;
    method.onPolicyChange(policy);
  }
}

/** Puts the built-in defaults back (mostly for tests). */
export function resetRetryDefaults(): void {
  setRetryDefaults({});
}

// Defaults reach every policy the same way: `resolvePolicy(own options, application defaults)`.
// Only the moment differs. A decorated method's policy is replaced when the defaults change, because
// `setRetryDefaults` must check each method (and name the one that clashes) and reflect-metadata
// readers must see the new policy. A `retry()` options object cannot be listed (it is only a
// WeakMap key), so its policy is resolved again on its next call, when the version has moved.
const policyCache = new WeakMap<RetryOptions, { version: number; policy: RetryPolicy }>();
const noOptions: RetryOptions = Object.freeze({});

/** The policy for a `retry()` call, cached per options object so a hoisted options object is validated once. */
export function policyForCall(options: RetryOptions | undefined): RetryPolicy {
  const key = options ?? noOptions;
  const cached = policyCache.get(key);
  if (cached !== undefined && cached.version === shared.defaultsVersion) return cached.policy;
  const policy = resolvePolicy(key, shared.applicationDefaults, 'retry()');
  policyCache.set(key, { version: shared.defaultsVersion, policy });
  return policy;
}
