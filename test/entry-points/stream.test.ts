import { getEventListeners } from 'node:events';
import { describe, expect, test } from 'vitest';
import { currentAttempt, Retryable, type RetryOptions } from '../../src/index.js';

// Async generator methods, decorated by hand (as plain JavaScript does), so this file needs no
// decorator syntax; test/decorators/ covers the same wrapper through both decorator modes.
function decorate<T extends object>(target: T, key: keyof T & string, options: RetryOptions): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, key)!;
  Object.defineProperty(target, key, (Retryable(options) as unknown as (...a: unknown[]) => PropertyDescriptor)(target, key, descriptor));
}

async function drain<T, R>(iterator: AsyncIterator<T, R>): Promise<{ values: T[]; result: R }> {
  const values: T[] = [];
  for (;;) {
    const next = await iterator.next();
    if (next.done) return { values, result: next.value };
    values.push(next.value);
  }
}

const fast = { initialDelay: 0, jitter: 'none' } as const;

describe('retryingStreamMethod', () => {
  test('a stream that ends before its first value yields nothing and returns its value', async () => {
    class Chat { async *stream(): AsyncGenerator<string, string> { return 'empty'; } }
    decorate(Chat.prototype, 'stream', fast);
    expect(await drain(new Chat().stream())).toEqual({ values: [], result: 'empty' });
  });

  test.each([
    ['a caller signal and no timers', fast, true],
    ['timers and no caller signal', { ...fast, timeout: 60_000 }, false],
    ['timers and a caller signal', { ...fast, timeout: 60_000, attemptTimeout: 30_000 }, true],
  ] as [string, RetryOptions, boolean][])('streams to the end with %s, and leaves no listener', async (_name, options, withSignal) => {
    const controller = new AbortController();
    class Chat {
      async *stream(_signal?: AbortSignal): AsyncGenerator<number, string> {
        expect(currentAttempt()!.signal).toBeInstanceOf(AbortSignal);
        yield 1;
        yield 2;
        return 'done';
      }
    }
    decorate(Chat.prototype, 'stream', options);
    expect(await drain(new Chat().stream(withSignal ? controller.signal : undefined))).toEqual({ values: [1, 2], result: 'done' });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test('under timers, the caller\'s abort after the first value reaches the attempt signal; stopping early removes the link', async () => {
    const controller = new AbortController();
    let attemptSignal: AbortSignal | undefined;
    class Chat {
      async *stream(_signal: AbortSignal): AsyncGenerator<number> {
        attemptSignal = currentAttempt()!.signal;
        yield 1;
        yield 2;
      }
    }
    decorate(Chat.prototype, 'stream', { ...fast, timeout: 60_000 });
    for await (const value of new Chat().stream(controller.signal)) {
      expect(value).toBe(1);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      break;
    }
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    controller.abort();
    expect(attemptSignal!.aborted).toBe(false);
  });
});
