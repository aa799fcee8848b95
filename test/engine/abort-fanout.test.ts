import { getEventListeners } from 'node:events';
import { expect, test, vi } from 'vitest';
import { onAbort } from '../../src/engine/abort-fanout.js';
import { retry } from '../../src/index.js';
import { httpError } from '../support/scripted.js';

test('many subscriptions share one listener; each is called once on abort; none is left after', () => {
  const controller = new AbortController();
  const calls: number[] = [];
  const unsubscribers = [1, 2, 3].map((id) => onAbort(controller.signal, () => calls.push(id)));
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
  unsubscribers[1]!();
  controller.abort();
  expect(calls).toEqual([1, 3]);
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
});

test('the last unsubscription removes the listener; a repeated one changes nothing', () => {
  const controller = new AbortController();
  const first = onAbort(controller.signal, () => {});
  const second = onAbort(controller.signal, () => {});
  first();
  first();
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
  second();
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
});

test('1,000 concurrent calls sharing one caller signal, each listening on its attempt signal as the SDK does: no warning, no listener left', async () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.name);
  process.on('warning', onWarning);
  const controller = new AbortController();
  try {
    let inFlight = 0;
    let mostListeners = 0;
    const calls = Array.from({ length: 1000 }, (_, i) => retry(async ({ signal, attempt }) => {
      signal.addEventListener('abort', () => {}, { once: true });
      inFlight++;
      mostListeners = Math.max(mostListeners, getEventListeners(controller.signal, 'abort').length);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      if (i % 2 === 0 && attempt === 1) throw httpError(503);
      return i;
    }, { signal: controller.signal, initialDelay: 0, jitter: 'none' }));
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(inFlight).toBe(0);
    expect(mostListeners).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).toEqual([]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  } finally {
    process.off('warning', onWarning);
  }
});

test('an abort reaches every running attempt of the calls that share the signal', async () => {
  vi.useRealTimers();
  const controller = new AbortController();
  const reason = new Error('shutdown');
  const calls = Array.from({ length: 50 }, () => retry(({ signal }) => new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  }), { signal: controller.signal }).then(() => 'resolved', (error: unknown) => error));
  await new Promise((resolve) => setImmediate(resolve));
  controller.abort(reason);
  const results = await Promise.all(calls);
  expect(results.every((result) => result === reason)).toBe(true);
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
});
