import 'reflect-metadata';
import { describe, expect, test } from 'vitest';
import { copyMethodIdentity, getRetryPolicy, publishPolicy, RETRY_POLICY_METADATA } from '../../src/entry-points/metadata.js';
import { registerDecoratedMethod } from '../../src/policy/defaults.js';

function record() {
  return registerDecoratedMethod({ maxRetries: 1 }, '@Retryable on Test.method', () => {});
}

describe('metadata', () => {
  test('the policy metadata key is "retryable:policy"', () => {
    expect(RETRY_POLICY_METADATA).toBe('retryable:policy');
  });

  test('the wrapper takes the name and length of the method, and both stay configurable', () => {
    function complete(_prompt: string, _options: object): void {}
    const wrapper = function (..._args: unknown[]) {};
    copyMethodIdentity(complete, wrapper);
    expect(wrapper.name).toBe('complete');
    expect(wrapper.length).toBe(2);
    for (const key of ['name', 'length']) {
      expect(Object.getOwnPropertyDescriptor(wrapper, key)).toMatchObject({ configurable: true, writable: false, enumerable: false });
    }
  });

  test('the policy is published on the wrapper and, given a target, on the target and key', () => {
    class Target {}
    const method = record();
    const wrapper = () => {};
    publishPolicy(wrapper, method, Target.prototype, 'method');
    expect(Reflect.getMetadata(RETRY_POLICY_METADATA, wrapper)).toBe(method.policy);
    expect(Reflect.getMetadata(RETRY_POLICY_METADATA, Target.prototype, 'method')).toBe(method.policy);
    const alone = () => {};
    publishPolicy(alone, method);
    expect(Reflect.getMetadata(RETRY_POLICY_METADATA, alone)).toBe(method.policy);
  });

  test('getRetryPolicy is undefined for a function without a prototype, and for a key that is not a method', () => {
    expect(getRetryPolicy(() => {}, 'call')).toBeUndefined();
    expect(getRetryPolicy({ call: 5 }, 'call')).toBeUndefined();
    expect(getRetryPolicy(Object.create(null), 'call')).toBeUndefined();
  });

  test('with a partial Reflect polyfill (getOwnMetadataKeys but no defineMetadata), metadata is skipped, nothing throws', () => {
    const reflect = Reflect as unknown as Record<string, unknown>;
    const saved = reflect.defineMetadata;
    delete reflect.defineMetadata;
    try {
      const method = record();
      const wrapper = function (): void {};
      expect(() => copyMethodIdentity(function call(): void {}, wrapper)).not.toThrow();
      expect(() => publishPolicy(wrapper, method, {}, 'call')).not.toThrow();
    } finally {
      reflect.defineMetadata = saved;
    }
  });

  test('with a partial Reflect polyfill (defineMetadata but no getOwnMetadataKeys), metadata is skipped, nothing throws', () => {
    const reflect = Reflect as unknown as Record<string, unknown>;
    const saved = reflect.getOwnMetadataKeys;
    delete reflect.getOwnMetadataKeys;
    try {
      const method = record();
      const original = function call(): void {};
      const wrapper = function (): void {};
      Reflect.defineMetadata('route', '/x', original);
      expect(() => copyMethodIdentity(original, wrapper)).not.toThrow();
      expect(() => publishPolicy(wrapper, method)).not.toThrow();
      expect(Reflect.getOwnMetadata('route', wrapper)).toBeUndefined();
      expect(Reflect.getOwnMetadata(RETRY_POLICY_METADATA, wrapper)).toBeUndefined();
      class Holder { static call = wrapper; }
      expect(getRetryPolicy(Holder, 'call')).toBe(method.policy);
    } finally {
      reflect.getOwnMetadataKeys = saved;
    }
  });
});
