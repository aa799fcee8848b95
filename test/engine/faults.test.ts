import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { retry, RetryBudget, Retryable, type GiveUpEvent, type RetryEvent, type RetryOptions } from '../../src/index.js';
import { captureHookWarningsPerTest } from '../support/hook-warnings.js';
import { gaps, httpError, observe, scripted } from '../support/scripted.js';

// Faults and bad input through the whole engine: what is thrown, what the hooks do, what a
// function returns, and when the caller aborts. The pure modules' own hostile-input tests are in
// classify.test.ts and server-hints.test.ts; here the question is whether a full call stays safe.

// The call's own schedule, exactly: coordination (tested in test/coordination) is off.
const exact = { jitter: 'none', initialDelay: 100, multiplier: 2, maxDelay: 10_000, upstream: false } as const satisfies RetryOptions;

const takeHookWarnings = captureHookWarningsPerTest();

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

/** Runs `retry` to its end in virtual time and records every hook event. */
async function run(fn: Parameters<typeof retry>[0], options: RetryOptions) {
  const retries: RetryEvent[] = [];
  const giveUps: GiveUpEvent[] = [];
  const outcome = observe(retry(fn, { onRetry: (event) => retries.push(event), onGiveUp: (event) => giveUps.push(event), ...options }));
  await vi.runAllTimersAsync();
  return { result: await outcome, retries, giveUps };
}

/** A rejection with `thing` on every call, after the synchronous part. */
function alwaysRejecting(thing: unknown) {
  return scripted(Array(10).fill(thing), 'never');
}

describe('things thrown that are not errors reach the caller unchanged', () => {
  const things: [string, () => unknown][] = [
    ['a string', () => 'boom'],
    ['undefined', () => undefined],
    ['null', () => null],
    ['0', () => 0],
    ['a symbol', () => Symbol('thrown')],
    ['a function', () => () => 'not an error'],
    ['a plain object', () => ({ message: 'looks like an error' })],
    ['an object without a prototype', () => Object.create(null)],
    ['a frozen error', () => Object.freeze(httpError(503))],
    ['a frozen error with frozen headers', () => Object.freeze(Object.assign(new Error('x'), { status: 503, headers: Object.freeze({ 'retry-after-ms': '250' }) }))],
  ];

  test.each(things)('%s, rejected: retried by the default rule, every attempt, then thrown as is', async (_name, make) => {
    const thing = make();
    const fn = alwaysRejecting(thing);
    const { result, retries, giveUps } = await run(fn, { ...exact, maxRetries: 2 });
    expect(result.status).toBe('rejected');
    expect((result as { reason: unknown }).reason).toBe(thing);
    expect(fn.callTimes).toHaveLength(3);
    expect(retries.map((event) => event.error)).toEqual([thing, thing]);
    expect(retries.every((event) => event.error === thing)).toBe(true);
    expect(giveUps).toHaveLength(1);
    expect(giveUps[0]!.error).toBe(thing);
    expect(giveUps[0]).toMatchObject({ attempts: 3, reason: 'retries-exhausted' });
  });

  test.each(things)('%s, thrown synchronously: the same', async (_name, make) => {
    const thing = make();
    let calls = 0;
    const { result } = await run(() => { calls++; throw thing; }, { ...exact, maxRetries: 2 });
    expect((result as { reason: unknown }).reason).toBe(thing);
    expect(result.status).toBe('rejected');
    expect(calls).toBe(3);
  });

  test('a frozen error keeps its retry-after hint and is never written to', async () => {
    const failure = Object.freeze(httpError(429, { 'retry-after-ms': '250' }));
    const fn = scripted([failure, failure], 'ok');
    const { result } = await run(fn, exact);
    expect(result).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(gaps(fn.callTimes)).toEqual([250, 250]);
    expect(Object.isFrozen(failure)).toBe(true);
  });
});

