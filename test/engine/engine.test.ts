import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { retry, RetryBudget, type RetryEvent, type GiveUpEvent, type RetryOptions } from '../../src/index.js';
import { captureHookWarningsPerTest } from '../support/hook-warnings.js';
import { ManualClock } from '../support/manual-clock.js';
import { gaps, httpError, observe, scripted } from '../support/scripted.js';
import { useVirtualTimePerTest } from '../support/virtual-time.js';

// The call's own schedule, exactly: coordination (tested in test/coordination) is off.
const exact: RetryOptions = { jitter: 'none', initialDelay: 100, multiplier: 2, maxDelay: 10_000, upstream: false };

useVirtualTimePerTest();
const takeHookWarnings = captureHookWarningsPerTest();

describe('attempts and delays', () => {
  test('maxRetries counts retries after the first call, with exact exponential waits', async () => {
    const failure = httpError(503);
    const fn = scripted([failure, failure, failure, failure], 'never');
    const outcome = observe(retry(fn, { ...exact, maxRetries: 3 }));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'rejected', reason: failure });
    expect((await outcome as { reason: unknown }).reason).toBe(failure);
    expect(fn.callTimes).toEqual([0, 100, 300, 700]);
  });

  test('succeeds on the attempt that succeeds and returns its value unchanged', async () => {
    const value = { answer: 42 };
    const fn = scripted([httpError(500), httpError(502)], value);
    const outcome = observe(retry(fn, exact));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'fulfilled', value });
    expect((await outcome as { value: unknown }).value).toBe(value);
    expect(gaps(fn.callTimes)).toEqual([100, 200]);
  });

  test('maxDelay caps every wait', async () => {
    const failure = httpError(503);
    const fn = scripted(Array(6).fill(failure), 'ok');
    const outcome = observe(retry(fn, { jitter: 'none', initialDelay: 1000, multiplier: 3, maxDelay: 5000, maxRetries: 6 }));
    await vi.runAllTimersAsync();
    expect((await outcome).status).toBe('fulfilled');
    expect(gaps(fn.callTimes)).toEqual([1000, 3000, 5000, 5000, 5000, 5000]);
  });

  test('maxRetries 0 makes exactly one attempt', async () => {
    const failure = httpError(429);
    const fn = scripted([failure], 'ok');
    const outcome = observe(retry(fn, { maxRetries: 0 }));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'rejected', reason: failure });
    expect(fn.callTimes).toHaveLength(1);
  });

  test('the defaults make 4 attempts with equal jitter over 1 s, 2 s, 4 s after a server error', async () => {
    const failure = httpError(503);
    const fn = scripted(Array(9).fill(failure), 'ok');
    const outcome = observe(retry(fn, { random: () => 0.5 }));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'rejected', reason: failure });
    expect(gaps(fn.callTimes)).toEqual([750, 1500, 3000]);
  });

  test('a lone caller waits the same short schedule after a 429 as after a server error', async () => {
    const failure = httpError(429);
    const fn = scripted(Array(9).fill(failure), 'ok');
    const outcome = observe(retry(fn, { random: () => 0.25 }));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'rejected', reason: failure });
    expect(gaps(fn.callTimes)).toEqual([625, 1250, 2500]);
  });

  test('a 429 with a firm hint waits the hint plus a spread of a fifth of it, doubling with each retry', async () => {
    const fn = scripted([httpError(429, { 'retry-after': '1' }), httpError(429, { 'retry-after-ms': '250' })], 'ok');
    const outcome = observe(retry(fn, { random: () => 0.5 }));
    await vi.runAllTimersAsync();
    expect((await outcome).status).toBe('fulfilled');
    expect(gaps(fn.callTimes)).toEqual([1000 + 0.5 * 200, 250 + 0.5 * 100]);
  });

  test('a non-retryable error is thrown after one attempt, unchanged', async () => {
    const failure = Object.freeze(httpError(400));
    const fn = scripted([failure], 'ok');
    const outcome = observe(retry(fn, exact));
    await vi.runAllTimersAsync();
    expect((await outcome as { reason: unknown }).reason).toBe(failure);
    expect(fn.callTimes).toHaveLength(1);
  });

  test('a synchronous throw counts as a failed attempt', async () => {
    let calls = 0;
    const failure = new Error('sync');
    const outcome = observe(retry(() => { calls++; if (calls < 3) throw failure; return Promise.resolve(calls); }, exact));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'fulfilled', value: 3 });
  });

  test('a function that returns a non-promise gets a clear TypeError and no retry', async () => {
    let calls = 0;
    const outcome = observe(retry((() => { calls++; return 5; }) as never, exact));
    await vi.runAllTimersAsync();
    const result = await outcome as { reason: Error };
    expect(result.reason).toBeInstanceOf(TypeError);
    expect(result.reason.message).toBe('retry(): fn must return a Promise, but it returned number');
    expect(calls).toBe(1);
  });
});

