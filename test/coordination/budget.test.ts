import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { retry, RetryBudget, type GiveUpEvent, type RetryEvent, type RetryOptions } from '../../src/index.js';
import type { RetryRequest } from '../../src/coordination/budget.js';
import { httpError, observe, scripted } from '../support/scripted.js';

const exact = { jitter: 'none', initialDelay: 100, multiplier: 2, maxDelay: 10_000, upstream: false } as const satisfies RetryOptions;
const request = (fields: Partial<RetryRequest> = {}): RetryRequest => ({ now: 0, delay: 100, firmHint: undefined, rateLimited: false, error: undefined, random: () => 0.5, ...fields });

describe('RetryBudget on its own', () => {
  test('has 10 tokens by default; each retry spends one; an empty budget refuses without going negative', () => {
    const budget = new RetryBudget();
    expect(budget.availableTokens).toBe(10);
    for (let i = 0; i < 10; i++) expect(budget.beforeRetry(request())).toBe(100);
    expect(budget.availableTokens).toBe(0);
    expect(budget.beforeRetry(request())).toBeUndefined();
    expect(budget.availableTokens).toBe(0);
  });

  test('refuses below one whole token', () => {
    const budget = new RetryBudget({ maxTokens: 1.5, tokenRatio: 0.25 });
    expect(budget.beforeRetry(request())).toBe(100);
    expect(budget.availableTokens).toBe(0.5);
    expect(budget.beforeRetry(request())).toBeUndefined();
    budget.recordSuccess(0);
    expect(budget.availableTokens).toBe(0.75);
    expect(budget.beforeRetry(request())).toBeUndefined();
    budget.recordSuccess(0);
    expect(budget.availableTokens).toBe(1);
    expect(budget.beforeRetry(request())).toBe(100);
  });

  test('successes give back tokenRatio each (0.1 by default), never above maxTokens', () => {
    const budget = new RetryBudget({ maxTokens: 2 });
    budget.beforeRetry(request());
    budget.beforeRetry(request());
    for (let i = 0; i < 5; i++) budget.recordSuccess(0);
    expect(budget.availableTokens).toBeCloseTo(0.5, 10);
    for (let i = 0; i < 100; i++) budget.recordSuccess(0);
    expect(budget.availableTokens).toBe(2);
  });

  test('a firm hint starts a shared cool-down: a shorter wait is lengthened to its end plus a spread', () => {
    const budget = new RetryBudget({ spread: 1000 });
    expect(budget.beforeRetry(request({ now: 0, delay: 5000, firmHint: 5000 }))).toBe(5000);
    // Another call, 1 s later, would have waited 100 ms: it waits until 5000, then 0.5 · 1000 more.
    expect(budget.beforeRetry(request({ now: 1000, delay: 100, random: () => 0.5 }))).toBe(4500);
    // A wait that already ends at or after the cool-down is kept as it is.
    expect(budget.beforeRetry(request({ now: 1000, delay: 4000 }))).toBe(4000);
    expect(budget.beforeRetry(request({ now: 1000, delay: 3999, random: () => 0 }))).toBe(4000);
  });

  test('a later, shorter hint never shortens the cool-down', () => {
    const budget = new RetryBudget({ spread: 0 });
    budget.beforeRetry(request({ now: 0, delay: 5000, firmHint: 5000 }));
    budget.beforeRetry(request({ now: 1000, delay: 1000, firmHint: 1000 }));
    expect(budget.holdBeforeFirstAttempt(2000, () => 0)).toBe(3000);
  });

  test('holds first attempts during a cool-down, spread over `spread` ms, and not at or after its end', () => {
    const budget = new RetryBudget({ spread: 200 });
    expect(budget.holdBeforeFirstAttempt(0, () => 0.5)).toBe(0);
    budget.beforeRetry(request({ now: 0, delay: 3000, firmHint: 3000 }));
    expect(budget.holdBeforeFirstAttempt(1000, () => 0.5)).toBe(2100);
    expect(budget.holdBeforeFirstAttempt(2999, () => 0)).toBe(1);
    expect(budget.holdBeforeFirstAttempt(3000, () => 0.99)).toBe(0);
    expect(budget.holdBeforeFirstAttempt(4000, () => 0.99)).toBe(0);
  });

  test('holdFirstAttempts: false lets first attempts through during a cool-down; the spread defaults to 1000', () => {
    const free = new RetryBudget({ holdFirstAttempts: false });
    free.beforeRetry(request({ now: 0, delay: 3000, firmHint: 3000 }));
    expect(free.holdBeforeFirstAttempt(1000, () => 0.5)).toBe(0);
    const held = new RetryBudget();
    held.beforeRetry(request({ now: 0, delay: 3000, firmHint: 3000 }));
    expect(held.holdBeforeFirstAttempt(1000, () => 0.5)).toBe(2500);
  });

  test.each([
    [{ maxTokens: '10' }, new TypeError('RetryBudget: maxTokens must be a number, got string')],
    [{ tokenRatio: null }, new TypeError('RetryBudget: tokenRatio must be a number, got object')],
    [{ spread: '1s' }, new TypeError('RetryBudget: spread must be a number, got string')],
    [{ maxTokens: -1 }, new RangeError('RetryBudget: maxTokens is out of range, got -1')],
    [{ maxTokens: Number.POSITIVE_INFINITY }, new RangeError('RetryBudget: maxTokens is out of range, got Infinity')],
    [{ tokenRatio: -0.1 }, new RangeError('RetryBudget: tokenRatio is out of range, got -0.1')],
    [{ tokenRatio: Number.NaN }, new RangeError('RetryBudget: tokenRatio is out of range, got NaN')],
    [{ spread: -1 }, new RangeError('RetryBudget: spread is out of range, got -1')],
    [{ spread: Number.POSITIVE_INFINITY }, new RangeError('RetryBudget: spread is out of range, got Infinity')],
  ])('rejects %o', (options, expected) => {
    let caught: unknown;
    try { new RetryBudget(options as never); } catch (error) { caught = error; }
    expect(caught).toEqual(expected);
    expect((caught as Error).constructor).toBe(expected.constructor);
  });

  test('accepts the edges: 0 tokens, a ratio of 0, no spread', () => {
    const budget = new RetryBudget({ maxTokens: 0, tokenRatio: 0, spread: 0 });
    expect(budget.availableTokens).toBe(0);
    budget.recordSuccess(0);
    expect(budget.availableTokens).toBe(0);
    expect(budget.beforeRetry(request())).toBeUndefined();
  });
});

