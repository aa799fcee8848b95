import { expect, test, describe } from 'vitest';
import { getRetryPolicy, Retryable } from '../../src/index.js';
import { where } from '../support/decorator-mode.js';

// Runs in both decorator modes. Every class here is defined inside a test, not while the file is
// collected: a decorator that throws at collection time fails the whole file before any test runs,
// which the mutation run (Stryker) cannot count as a kill. decorator.test.ts covers the same forms
// at collection time.

describe('call forms and misuse, checked inside each test', () => {
  test('@Retryable(), @Retryable(n, ms) and @Retryable({ ... }) in a class defined here', () => {
    class Forms {
      @Retryable() async plain(): Promise<void> {}
      @Retryable(5, 250) async positional(): Promise<void> {}
      @Retryable({ maxRetries: 2 }) async withOptions(): Promise<void> {}
      @Retryable(1) static async onTheClass(): Promise<void> {}
    }
    expect(getRetryPolicy(Forms, 'plain')).toMatchObject({ maxRetries: 3, initialDelay: 1000 });
    expect(getRetryPolicy(Forms, 'positional')).toMatchObject({ maxRetries: 5, initialDelay: 250 });
    expect(getRetryPolicy(Forms, 'withOptions')).toMatchObject({ maxRetries: 2 });
    expect(getRetryPolicy(Forms, 'onTheClass')).toMatchObject({ maxRetries: 1 });
  });

  test('a null first argument is a bad maxRetries, not a missing options object', () => {
    expect(() => {
      class Service { @Retryable(null as never) async call(): Promise<void> {} }
      return Service;
    }).toThrow(new TypeError(`${where('Service', 'call')}: maxRetries must be a non-negative integer, got null`));
  });

  test('by hand, in the legacy form: an accessor is refused, naming the class for a static member too', () => {
    const decorate = Retryable() as unknown as (...args: unknown[]) => unknown;
    class Service { static get value(): number { return 1; } }
    const accessor = Object.getOwnPropertyDescriptor(Service, 'value');
    expect(() => decorate(Service, 'value', accessor)).toThrow(new TypeError('@Retryable on Service.value: can decorate only methods, not a property or accessor'));
  });

  test('by hand, in the standard form: a getter, or a "method" that is not a function, is refused', () => {
    const decorate = Retryable() as unknown as (...args: unknown[]) => unknown;
    expect(() => decorate(() => 1, { kind: 'getter', name: 'value' })).toThrow(new TypeError('@Retryable on value: can decorate only methods, not a getter'));
    expect(() => decorate(42, { kind: 'method', name: 'call' })).toThrow(new TypeError('@Retryable on call: can decorate only methods, not a method'));
  });
});
