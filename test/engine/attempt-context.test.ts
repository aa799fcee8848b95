import { getEventListeners } from 'node:events';
import { expect, test } from 'vitest';
import { currentAttempt, retry } from '../../src/index.js';

const busy = () => Object.assign(new Error('busy'), { status: 503 });

test('without a caller signal, every attempt still has a signal, one that never aborts', async () => {
  const signals: AbortSignal[] = [];
  await retry(async ({ signal, attempt }) => {
    signals.push(signal);
    if (attempt < 2) throw busy();
  }, { initialDelay: 0, jitter: 'none' });
  expect(signals).toHaveLength(2);
  for (const signal of signals) {
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal.aborted).toBe(false);
  }
  expect(signals[0]).not.toBe(signals[1]);
});

test('the first attempt\'s context is built once, on demand, and is the one retry() passes', async () => {
  const seen: unknown[] = [];
  await retry(async (attempt) => {
    seen.push(attempt, currentAttempt(), currentAttempt());
  }, { maxRetries: 4 });
  expect(seen[0]).toBe(seen[1]);
  expect(seen[1]).toBe(seen[2]);
  expect(seen[0]).toMatchObject({ attempt: 1, maxRetries: 4 });
  expect(currentAttempt()).toBeUndefined();
});

test('with a caller signal and no timers, the attempt signal is its own, follows the caller, and lets go when settled', async () => {
  const controller = new AbortController();
  const signal = await retry(async () => currentAttempt()!.signal, { signal: controller.signal });
  expect(signal).not.toBe(controller.signal);
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  controller.abort();
  expect(signal.aborted).toBe(false); // the attempt had settled: it no longer follows
});

test('the attempt signal of a running attempt aborts with the caller\'s reason', async () => {
  const controller = new AbortController();
  const reason = new Error('stop');
  const seen = await retry(async () => {
    const { signal } = currentAttempt()!;
    controller.abort(reason);
    return signal.reason;
  }, { signal: controller.signal });
  expect(seen).toBe(reason);
});

test('requestOptions carry the attempt signal and the true retry count for the OpenAI SDK', async () => {
  const seen: unknown[] = [];
  await retry(async ({ attempt, requestOptions }) => {
    seen.push(requestOptions.headers['x-stainless-retry-count'], requestOptions.signal === currentAttempt()!.signal);
    if (attempt < 3) throw busy();
  }, { initialDelay: 0, jitter: 'none' });
  expect(seen).toEqual(['0', true, '1', true, '2', true]);
});

test('a first attempt that throws synchronously leaves no context behind', async () => {
  let calls = 0;
  const result = await retry(() => {
    calls++;
    expect(currentAttempt()?.attempt).toBe(calls);
    if (calls === 1) throw busy();
    return Promise.resolve('ok');
  }, { initialDelay: 0, jitter: 'none' });
  expect(result).toBe('ok');
  expect(currentAttempt()).toBeUndefined();
});