describe('RetryBudget pacing under a rate limit', () => {
  const limited = (fields: Partial<RetryRequest> = {}) => request({ rateLimited: true, ...fields });

  test('before any success is seen, a 429 retry keeps its own backoff and is not paid from the bucket', () => {
    const budget = new RetryBudget({ maxTokens: 1 });
    expect(budget.beforeRetry(limited({ now: 0, delay: 700 }))).toBe(700);
    expect(budget.beforeRetry(limited({ now: 0, delay: 700 }))).toBe(700);
    expect(budget.availableTokens).toBe(1);
  });

  test('429 retries get slots one granted interval apart, the rate of recent successes, in the order they ask', () => {
    const budget = new RetryBudget();
    for (let i = 0; i < 4; i++) budget.recordSuccess(100 * i); // 4 per second: one slot every 250 ms
    expect(budget.beforeRetry(limited({ now: 500, delay: 9999 }))).toBe(250);
    expect(budget.beforeRetry(limited({ now: 500, delay: 9999 }))).toBe(500);
    expect(budget.beforeRetry(limited({ now: 600, delay: 0 }))).toBe(650);
    expect(budget.availableTokens).toBe(10);
  });

  test('a firm hint moves the slot to the hint, and the next slots follow it', () => {
    const budget = new RetryBudget();
    for (let i = 0; i < 2; i++) budget.recordSuccess(0); // one slot every 500 ms
    expect(budget.beforeRetry(limited({ now: 100, firmHint: 2000 }))).toBe(2000);
    expect(budget.beforeRetry(limited({ now: 100 }))).toBe(2500);
    // A later hint that is shorter does not jump the queue.
    expect(budget.beforeRetry(limited({ now: 200, firmHint: 100 }))).toBe(2900);
  });

  test("the granted rate is the larger of this second's and the last second's, and is forgotten after that", () => {
    const budget = new RetryBudget();
    for (let i = 0; i < 5; i++) budget.recordSuccess(900); // 5 in [0, 1000)
    budget.recordSuccess(1100); // 1 in [1000, 2000)
    expect(budget.beforeRetry(limited({ now: 1500, delay: 0 }))).toBe(200); // still 5 per second
    // At 2500 the last full window had 1 success: one slot a second, after the one already given.
    expect(budget.beforeRetry(limited({ now: 2500, delay: 0 }))).toBe(1000);
    // Two windows later nothing is known: the call's own backoff again.
    expect(budget.beforeRetry(limited({ now: 5000, delay: 321 }))).toBe(321);
  });

  test('successes from two or more windows ago are forgotten, however many there were', () => {
    const budget = new RetryBudget();
    for (let i = 0; i < 4; i++) budget.recordSuccess(0);
    expect(budget.beforeRetry(limited({ now: 2500, delay: 321 }))).toBe(321);
  });

  test('a retry after a server error still spends a token while 429s are paced', () => {
    const budget = new RetryBudget({ maxTokens: 1 });
    budget.recordSuccess(0);
    expect(budget.beforeRetry(request({ now: 10, delay: 100 }))).toBe(100);
    expect(budget.beforeRetry(request({ now: 10, delay: 100 }))).toBeUndefined();
    expect(budget.beforeRetry(limited({ now: 10, delay: 100 }))).toBe(1000);
  });
});