describe('errors and headers whose getters throw', () => {
  function statusThrows(): Error {
    return Object.defineProperty(new Error('hostile'), 'status', { get() { throw new Error('getter'); } });
  }
  const everyTrapThrows = () => new Proxy({}, new Proxy({}, { get: () => () => { throw new Error('trap'); } }));

  test('an error whose status getter throws is not retried (it cannot be judged), and is thrown as is', async () => {
    const failure = statusThrows();
    const fn = alwaysRejecting(failure);
    const { result, giveUps } = await run(fn, exact);
    expect((result as { reason: unknown }).reason).toBe(failure);
    expect(fn.callTimes).toEqual([0]);
    expect(giveUps[0]).toMatchObject({ attempts: 1, reason: 'not-retryable' });
  });

  test('a Proxy that throws on every operation: not retried by default, thrown as is', async () => {
    const failure = everyTrapThrows();
    const fn = alwaysRejecting(failure);
    const { result, giveUps } = await run(fn, exact);
    expect((result as { reason: unknown }).reason).toBe(failure);
    expect(fn.callTimes).toEqual([0]);
    expect(giveUps[0]!.reason).toBe('not-retryable');
  });

  test('both are retried with the plain backoff when retryIf says so (no hint can be read from them)', async () => {
    for (const failure of [statusThrows(), everyTrapThrows()]) {
      vi.setSystemTime(0);
      const fn = alwaysRejecting(failure);
      const { result, retries } = await run(fn, { ...exact, maxRetries: 2, retryIf: () => true });
      expect((result as { reason: unknown }).reason).toBe(failure);
      expect(fn.callTimes).toEqual([0, 100, 300]);
      expect(retries.map((event) => event.serverHint)).toEqual([undefined, undefined]);
    }
  });

  const hostileHeaders: [string, () => object][] = [
    ['headers.get throws', () => ({ headers: { get() { throw new Error('get'); } } })],
    ['the headers getter throws', () => Object.defineProperty({}, 'headers', { get() { throw new Error('headers'); } })],
    ['a header value getter throws', () => ({ headers: Object.defineProperty({}, 'retry-after', { enumerable: true, get() { throw new Error('value'); } }) })],
    ['headers is a Proxy that throws on every operation', () => ({ headers: everyTrapThrows() })],
    ['response getter throws (no own headers)', () => Object.defineProperty({}, 'response', { get() { throw new Error('response'); } })],
  ];

  test.each(hostileHeaders)('%s: a 503 is still retried by its status, with the plain backoff', async (_name, fields) => {
    const failure = Object.assign(Object.create(Error.prototype) as Error, { status: 503, message: 'm' });
    Object.defineProperties(failure, Object.getOwnPropertyDescriptors(fields()));
    const fn = scripted([failure, failure], 'ok');
    const { result, retries } = await run(fn, exact);
    expect(result).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(gaps(fn.callTimes)).toEqual([100, 200]);
    expect(retries[0]!.error).toBe(failure);
    expect(retries.map((event) => event.serverHint)).toEqual([undefined, undefined]);
  });
});

