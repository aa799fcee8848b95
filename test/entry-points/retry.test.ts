import { expect, test } from 'vitest';
import { retry } from '../../src/index.js';

test('retry() rejects a fn that is not a function, synchronously, naming what it got', () => {
  expect(() => retry(null as never)).toThrow(new TypeError('retry(): fn must be a function, got null'));
  expect(() => retry(42 as never)).toThrow(new TypeError('retry(): fn must be a function, got number'));
  expect(() => retry(undefined as never)).toThrow(new TypeError('retry(): fn must be a function, got undefined'));
});

test('retry() rejects a signal given as a function, which only the decorator can call with arguments', () => {
  expect(() => retry(async () => 1, { signal: () => undefined })).toThrow(
    new TypeError('retry(): signal must be an AbortSignal; a function of the arguments only serves @Retryable'),
  );
});

test('retry() takes an AbortSignal as its signal: the attempt signal aborts with it', async () => {
  const controller = new AbortController();
  const reason = new Error('stop');
  const seen = await retry(async ({ signal }) => {
    controller.abort(reason);
    return signal.reason;
  }, { signal: controller.signal });
  expect(seen).toBe(reason);
});