describe('server hints', () => {
  test('retry-after-ms is waited exactly with jitter none', async () => {
    const fn = scripted([httpError(429, { 'retry-after-ms': '1234' })], 'ok');
    const outcome = observe(retry(fn, exact));
    await vi.runAllTimersAsync();
    expect((await outcome).status).toBe('fulfilled');
    expect(gaps(fn.callTimes)).toEqual([1234]);
  });

  test('retry-after in seconds and as an HTTP date', async () => {
    const date = new Date(7000).toUTCString();
    const fn = scripted([httpError(429, { 'retry-after': '2' }), httpError(503, { 'retry-after': date })], 'ok');
    const outcome = observe(retry(fn, exact));
    await vi.runAllTimersAsync();
    expect((await outcome).status).toBe('fulfilled');
    expect(fn.callTimes).toEqual([0, 2000, 7000]);
  });

  test('a firm hint is never shortened and the spread stays within maxDelay', async () => {
    const fn = scripted([httpError(429, { 'retry-after-ms': '3000' })], 'ok');
    const outcome = observe(retry(fn, { initialDelay: 1000, maxDelay: 3500, jitter: 'full', random: () => 0.999 }));
    await vi.runAllTimersAsync();
    expect((await outcome).status).toBe('fulfilled');
    expect(gaps(fn.callTimes)[0]).toBe(Math.ceil(3000 + 0.999 * 500));
  });

  test('a firm hint longer than maxDelay ends the retries at once with the original error', async () => {
    const failure = httpError(429, { 'retry-after': '60' });
    const fn = scripted([failure], 'ok');
    const giveUps: GiveUpEvent[] = [];
    const outcome = observe(retry(fn, { ...exact, maxDelay: 30_000, onGiveUp: (event) => giveUps.push(event) }));
    await vi.runAllTimersAsync();
    expect((await outcome as { reason: unknown }).reason).toBe(failure);
    expect(fn.callTimes).toEqual([0]);
    expect(giveUps).toEqual([{ error: failure, attempts: 1, reason: 'hint-exceeds-max-delay', method: 'fn' }]);
  });

  test('a firm hint longer than what is left of the timeout ends the retries at once', async () => {
    const failure = httpError(429, { 'retry-after-ms': '5000' });
    const fn = scripted([failure], 'ok');
    const outcome = observe(retry(fn, { ...exact, timeout: 4000 }));
    await vi.runAllTimersAsync();
    expect((await outcome as { reason: unknown }).reason).toBe(failure);
    expect(fn.callTimes).toEqual([0]);
  });

  test('a soft x-ratelimit-reset hint lengthens the backoff for the exhausted limit only', async () => {
    const exhausted = httpError(429, { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1.5s', 'x-ratelimit-remaining-tokens': '10', 'x-ratelimit-reset-tokens': '6m0s' });
    const fn = scripted([exhausted], 'ok');
    const outcome = observe(retry(fn, exact));
    await vi.runAllTimersAsync();
    expect((await outcome).status).toBe('fulfilled');
    expect(gaps(fn.callTimes)).toEqual([1500]);
  });

  test('a soft hint beyond maxDelay is capped and never ends the retries', async () => {
    const exhausted = httpError(429, { 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '6m0s' });
    const fn = scripted([exhausted, exhausted], 'ok');
    const outcome = observe(retry(fn, { ...exact, maxDelay: 2000 }));
    await vi.runAllTimersAsync();
    expect((await outcome).status).toBe('fulfilled');
    expect(gaps(fn.callTimes)).toEqual([2000, 2000]);
  });

  test('a soft hint shorter than the backoff changes nothing', async () => {
    const exhausted = httpError(429, { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '20ms' });
    const fn = scripted([exhausted], 'ok');
    const outcome = observe(retry(fn, exact));
    await vi.runAllTimersAsync();
    expect(gaps(fn.callTimes)).toEqual([100]);
    expect((await outcome).status).toBe('fulfilled');
  });

  test('insufficient_quota fails at once even with a retry-after', async () => {
    const failure = httpError(429, { 'retry-after': '1' }, { code: 'insufficient_quota' });
    const fn = scripted([failure], 'ok');
    const outcome = observe(retry(fn, exact));
    await vi.runAllTimersAsync();
    expect((await outcome as { reason: unknown }).reason).toBe(failure);
    expect(fn.callTimes).toHaveLength(1);
  });
});

describe('hooks', () => {
  test('onRetry receives the error, the failed attempt, the delay and the hint; onGiveUp the end', async () => {
    const first = httpError(503);
    const second = httpError(429, { 'retry-after-ms': '700' });
    const third = httpError(500);
    const events: RetryEvent[] = [];
    const ends: GiveUpEvent[] = [];
    const fn = scripted([first, second, third], 'ok');
    const outcome = observe(retry(fn, { ...exact, maxRetries: 2, onRetry: (event) => events.push(event), onGiveUp: (event) => ends.push(event) }));
    await vi.runAllTimersAsync();
    expect((await outcome as { reason: unknown }).reason).toBe(third);
    expect(events).toEqual([
      { error: first, attempt: 1, delay: 100, serverHint: undefined, method: 'fn' },
      { error: second, attempt: 2, delay: 700, serverHint: 700, method: 'fn' },
    ]);
    expect(events[0]!.error).toBe(first);
    expect(ends).toEqual([{ error: third, attempts: 3, reason: 'retries-exhausted', method: 'fn' }]);
  });

  test('the hooks name a retry() call by its function, or "retry()" for an anonymous one', async () => {
    const named: string[] = [];
    const failure = httpError(503);
    const options: RetryOptions = { ...exact, maxRetries: 1, onRetry: (event) => named.push(event.method), onGiveUp: (event) => named.push(event.method) };
    async function summarize(): Promise<never> {
      throw failure;
    }
    const outcomes = [observe(retry(summarize, options)), observe(retry(async () => { throw failure; }, options))];
    await vi.runAllTimersAsync();
    for (const outcome of outcomes) expect((await outcome as { reason: unknown }).reason).toBe(failure);
    expect(named).toEqual(['summarize', 'retry()', 'summarize', 'retry()']);
  });

  test('a throwing or rejecting onRetry is reported as a warning and the retries go on', async () => {
    let hookCalls = 0;
    const fn = scripted([httpError(503), httpError(503)], 'ok');
    const outcome = observe(retry(fn, {
      ...exact,
      onRetry: () => {
        hookCalls++;
        if (hookCalls === 1) throw new Error('logger down');
        return Promise.reject(new Error('async logger down')) as never;
      },
    }));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'fulfilled', value: 'ok' });
    const warnings = takeHookWarnings();
    expect(warnings.map((w) => w.code)).toEqual(['RETRYABLE_HOOK_ERROR', 'RETRYABLE_HOOK_ERROR']);
    expect(warnings[0]!.message).toContain('the onRetry hook threw; the call went on as if it had not. Error: logger down');
    expect(warnings[1]!.message).toContain('the onRetry hook threw; the call went on as if it had not. Error: async logger down');
  });

  test('retryIf replaces the default rule and sees the attempt', async () => {
    const failure = httpError(400);
    const seen: number[] = [];
    const fn = scripted([failure, failure], 'ok');
    const outcome = observe(retry(fn, { ...exact, retryIf: (error, attempt) => { seen.push(attempt.attempt); return error === failure; } }));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(seen).toEqual([1, 2]);
  });

  test('a throwing retryIf stops the retries and the original error reaches the caller', async () => {
    const failure = httpError(503);
    const fn = scripted([failure], 'ok');
    const outcome = observe(retry(fn, { ...exact, retryIf: () => { throw new Error('bad rule'); } }));
    await vi.runAllTimersAsync();
    expect((await outcome as { reason: unknown }).reason).toBe(failure);
    expect(fn.callTimes).toHaveLength(1);
    expect(takeHookWarnings()).toEqual([{ code: 'RETRYABLE_HOOK_ERROR', message: expect.stringContaining('the retryIf hook threw; the call went on as if it had not. Error: bad rule') }]);
  });
});