describe('the engine with a budget', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });

  test('an empty budget ends the retries with the original error, reason "budget"', async () => {
    const budget = new RetryBudget({ maxTokens: 1 });
    const failure = httpError(503);
    const fn = scripted([failure, failure, failure], 'ok');
    const giveUps: GiveUpEvent[] = [];
    const outcome = observe(retry(fn, { ...exact, budget, onGiveUp: (event) => giveUps.push(event) }));
    await vi.runAllTimersAsync();
    expect((await outcome as { reason: unknown }).reason).toBe(failure);
    expect(fn.callTimes).toEqual([0, 100]);
    expect(giveUps).toEqual([{ error: failure, attempts: 2, reason: 'budget', method: 'fn' }]);
    expect(budget.availableTokens).toBe(0);
  });

  test('a success refills the budget, on the first attempt too', async () => {
    const budget = new RetryBudget({ maxTokens: 2, tokenRatio: 0.5 });
    const first = observe(retry(scripted([httpError(503)], 'ok'), { ...exact, budget }));
    await vi.runAllTimersAsync();
    expect(await first).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(budget.availableTokens).toBe(1.5);
    const second = observe(retry(scripted([], 'ok'), { ...exact, budget }));
    await vi.runAllTimersAsync();
    expect(await second).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(budget.availableTokens).toBe(2);
  });

  test('one call\'s retry-after holds the other calls\' retries and first attempts until it ends', async () => {
    const budget = new RetryBudget({ spread: 0 });
    const events: RetryEvent[] = [];
    const limited = scripted([httpError(429, { 'retry-after': '2' })], 'ok');
    const other = scripted([httpError(503)], 'ok');
    const a = observe(retry(limited, { ...exact, budget }));
    const b = observe(retry(other, { ...exact, budget, onRetry: (event) => events.push(event) }));
    await vi.advanceTimersByTimeAsync(500);
    const late = scripted([], 'late');
    const c = observe(retry(late, { ...exact, budget }));
    await vi.runAllTimersAsync();
    expect(await a).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(await b).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(await c).toEqual({ status: 'fulfilled', value: 'late' });
    expect(limited.callTimes).toEqual([0, 2000]);
    // Its backoff was 100 ms; the budget made it wait for the cool-down to end at 2000.
    expect(other.callTimes).toEqual([0, 2000]);
    expect(events[0]!.delay).toBe(2000);
    expect(late.callTimes).toEqual([2000]);
  });

  test('a wait the budget lengthened past the overall timeout ends the call at once, with the original error', async () => {
    const budget = new RetryBudget({ spread: 0, holdFirstAttempts: false });
    budget.beforeRetry(request({ now: 0, delay: 5000, firmHint: 5000 }));
    const failure = httpError(503);
    const fn = scripted([failure], 'ok');
    const giveUps: GiveUpEvent[] = [];
    const outcome = observe(retry(fn, { ...exact, budget, timeout: 3000, onGiveUp: (e) => giveUps.push(e) }));
    await vi.runAllTimersAsync();
    expect((await outcome as { reason: unknown }).reason).toBe(failure);
    expect(fn.callTimes).toEqual([0]);
    expect(giveUps).toEqual([{ error: failure, attempts: 1, reason: 'deadline', method: 'fn' }]);
  });

  test('a first attempt held past the overall timeout fails with a TimeoutError and makes no attempt', async () => {
    const budget = new RetryBudget({ spread: 0 });
    budget.beforeRetry(request({ now: 0, delay: 5000, firmHint: 5000 }));
    const fn = scripted([], 'ok');
    const giveUps: GiveUpEvent[] = [];
    const outcome = observe(retry(fn, { ...exact, budget, timeout: 1000, onGiveUp: (e) => giveUps.push(e) }));
    await vi.runAllTimersAsync();
    const reason = (await outcome as { reason: DOMException }).reason;
    expect(reason).toBeInstanceOf(DOMException);
    expect(reason.name).toBe('TimeoutError');
    expect(reason.message).toBe('retryable: timeout of 1000 ms passed');
    expect(fn.callTimes).toEqual([]);
    expect(giveUps).toEqual([{ error: reason, attempts: 0, reason: 'deadline', method: 'fn' }]);
  });
});
