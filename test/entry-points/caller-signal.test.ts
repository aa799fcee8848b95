import { describe, expect, test } from 'vitest';
import { callerSignalOf } from '../../src/entry-points/caller-signal.js';
import { resolvePolicy } from '../../src/policy/policy.js';
import type { RetryOptions } from '../../src/policy/options.js';

const policy = (options: RetryOptions = {}) => resolvePolicy(options, {}, 'test');

describe('callerSignalOf', () => {
  const signal = new AbortController().signal;

  test('skips arguments that cannot carry a signal: null, undefined, primitives, functions', () => {
    const fn = Object.assign(() => {}, { signal });
    expect(callerSignalOf(policy(), undefined, [null, undefined, 0, 'text', true, fn])).toBeUndefined();
    expect(callerSignalOf(policy(), undefined, [null, undefined, 'text', fn, signal])).toBe(signal);
  });

  test('skips objects whose signal field is missing or not an AbortSignal, and finds a later one', () => {
    expect(callerSignalOf(policy(), undefined, [{}, { signal: 'no' }, { signal: { aborted: true } }, { signal }])).toBe(signal);
    expect(callerSignalOf(policy(), undefined, [{ prompt: 'hi' }, signal])).toBe(signal);
  });

  test('takes the first signal, whether an argument or a field', () => {
    const other = new AbortController().signal;
    expect(callerSignalOf(policy(), undefined, [{ signal }, other])).toBe(signal);
    expect(callerSignalOf(policy(), undefined, [other, { signal }])).toBe(other);
  });

  test('the signal option wins: an AbortSignal as it is, or a function called with this and the arguments', () => {
    const other = new AbortController().signal;
    expect(callerSignalOf(policy({ signal: other }), undefined, [signal])).toBe(other);
    const calls: unknown[][] = [];
    const thisArg = { name: 'service' };
    const pick = function (this: unknown, ...args: unknown[]) { calls.push([this, ...args]); return other; };
    expect(callerSignalOf(policy({ signal: pick }), thisArg, [1, signal])).toBe(other);
    expect(calls).toEqual([[thisArg, 1, signal]]);
    expect(callerSignalOf(policy({ signal: () => undefined }), undefined, [signal])).toBeUndefined();
  });
});
