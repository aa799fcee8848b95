import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { currentAttempt, Retryable } from '../../src/index.js';
import { isStandardDecorators } from '../support/decorator-mode.js';
import { httpError, observe } from '../support/scripted.js';
import { useVirtualTimePerTest } from '../support/virtual-time.js';

// Faults through decorated methods, in both decorator modes (this file runs in both projects).
// The engine-level cases are in test/faults.test.ts.


const exact = { jitter: 'none', initialDelay: 100, multiplier: 2 } as const;

useVirtualTimePerTest();

describe('a method that returns a non-promise by mistake', () => {
  // Typed as returning a Promise so that it compiles, as plain JavaScript would not be checked.
  class Service {
    calls = 0;
    @Retryable(exact) forgotReturn(): Promise<void> { this.calls++; return undefined as never; }
    @Retryable(exact) returnsNull(): Promise<void> { this.calls++; return null as never; }
    @Retryable(exact) returnsData(): Promise<void> { this.calls++; return { data: [] } as never; }
    @Retryable({ ...exact, timeout: 1000 }) underTimeout(): Promise<void> { this.calls++; return 0 as never; }
    @Retryable(exact) static onTheClass(): Promise<void> { return 'text' as never; }
    @Retryable(exact) detachable(): Promise<void> { return undefined as never; }
  }

  test.each([
    ['forgotReturn', 'undefined'],
    ['returnsNull', 'null'],
    ['returnsData', 'object'],
    ['underTimeout', 'number'],
  ] as const)('%s: a rejected promise with a TypeError naming Class.method and what it got; never a synchronous throw', async (method, got) => {
    const service = new Service();
    let promise: Promise<void> | undefined;
    expect(() => { promise = service[method](); }).not.toThrow();
    expect(promise).toBeInstanceOf(Promise);
    const outcome = await observe(promise!) as { status: string; reason: Error };
    expect(outcome.status).toBe('rejected');
    expect(outcome.reason).toBeInstanceOf(TypeError);
    expect(outcome.reason.message).toBe(`@Retryable on Service.${method}: the method must return a Promise, but it returned ${got}`);
    expect(service.calls).toBe(1);
  });

  test('a static method is named after its class too', async () => {
    const outcome = await observe(Service.onTheClass()) as { reason: Error };
    expect(outcome.reason.message).toBe('@Retryable on Service.onTheClass: the method must return a Promise, but it returned string');
  });

  test('called without `this` (a detached method): still a TypeError, never a crash while naming it', async () => {
    const { detachable } = Service.prototype;
    const outcome = await observe(Reflect.apply(detachable, undefined, [])) as { reason: Error };
    expect(outcome.reason).toBeInstanceOf(TypeError);
    // A standard decorator learns its class from `this` only; a legacy one is told at definition.
    const owner = isStandardDecorators() ? '(unknown)' : 'Service';
    expect(outcome.reason.message).toBe(`@Retryable on ${owner}.detachable: the method must return a Promise, but it returned undefined`);
  });
});

describe('aborting a stream', () => {
  test('during the wait before its first value: ends at once with signal.reason, no further attempt', async () => {
    let calls = 0;
    class Chat {
      @Retryable(exact)
      async *stream(_options: { signal: AbortSignal }): AsyncGenerator<string> {
        calls++;
        await Promise.resolve();
        throw httpError(503);
      }
    }
    const controller = new AbortController();
    const reason = new Error('user closed the tab');
    const outcome = observe(new Chat().stream({ signal: controller.signal }).next());
    await vi.advanceTimersByTimeAsync(50);
    controller.abort(reason);
    await vi.advanceTimersByTimeAsync(0);
    expect(outcome.settled()).toBe(true);
    expect((await outcome as { reason: unknown }).reason).toBe(reason);
    await vi.runAllTimersAsync();
    expect(calls).toBe(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test('after its first value, under timeouts: the attempt signal follows the caller\'s, and no listener stays', async () => {
    let attemptSignal: AbortSignal | undefined;
    class Chat {
      @Retryable({ ...exact, timeout: 60_000 })
      async *stream(_signal: AbortSignal): AsyncGenerator<string> {
        attemptSignal = currentAttempt()!.signal;
        yield 'first';
        await new Promise((_, reject) => attemptSignal!.addEventListener('abort', () => reject(attemptSignal!.reason)));
      }
    }
    const controller = new AbortController();
    const iterator = new Chat().stream(controller.signal);
    expect(await iterator.next()).toEqual({ value: 'first', done: false });
    expect(attemptSignal).not.toBe(controller.signal);
    const second = observe(iterator.next());
    await vi.advanceTimersByTimeAsync(0);
    const reason = new Error('stop streaming');
    controller.abort(reason);
    expect((await second as { reason: unknown }).reason).toBe(reason);
    expect(attemptSignal!.reason).toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test('a stream with an already aborted signal makes no attempt', async () => {
    let calls = 0;
    class Chat {
      @Retryable(exact)
      async *stream(_signal: AbortSignal): AsyncGenerator<string> { calls++; yield 'never'; }
    }
    const signal = AbortSignal.abort();
    const outcome = await observe(new Chat().stream(signal).next());
    expect(outcome).toEqual({ status: 'rejected', reason: signal.reason });
    expect(calls).toBe(0);
  });
});