describe('retry-after values that are out of range or unreadable', () => {
  const ignored: [string, Record<string, string>][] = [
    ['negative seconds', { 'retry-after': '-5' }],
    ['negative milliseconds', { 'retry-after-ms': '-5' }],
    ['NaN', { 'retry-after': 'NaN' }],
    ['NaN milliseconds', { 'retry-after-ms': 'NaN' }],
    ['Infinity', { 'retry-after': 'Infinity' }],
    ['exponent notation', { 'retry-after': '1e3' }],
    ['hexadecimal', { 'retry-after': '0x10' }],
    ['a comma decimal', { 'retry-after': '1,5' }],
    ['empty', { 'retry-after': '' }],
    ['blank', { 'retry-after': '   ' }],
    ['words', { 'retry-after': 'soon' }],
    ['text around a year', { 'retry-after': 'try again in 2099' }],
    ['an impossible date', { 'retry-after': 'Wed, 99 Foo 2024 25:61:61 GMT' }],
    ['an ISO date', { 'retry-after': '2099-01-01T00:00:00Z' }],
  ];

  test.each(ignored)('%s: ignored, the plain backoff applies, and the error is thrown as is', async (_name, headers) => {
    const failure = httpError(503, headers);
    const fn = alwaysRejecting(failure);
    const { result, retries, giveUps } = await run(fn, { ...exact, maxRetries: 2 });
    expect((result as { reason: unknown }).reason).toBe(failure);
    expect(fn.callTimes).toEqual([0, 100, 300]);
    expect(retries.map((event) => event.serverHint)).toEqual([undefined, undefined]);
    expect(giveUps[0]!.reason).toBe('retries-exhausted');
  });

  const huge: [string, Record<string, string>][] = [
    ['a day in seconds', { 'retry-after': '86400' }],
    ['twelve digits', { 'retry-after': '999999999999' }],
    ['so many digits it overflows to Infinity', { 'retry-after': '9'.repeat(400) }],
    ['so many digits of milliseconds it overflows', { 'retry-after-ms': '9'.repeat(400) }],
    ['a date in the year 9999', { 'retry-after': 'Fri, 31 Dec 9999 23:59:59 GMT' }],
  ];

  test.each(huge)('%s: beyond maxDelay, so the retries end at once with the original error and no timer', async (_name, headers) => {
    const failure = httpError(429, headers);
    const fn = alwaysRejecting(failure);
    const { result, retries, giveUps } = await run(fn, exact);
    expect((result as { reason: unknown }).reason).toBe(failure);
    expect(fn.callTimes).toEqual([0]);
    expect(retries).toEqual([]);
    expect(giveUps).toEqual([{ error: failure, attempts: 1, reason: 'hint-exceeds-max-delay', method: 'fn' }]);
  });

  test('a date in the past means "now": the retry comes at once, with or without jitter (the spread scales with the hint)', async () => {
    vi.setSystemTime(60_000);
    const past = new Date(1000).toUTCString();
    const none = scripted([httpError(429, { 'retry-after': past })], 'ok');
    const noneRun = await run(none, exact);
    expect(noneRun.result).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(gaps(none.callTimes)).toEqual([0]);
    expect(noneRun.retries[0]).toMatchObject({ delay: 0, serverHint: 0 });

    const full = scripted([httpError(429, { 'retry-after': past })], 'ok');
    const fullRun = await run(full, { ...exact, jitter: 'full', random: () => 0.5 });
    expect(fullRun.result).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(gaps(full.callTimes)).toEqual([0]);
  });

  test('numbers in a plain-object header bag that are negative, NaN or Infinity are ignored', async () => {
    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      vi.setSystemTime(0);
      const failure = Object.assign(new Error('plain'), { status: 503, headers: { 'retry-after': value } });
      const fn = scripted([failure], 'ok');
      const { result, retries } = await run(fn, exact);
      expect(result).toEqual({ status: 'fulfilled', value: 'ok' });
      expect(gaps(fn.callTimes)).toEqual([100]);
      expect(retries[0]!.serverHint).toBeUndefined();
    }
  });
});