describe('timeouts', () => {
  test('the overall timeout ends a wait with the last error', async () => {
    const failure = httpError(503);
    const fn = scripted(Array(5).fill(failure), 'ok');
    const giveUps: GiveUpEvent[] = [];
    const outcome = observe(retry(fn, { ...exact, maxRetries: 5, timeout: 350, onGiveUp: (e) => giveUps.push(e) }));
    await vi.runAllTimersAsync();
    expect((await outcome as { reason: unknown }).reason).toBe(failure);
    // Attempts at 0, 100, 300; the next wait (400 ms) cannot finish before 350.
    expect(fn.callTimes).toEqual([0, 100, 300]);
    expect(giveUps[0]!.reason).toBe('deadline');
  });

  test('attemptTimeout aborts the attempt signal with a TimeoutError and the attempt is retried', async () => {
    const reasons: unknown[] = [];
    let calls = 0;
    const outcome = observe(retry(({ signal }) => {
      calls++;
      if (calls === 2) return Promise.resolve('second');
      return new Promise((_, reject) => signal.addEventListener('abort', () => { reasons.push(signal.reason); reject(new Error('aborted by SDK')); }));
    }, { ...exact, attemptTimeout: 1000 }));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'fulfilled', value: 'second' });
    expect(calls).toBe(2);
    expect(reasons).toHaveLength(1);
    expect((reasons[0] as DOMException).name).toBe('TimeoutError');
    expect(Date.now()).toBe(1100);
  });

  test('the overall timeout aborts a running attempt and ends the call with its error', async () => {
    const sdkError = new Error('request aborted');
    let calls = 0;
    const outcome = observe(retry(({ signal }) => {
      calls++;
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(sdkError)));
    }, { ...exact, timeout: 600, attemptTimeout: 400 }));
    await vi.runAllTimersAsync();
    expect((await outcome as { reason: unknown }).reason).toBe(sdkError);
    // Attempt 1 times out at 400, waits 100, attempt 2 is cut by the deadline at 600.
    expect(calls).toBe(2);
    expect(Date.now()).toBe(600);
  });
});

describe('cancellation', () => {
  test('an abort during a wait rejects at once with signal.reason and starts no attempt', async () => {
    const controller = new AbortController();
    const fn = scripted(Array(5).fill(httpError(503)), 'ok');
    const outcome = observe(retry(fn, { ...exact, signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(150);
    const reason = new Error('user left');
    controller.abort(reason);
    await vi.advanceTimersByTimeAsync(0);
    expect(outcome.settled()).toBe(true);
    expect((await outcome as { reason: unknown }).reason).toBe(reason);
    await vi.runAllTimersAsync();
    expect(fn.callTimes).toEqual([0, 100]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test('an already aborted signal rejects with its reason and makes no attempt', async () => {
    const fn = scripted([], 'ok');
    const reason = new Error('already');
    const outcome = observe(retry(fn, { signal: AbortSignal.abort(reason) }));
    expect((await outcome as { reason: unknown }).reason).toBe(reason);
    expect(fn.callTimes).toHaveLength(0);
  });

  test('an abort during an attempt aborts the attempt signal; the caller gets signal.reason', async () => {
    const controller = new AbortController();
    const seen: AbortSignal[] = [];
    let calls = 0;
    const outcome = observe(retry(({ signal }) => {
      calls++;
      seen.push(signal);
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('SDK abort error'))));
    }, { ...exact, signal: controller.signal }));
    const reason = new Error('stop');
    controller.abort(reason);
    expect((await outcome as { reason: unknown }).reason).toBe(reason);
    expect(calls).toBe(1);
    expect(seen[0]!.aborted).toBe(true);
  });

  test('an abort during a supervised attempt is forwarded to the attempt signal', async () => {
    const controller = new AbortController();
    let attemptSignal: AbortSignal | undefined;
    const outcome = observe(retry(({ signal }) => {
      attemptSignal = signal;
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('SDK abort error'))));
    }, { ...exact, attemptTimeout: 10_000, signal: controller.signal }));
    expect(attemptSignal).not.toBe(controller.signal);
    const reason = new Error('stop');
    controller.abort(reason);
    expect((await outcome as { reason: unknown }).reason).toBe(reason);
    expect(attemptSignal!.reason).toBe(reason);
  });

  test('no listener is left on a long-lived signal after 1,000 calls, failing or not', async () => {
    const controller = new AbortController();
    const outcomes = [];
    for (let i = 0; i < 1000; i++) {
      const fn = scripted(i % 2 === 0 ? [httpError(503)] : [], i);
      outcomes.push(observe(retry(fn, { ...exact, signal: controller.signal, timeout: i % 4 === 0 ? 10_000 : undefined })));
    }
    await vi.runAllTimersAsync();
    const results = await Promise.all(outcomes);
    expect(results.every((result, i) => result.status === 'fulfilled' && result.value === i)).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('isolation', () => {
  test('10,000 concurrent calls keep their own attempt state and results', async () => {
    vi.useRealTimers();
    const clock = new ManualClock();
    const attemptsSeen = new Map<number, number[]>();
    const outcomes = [];
    for (let id = 0; id < 10_000; id++) {
      const failuresBeforeSuccess = id % 3;
      attemptsSeen.set(id, []);
      outcomes.push(observe(retry(async ({ attempt }) => {
        attemptsSeen.get(id)!.push(attempt);
        await Promise.resolve();
        if (attempt <= failuresBeforeSuccess) throw httpError(503);
        return id;
      }, { ...exact, clock })));
    }
    await clock.advance(300);
    const results = await Promise.all(outcomes);
    for (let id = 0; id < 10_000; id++) {
      expect(results[id]).toEqual({ status: 'fulfilled', value: id });
      expect(attemptsSeen.get(id)).toEqual([1, 2, 3].slice(0, (id % 3) + 1));
    }
    expect(clock.pendingTimers).toBe(0);
    vi.useFakeTimers();
  });
});

describe('injected clock and random', () => {
  test('a custom clock and random drive every wait', async () => {
    vi.useRealTimers();
    let now = 0;
    const pending: { at: number; run: () => void }[] = [];
    const clock = {
      now: () => now,
      setTimeout: (run: () => void, ms: number) => { const entry = { at: now + ms, run }; pending.push(entry); return entry; },
      clearTimeout: (entry: unknown) => { pending.splice(pending.indexOf(entry as never), 1); },
    };
    const failure = httpError(503);
    let calls = 0;
    const promise = observe(retry(async () => { calls++; if (calls < 3) throw failure; return 'done'; }, { clock, random: () => 0.25, initialDelay: 1000, jitter: 'equal' }));
    const waits: number[] = [];
    while (!promise.settled()) {
      await new Promise((resolve) => setImmediate(resolve));
      const next = pending.shift();
      if (next === undefined) continue;
      waits.push(next.at - now);
      now = next.at;
      next.run();
    }
    expect(await promise).toEqual({ status: 'fulfilled', value: 'done' });
    expect(waits).toEqual([625, 1250]);
    expect(pending).toHaveLength(0);
    vi.useFakeTimers();
  });
});

// Cases the mutation run (npm run test:mutation) showed were not pinned down.
describe('timers, deadlines and reasons, exactly', () => {
  test('timeout alone: an attempt still running at the deadline is aborted with a TimeoutError', async () => {
    const giveUps: GiveUpEvent[] = [];
    let calls = 0;
    const outcome = observe(retry(({ signal }) => {
      calls++;
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    }, { ...exact, timeout: 500, onGiveUp: (event) => giveUps.push(event) }));
    await vi.advanceTimersByTimeAsync(500);
    expect(outcome.settled()).toBe(true);
    const reason = (await outcome as { reason: DOMException }).reason;
    expect(reason).toBeInstanceOf(DOMException);
    expect(reason.name).toBe('TimeoutError');
    expect(reason.message).toBe('retryable: timeout of 500 ms passed');
    expect(calls).toBe(1);
    expect(giveUps).toHaveLength(1);
    expect(giveUps[0]).toMatchObject({ attempts: 1, reason: 'deadline' });
    expect(giveUps[0]!.error).toBe(reason);
  });

  test('an attempt the deadline cut short ends the call as "deadline", even with an error that is not retryable', async () => {
    const giveUps: GiveUpEvent[] = [];
    const aborted = new DOMException('The operation was aborted', 'AbortError');
    const outcome = observe(retry(({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(aborted))),
      { ...exact, timeout: 300, onGiveUp: (event) => giveUps.push(event) }));
    await vi.runAllTimersAsync();
    expect((await outcome as { reason: unknown }).reason).toBe(aborted);
    expect(giveUps[0]).toMatchObject({ attempts: 1, reason: 'deadline' });
  });

  test('attemptTimeout: an attempt that reports the abort as an AbortError is still retried, as a timeout', async () => {
    const reasons: unknown[] = [];
    let calls = 0;
    const outcome = observe(retry(({ signal }) => {
      calls++;
      if (calls === 2) return Promise.resolve('second');
      return new Promise((_, reject) => signal.addEventListener('abort', () => {
        reasons.push(signal.reason);
        reject(new DOMException('This operation was aborted', 'AbortError'));
      }));
    }, { ...exact, attemptTimeout: 1000 }));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'fulfilled', value: 'second' });
    expect(calls).toBe(2);
    expect((reasons[0] as DOMException).message).toBe('retryable: attemptTimeout of 1000 ms passed');
  });

  test('a wait that would end exactly at the deadline is not started: no onRetry, the call ends at once', async () => {
    const failure = httpError(503);
    const events: RetryEvent[] = [];
    const giveUps: GiveUpEvent[] = [];
    const outcome = observe(retry(scripted([failure, failure], 'ok'), { ...exact, timeout: 100, onRetry: (e) => events.push(e), onGiveUp: (e) => giveUps.push(e) }));
    await vi.advanceTimersByTimeAsync(0);
    expect(outcome.settled()).toBe(true);
    expect((await outcome as { reason: unknown }).reason).toBe(failure);
    expect(events).toEqual([]);
    expect(giveUps[0]).toMatchObject({ attempts: 1, reason: 'deadline' });
  });

  test('the call ends when the too-long wait is computed, not when the deadline passes', async () => {
    const failure = httpError(503);
    const fn = scripted(Array(5).fill(failure), 'ok');
    const outcome = observe(retry(fn, { ...exact, maxRetries: 5, timeout: 350 }));
    await vi.advanceTimersByTimeAsync(300);
    expect(outcome.settled()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect((await outcome as { reason: unknown }).reason).toBe(failure);
  });

  test('a firm hint equal to maxDelay is waited, not refused', async () => {
    const fn = scripted([httpError(429, { 'retry-after-ms': '2000' })], 'ok');
    const outcome = observe(retry(fn, { ...exact, maxDelay: 2000 }));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(gaps(fn.callTimes)).toEqual([2000]);
  });

  test('a soft hint equal to the jittered backoff leaves it as it is', async () => {
    const exhausted = httpError(503, { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '500ms' });
    const fn = scripted([exhausted], 'ok');
    const outcome = observe(retry(fn, { initialDelay: 1000, jitter: 'full', random: () => 0.5 }));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(gaps(fn.callTimes)).toEqual([500]);
  });

  test('a supervised call leaves no timer behind the moment it settles, by success or by failure', async () => {
    const success = observe(retry(scripted([], 'ok'), { ...exact, timeout: 60_000, attemptTimeout: 30_000 }));
    await vi.advanceTimersByTimeAsync(0);
    expect(await success).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(vi.getTimerCount()).toBe(0);
    const failure = httpError(400);
    const failed = observe(retry(scripted([failure], 'ok'), { ...exact, timeout: 60_000, attemptTimeout: 30_000 }));
    await vi.advanceTimersByTimeAsync(0);
    expect((await failed as { reason: unknown }).reason).toBe(failure);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('the happy path without timers attaches no listener to the caller\'s signal during its first attempt', async () => {
    const controller = new AbortController();
    let listenersDuringAttempt = -1;
    const outcome = observe(retry(async () => {
      await Promise.resolve();
      listenersDuringAttempt = getEventListeners(controller.signal, 'abort').length;
      return 'ok';
    }, { ...exact, signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(0);
    expect(await outcome).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(listenersDuringAttempt).toBe(0);
  });

  test('a deadline that passes during a wait (a slow synchronous onRetry) ends the call with the last error', async () => {
    vi.useRealTimers();
    let now = 0;
    const timers = new Set<{ at: number; run: () => void }>();
    const clock = {
      now: () => now,
      setTimeout: (run: () => void, ms: number) => { const timer = { at: now + ms, run }; timers.add(timer); return timer; },
      clearTimeout: (timer: unknown) => { timers.delete(timer as never); },
    };
    const failure = httpError(503);
    const giveUps: GiveUpEvent[] = [];
    let calls = 0;
    // The hook takes 950 ms of the clock: the 100 ms wait it precedes now ends after the deadline at 1000.
    const promise = observe(retry(async () => { calls++; throw failure; }, {
      ...exact, clock, timeout: 1000, onRetry: () => { now += 950; }, onGiveUp: (e) => giveUps.push(e),
    }));
    while (!promise.settled()) {
      await new Promise((resolve) => setImmediate(resolve));
      const next = [...timers].sort((a, b) => a.at - b.at)[0];
      if (next === undefined) continue;
      timers.delete(next);
      now = Math.max(now, next.at);
      next.run();
    }
    expect((await promise as { reason: unknown }).reason).toBe(failure);
    expect(calls).toBe(1);
    expect(giveUps).toHaveLength(1);
    expect(giveUps[0]).toMatchObject({ attempts: 1, reason: 'deadline' });
    expect(giveUps[0]!.error).toBe(failure);
    expect(timers.size).toBe(0);
    vi.useFakeTimers();
  });
});

describe('cancellation, the less common ways', () => {
  test('when another abort listener stops propagation, the abort is still honoured before the next attempt', async () => {
    const controller = new AbortController();
    controller.signal.addEventListener('abort', (event) => event.stopImmediatePropagation());
    const failure = httpError(503);
    const fn = scripted(Array(5).fill(failure), 'ok');
    const giveUps: GiveUpEvent[] = [];
    const outcome = observe(retry(fn, { ...exact, signal: controller.signal, onGiveUp: (e) => giveUps.push(e) }));
    await vi.advanceTimersByTimeAsync(50);
    const reason = new Error('stop');
    controller.abort(reason);
    await vi.runAllTimersAsync();
    expect((await outcome as { reason: unknown }).reason).toBe(reason);
    expect(fn.callTimes).toEqual([0]);
    expect(giveUps).toEqual([{ error: reason, attempts: 1, reason: 'aborted', method: 'fn' }]);
  });

  test('with only a budget (no timers), an abort during an attempt reaches it through the attempt\'s signal', async () => {
    const controller = new AbortController();
    const seen: AbortSignal[] = [];
    const outcome = observe(retry(({ signal }) => {
      seen.push(signal);
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('SDK abort')), { once: true }));
    }, { ...exact, signal: controller.signal, budget: new RetryBudget() }));
    const reason = new Error('stop');
    controller.abort(reason);
    expect((await outcome as { reason: unknown }).reason).toBe(reason);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.reason).toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('hook failures are reported with what was thrown', () => {
  async function warningsFrom(onRetry: () => unknown): Promise<string[]> {
    const outcome = observe(retry(scripted([httpError(503)], 'ok'), { ...exact, onRetry }));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'fulfilled', value: 'ok' });
    return takeHookWarnings().map((warning) => {
      expect(warning.code).toBe('RETRYABLE_HOOK_ERROR');
      return warning.message;
    });
  }

  test('an Error with its stack, one without a stack by its message, anything else as text', async () => {
    const withStack = new Error('with stack');
    const withoutStack = new Error('no stack here');
    Object.defineProperty(withoutStack, 'stack', { value: undefined });
    expect(await warningsFrom(() => { throw withStack; })).toEqual([`retryable: the onRetry hook threw; the call went on as if it had not. ${withStack.stack}`]);
    expect(await warningsFrom(() => { throw withoutStack; })).toEqual(['retryable: the onRetry hook threw; the call went on as if it had not. no stack here']);
    expect(await warningsFrom(() => { throw 42; })).toEqual(['retryable: the onRetry hook threw; the call went on as if it had not. 42']);
    expect(await warningsFrom(() => { throw Object.create(null); })).toEqual(['retryable: the onRetry hook threw; the call went on as if it had not. (what it threw cannot be turned into text)']);
  });

  test('hooks that return normally, or return a promise that fulfils, cause no warning', async () => {
    expect(await warningsFrom(() => undefined)).toEqual([]);
    expect(await warningsFrom(() => Promise.resolve('logged'))).toEqual([]);
  });

  test('without process.emitWarning (a browser bundle), the report goes to console.error', async () => {
    const emitWarning = process.emitWarning;
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    (process as { emitWarning?: unknown }).emitWarning = undefined;
    try {
      const outcome = observe(retry(scripted([httpError(503)], 'ok'), { ...exact, onRetry: () => { throw 'logger down'; } }));
      await vi.runAllTimersAsync();
      expect(await outcome).toEqual({ status: 'fulfilled', value: 'ok' });
    } finally {
      process.emitWarning = emitWarning;
    }
    expect(consoleError.mock.calls).toEqual([['retryable: the onRetry hook threw; the call went on as if it had not. logger down']]);
    consoleError.mockRestore();
  });
});

describe('an injected clock', () => {
  test('gets back in clearTimeout only the handles its own setTimeout returned', async () => {
    vi.useRealTimers();
    const clock = new ManualClock();
    const issued = new Set<unknown>();
    const strict = {
      now: clock.now,
      setTimeout: (run: () => void, ms: number) => { const handle = clock.setTimeout(run, ms); issued.add(handle); return handle; },
      clearTimeout: (handle: unknown) => {
        if (!issued.has(handle)) throw new TypeError(`not a handle of this clock: ${String(handle)}`);
        clock.clearTimeout(handle);
      },
    };
    const outcomes = [
      observe(retry(scripted([httpError(503)], 'ok'), { ...exact, clock: strict })),
      observe(retry(scripted([], 'ok'), { ...exact, clock: strict, timeout: 5000 })),
      observe(retry(scripted([httpError(503)], 'ok'), { ...exact, clock: strict, attemptTimeout: 1000 })),
      observe(retry(scripted([httpError(400)], 'ok'), { ...exact, clock: strict, timeout: 5000, attemptTimeout: 1000 })),
    ];
    await clock.advance(1000);
    const results = await Promise.all(outcomes);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect(clock.pendingTimers).toBe(0);
    vi.useFakeTimers();
  });
});