describe('hooks that fail never change the outcome', () => {
  const hostileValues: [string, () => unknown][] = [
    ['a string', () => 'just a string'],
    ['null', () => null],
    ['an object without a prototype', () => Object.create(null)],
    ['an error whose stack getter throws', () => Object.defineProperty(new Error('e'), 'stack', { get() { throw new Error('stack'); } })],
    ['a Proxy that throws on every operation', () => new Proxy({}, new Proxy({}, { get: () => () => { throw new Error('trap'); } }))],
  ];

  test.each(hostileValues)('onRetry throwing %s: reported once, the retries go on', async (_name, make) => {
    const fn = scripted([httpError(503), httpError(503)], 'ok');
    const { result } = await run(fn, { ...exact, onRetry: () => { throw make(); } });
    expect(result).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(fn.callTimes).toEqual([0, 100, 300]);
    const reported = takeHookWarnings();
    expect(reported.map((w) => w.code)).toEqual(['RETRYABLE_HOOK_ERROR', 'RETRYABLE_HOOK_ERROR']);
    expect(reported[0]!.message).toContain('the onRetry hook threw');
  });

  test.each(hostileValues)('onRetry rejecting with %s: reported, never unhandled', async (_name, make) => {
    const fn = scripted([httpError(503)], 'ok');
    const { result } = await run(fn, { ...exact, onRetry: (() => Promise.reject(make())) as never });
    expect(result).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(fn.callTimes).toEqual([0, 100]);
    expect(takeHookWarnings().map((w) => w.code)).toEqual(['RETRYABLE_HOOK_ERROR']);
  });

  test('onGiveUp throwing or rejecting: the caller gets the original error, and the failure is reported', async () => {
    const failure = httpError(400);
    const thrown = await run(alwaysRejecting(failure), { ...exact, onGiveUp: () => { throw new Error('giveUp logger down'); } });
    const rejected = await run(alwaysRejecting(failure), { ...exact, onGiveUp: (() => Promise.reject(new Error('async giveUp logger down'))) as never });
    expect((thrown.result as { reason: unknown }).reason).toBe(failure);
    expect((rejected.result as { reason: unknown }).reason).toBe(failure);
    const reported = takeHookWarnings();
    expect(reported.map((w) => w.code)).toEqual(['RETRYABLE_HOOK_ERROR', 'RETRYABLE_HOOK_ERROR']);
    expect(reported[0]!.message).toContain('the onGiveUp hook threw');
    expect(reported[0]!.message).toContain('giveUp logger down');
    expect(reported[1]!.message).toContain('async giveUp logger down');
  });

  test('a retryIf that throws on the second attempt stops there; that attempt\'s error reaches the caller; reported', async () => {
    const first = httpError(503);
    const second = httpError(503);
    const fn = scripted([first, second, httpError(503)], 'ok');
    let rulings = 0;
    const { result, giveUps } = await run(fn, { ...exact, retryIf: () => { if (++rulings === 2) throw new Error('bad rule'); return true; } });
    expect((result as { reason: unknown }).reason).toBe(second);
    expect(fn.callTimes).toEqual([0, 100]);
    expect(giveUps[0]).toMatchObject({ attempts: 2, reason: 'not-retryable' });
    const reported = takeHookWarnings();
    expect(reported.map((w) => w.code)).toEqual(['RETRYABLE_HOOK_ERROR']);
    expect(reported[0]!.message).toContain('the retryIf hook threw');
    expect(reported[0]!.message).toContain('bad rule');
  });

  test('a retryIf that returns a rejected promise stops the retries, is reported, and leaves no rejection unhandled', async () => {
    const failure = httpError(503);
    const fn = alwaysRejecting(failure);
    const { result, giveUps } = await run(fn, { ...exact, retryIf: (() => Promise.reject(new Error('async rule'))) as never });
    expect((result as { reason: unknown }).reason).toBe(failure);
    expect(fn.callTimes).toEqual([0]);
    expect(giveUps[0]!.reason).toBe('not-retryable');
    const reported = takeHookWarnings();
    expect(reported.map((w) => w.code)).toEqual(['RETRYABLE_HOOK_ERROR']);
    expect(reported[0]!.message).toContain('the retryIf hook threw');
    expect(reported[0]!.message).toContain('async rule');
  });

  test('a retryIf that returns a truthy value that is not `true` does not retry', async () => {
    for (const verdict of [1, 'yes', {}, Promise.resolve(true)]) {
      const failure = httpError(503);
      const fn = alwaysRejecting(failure);
      const { result } = await run(fn, { ...exact, retryIf: (() => verdict) as never });
      expect((result as { reason: unknown }).reason).toBe(failure);
      expect(fn.callTimes).toHaveLength(1);
    }
    expect(takeHookWarnings()).toEqual([]);
  });

  test('a throwing retryIf under a timeout leaves no timer behind', async () => {
    const failure = httpError(503);
    const fn = alwaysRejecting(failure);
    const { result } = await run(fn, { ...exact, timeout: 5000, attemptTimeout: 1000, retryIf: () => { throw new Error('bad rule'); } });
    expect((result as { reason: unknown }).reason).toBe(failure);
    expect(fn.callTimes).toEqual([0]);
    expect(takeHookWarnings()).toEqual([{ code: 'RETRYABLE_HOOK_ERROR', message: expect.stringContaining('the retryIf hook threw; the call went on as if it had not. Error: bad rule') }]);
  });

  test('an onRetry that aborts the caller ends the call with signal.reason, with no wait left behind', async () => {
    const controller = new AbortController();
    const reason = new Error('the hook pulled the plug');
    const fn = alwaysRejecting(httpError(503));
    const giveUps: GiveUpEvent[] = [];
    const outcome = observe(retry(fn, { ...exact, signal: controller.signal, onRetry: () => controller.abort(reason), onGiveUp: (e) => giveUps.push(e) }));
    await vi.advanceTimersByTimeAsync(0);
    expect(outcome.settled()).toBe(true);
    expect(vi.getTimerCount()).toBe(0); // the wait the hook preceded was never started
    expect((await outcome as { reason: unknown }).reason).toBe(reason);
    expect(fn.callTimes).toEqual([0]);
    expect(giveUps[0]).toMatchObject({ attempts: 1, reason: 'aborted' });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('a function that returns something other than a promise', () => {
  const wrongResults: [string, unknown, string][] = [
    ['undefined (a forgotten return)', undefined, 'undefined'],
    ['null', null, 'null'],
    ['a plain object', { data: 1 }, 'object'],
    ['an object whose then is not a function', { then: 1 }, 'object'],
    ['a function', () => {}, 'function'],
    ['a string', 'text', 'string'],
  ];

  test.each(wrongResults)('%s: a TypeError that says what it got, after one attempt', async (_name, value, got) => {
    let calls = 0;
    const fn = function complete() { calls++; return value; };
    const { result, giveUps } = await run(fn as never, exact);
    const reason = (result as { reason: Error }).reason;
    expect(reason).toBeInstanceOf(TypeError);
    expect(reason.message).toBe(`retry(): fn must return a Promise, but it returned ${got}`);
    expect(calls).toBe(1);
    expect(giveUps).toEqual([]); // the engine never took charge: nothing was retried
  });

  test('under a timeout too, with its timers cleared', async () => {
    let calls = 0;
    const { result, giveUps } = await run((() => { calls++; return 'text'; }) as never, { ...exact, timeout: 5000, attemptTimeout: 1000 });
    expect((result as { reason: Error }).reason).toBeInstanceOf(TypeError);
    expect(calls).toBe(1);
    expect(giveUps[0]).toMatchObject({ attempts: 1, reason: 'not-retryable' });
  });

  test('on a retry: the TypeError ends the call, no further attempt', async () => {
    let calls = 0;
    const fn = function complete() { calls++; return calls === 1 ? Promise.reject(httpError(503)) : 7; };
    const { result, giveUps } = await run(fn as never, exact);
    expect((result as { reason: Error }).reason).toEqual(new TypeError('retry(): fn must return a Promise, but it returned number'));
    expect(calls).toBe(2);
    expect(giveUps[0]).toMatchObject({ attempts: 2, reason: 'not-retryable' });
  });

  test('a thenable that is not a native promise is adopted: the caller still gets a real Promise', async () => {
    let calls = 0;
    const failure = httpError(503);
    // A minimal PromiseLike whose then() returns nothing, as some hand-written thenables do.
    const thenable = (settle: (ok: (v: unknown) => void, fail: (e: unknown) => void) => void) => ({ then(ok: (v: unknown) => void, fail: (e: unknown) => void): void { settle(ok, fail); } });
    const promise = retry(() => { calls++; return thenable(calls < 3 ? (_ok, fail) => fail(failure) : (ok) => ok('value')) as never; }, exact);
    expect(promise).toBeInstanceOf(Promise);
    const outcome = observe(promise);
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'fulfilled', value: 'value' });
    expect(calls).toBe(3);
  });

  test('a function with a then method is a thenable too, and is adopted', async () => {
    const thenableFunction = Object.assign(() => {}, { then(ok: (v: unknown) => void) { ok('from a function'); } });
    const outcome = observe(retry(() => thenableFunction as never, exact));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'fulfilled', value: 'from a function' });
  });

  test('a thenable that settles twice, or throws from then, cannot start a retry after the call settled', async () => {
    let calls = 0;
    const failure = httpError(503);
    const promise = retry(() => {
      calls++;
      if (calls === 1) return Promise.reject(failure);
      if (calls === 2) return { then(_ok: unknown, fail: (e: unknown) => void) { fail(failure); throw new Error('then threw'); } } as never;
      return { then(ok: (v: unknown) => void, fail: (e: unknown) => void) { ok('first'); fail(failure); ok('second'); } } as never;
    }, { ...exact, timeout: 60_000 });
    const outcome = observe(promise);
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'fulfilled', value: 'first' });
    expect(calls).toBe(3);
  });
});

describe('the decorator applied by hand, as plain JavaScript does, on a method that returns a non-promise', () => {
  // No decorator syntax and no types: what a JavaScript codebase or a hand-rolled helper does.
  const decorate = Retryable(exact) as unknown as (...args: unknown[]) => unknown;

  test('legacy form (target, key, descriptor): a TypeError naming Class.method, as a rejected promise', async () => {
    class Plain { calls = 0; run() { this.calls++; return 42; } }
    const descriptor = Object.getOwnPropertyDescriptor(Plain.prototype, 'run')!;
    Object.defineProperty(Plain.prototype, 'run', decorate(Plain.prototype, 'run', descriptor) as PropertyDescriptor);
    const plain = new Plain();
    let promise: unknown;
    expect(() => { promise = plain.run(); }).not.toThrow();
    expect(promise).toBeInstanceOf(Promise);
    const result = await observe(promise as Promise<unknown>);
    expect((result as { reason: unknown }).reason).toEqual(new TypeError('@Retryable on Plain.run: the method must return a Promise, but it returned number'));
    expect(plain.calls).toBe(1);
  });

  test('standard form (value, context): the class is named from `this`', async () => {
    class Plain { run() { return undefined; } }
    const wrapped = decorate(Plain.prototype.run, { kind: 'method', name: 'run', static: false, private: false }) as () => Promise<unknown>;
    const result = await observe(wrapped.call(new Plain()));
    expect((result as { reason: unknown }).reason).toEqual(new TypeError('@Retryable on Plain.run: the method must return a Promise, but it returned undefined'));
  });
});

describe('aborting', () => {
  test('before the first attempt, while a shared cool-down holds it back: rejects with signal.reason, no attempt', async () => {
    const budget = new RetryBudget({ spread: 0 });
    // A first call learns from the server that the upstream is limited for 5 s.
    const warm = scripted([httpError(429, { 'retry-after': '5' })], 'ok');
    const warmOutcome = observe(retry(warm, { ...exact, budget }));
    await vi.advanceTimersByTimeAsync(0);
    const controller = new AbortController();
    const held = scripted([], 'never');
    const giveUps: GiveUpEvent[] = [];
    const outcome = observe(retry(held, { ...exact, budget, signal: controller.signal, onGiveUp: (event) => giveUps.push(event) }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(held.callTimes).toEqual([]);
    const reason = new Error('user left while held');
    controller.abort(reason);
    await vi.advanceTimersByTimeAsync(0);
    expect(outcome.settled()).toBe(true);
    expect((await outcome as { reason: unknown }).reason).toBe(reason);
    expect(giveUps).toEqual([{ error: reason, attempts: 0, reason: 'aborted', method: 'fn' }]);
    await vi.runAllTimersAsync();
    expect(held.callTimes).toEqual([]);
    expect(await warmOutcome).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test('an already aborted signal, on every path: no attempt, no timer, no listener, no budget spent', async () => {
    const budget = new RetryBudget({ maxTokens: 3 });
    const paths: RetryOptions[] = [{}, { timeout: 1000 }, { attemptTimeout: 1000 }, { budget }];
    for (const path of paths) {
      const signal = AbortSignal.abort(); // no reason given: the reason is a DOMException AbortError
      const fn = scripted([], 'never');
      const { result } = await run(fn, { ...exact, ...path, signal });
      expect((result as { reason: unknown }).reason).toBe(signal.reason);
      expect((signal.reason as DOMException).name).toBe('AbortError');
      expect(fn.callTimes).toEqual([]);
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    }
    expect(budget.availableTokens).toBe(3);
  });

  test('an already aborted signal rejects at once even while a cool-down would hold the first attempt, and calls no hook', async () => {
    const budget = new RetryBudget();
    budget.beforeRetry({ now: 0, delay: 5000, firmHint: 5000, rateLimited: true, error: undefined, random: () => 0 });
    const signal = AbortSignal.abort(new Error('gone'));
    const giveUps: GiveUpEvent[] = [];
    const outcome = observe(retry(scripted([], 'never'), { ...exact, budget, timeout: 60_000, signal, onGiveUp: (e) => giveUps.push(e) }));
    await vi.advanceTimersByTimeAsync(0);
    expect(outcome.settled()).toBe(true);
    expect((await outcome as { reason: unknown }).reason).toBe(signal.reason);
    expect(giveUps).toEqual([]); // the engine never took charge of the call
  });

  test.each([
    ['unsupervised', {}],
    ['under timeouts', { timeout: 60_000, attemptTimeout: 30_000 }],
  ] as [string, RetryOptions][])('during an attempt that ignores the abort and then fails (%s): signal.reason, no retry', async (_name, options) => {
    const controller = new AbortController();
    let calls = 0;
    const giveUps: GiveUpEvent[] = [];
    const outcome = observe(retry(async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw httpError(503);
    }, { ...exact, ...options, signal: controller.signal, onGiveUp: (e) => giveUps.push(e) }));
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    await vi.runAllTimersAsync();
    expect((await outcome as { reason: unknown }).reason).toBe(controller.signal.reason);
    expect(calls).toBe(1);
    expect(giveUps).toHaveLength(1);
    expect(giveUps[0]).toMatchObject({ attempts: 1, reason: 'aborted' });
    expect(giveUps[0]!.error).toBe(controller.signal.reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test('during the wait of a supervised call: at once, with the deadline timer cleared', async () => {
    const controller = new AbortController();
    const fn = alwaysRejecting(httpError(503));
    const giveUps: GiveUpEvent[] = [];
    const outcome = observe(retry(fn, { ...exact, timeout: 60_000, attemptTimeout: 1000, signal: controller.signal, onGiveUp: (e) => giveUps.push(e) }));
    await vi.advanceTimersByTimeAsync(150); // attempt 2 failed at 100; waiting 200 ms
    expect(vi.getTimerCount()).toBe(2); // the wait and the deadline
    const reason = new Error('stop waiting');
    controller.abort(reason);
    expect(outcome.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    expect((await outcome as { reason: unknown }).reason).toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
    expect(fn.callTimes).toEqual([0, 100]);
    expect(giveUps).toEqual([{ error: reason, attempts: 2, reason: 'aborted', method: 'fn' }]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test('one signal shared by 100 calls, some in an attempt and some waiting: all end with its reason', async () => {
    const controller = new AbortController();
    const reason = new Error('shutdown');
    const outcomes = Array.from({ length: 100 }, (_, i) => observe(retry(async ({ signal }) => {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, i % 4 < 2 ? 20 : 5);
        signal.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
      });
      throw httpError(503);
    }, { ...exact, timeout: i % 2 === 0 ? 60_000 : undefined, signal: controller.signal })));
    // At 130, half the calls are in attempt 2 (120–140); the other half wait for attempt 3 (110–310).
    await vi.advanceTimersByTimeAsync(130);
    controller.abort(reason);
    await vi.runAllTimersAsync();
    const results = await Promise.all(outcomes);
    expect(results.every((result) => result.status === 'rejected' && result.reason === reason)).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test('an abort after the call settled changes nothing and throws nothing', async () => {
    const controller = new AbortController();
    const fn = scripted([httpError(503)], 'ok');
    const { result } = await run(fn, { ...exact, timeout: 1000, signal: controller.signal });
    expect(result).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(() => controller.abort(new Error('late'))).not.toThrow();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
