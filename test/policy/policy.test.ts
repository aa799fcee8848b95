import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RetryBudget } from '../../src/coordination/budget.js';
import { Upstream } from '../../src/coordination/upstream.js';
import { policyForCall, registerDecoratedMethod, resetRetryDefaults, setRetryDefaults } from '../../src/policy/defaults.js';
import type { RetryClock, RetryOptions, RetryPolicy } from '../../src/policy/options.js';
import { BUILT_IN_DEFAULTS, checkOptionsShape, resolvePolicy } from '../../src/policy/policy.js';
import { shared } from '../../src/engine/shared-state.js';
import { Targets } from '../../src/coordination/targets.js';
import { shouldFailOver } from '../../src/http/classify.js';

const WHERE = '@Retryable on ChatService.complete';
const OPTION_LIST = 'maxRetries, initialDelay, multiplier, maxDelay, jitter, rateLimit, timeout, attemptTimeout, retryIf, onRetry, onGiveUp, signal, upstream, targets, failoverIf, fallback, retryOnResult, budget, random, clock, telemetry';

/** Lets a test pass values the types (rightly) reject. */
const loose = (options: Record<string, unknown>) => options as RetryOptions;
const resolve = (options: Record<string, unknown>, defaults: Record<string, unknown> = {}) => resolvePolicy(loose(options), loose(defaults), WHERE);

/** Asserts the exact class and the exact message, so neither can drift unnoticed. */
function expectFailure(fn: () => unknown, ErrorClass: typeof TypeError | typeof RangeError, message: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected a throw').toBeDefined();
  expect((thrown as Error).constructor).toBe(ErrorClass);
  expect((thrown as Error).message).toBe(message);
}

const PRIMARY = new Upstream({ name: 'primary', target: { model: 'gpt-4o' } });
const SECONDARY = new Upstream({ name: 'secondary', target: { model: 'gpt-4o-mini' } });

const fakeClock: RetryClock = { now: () => 0, setTimeout: () => 1, clearTimeout: () => undefined };

afterEach(() => {
  resetRetryDefaults();
});

describe('resolvePolicy: defaults and layering', () => {
  it('has the documented built-in defaults, frozen', () => {
    expect(BUILT_IN_DEFAULTS).toEqual({ maxRetries: 3, initialDelay: 1000, multiplier: 2, maxDelay: 30_000, jitter: 'equal' });
    expect(Object.isFrozen(BUILT_IN_DEFAULTS)).toBe(true);
  });

  it('fills every field from the built-in defaults when nothing is set', () => {
    const policy = resolvePolicy({}, {}, WHERE);
    expect(policy).toEqual({
      maxRetries: 3,
      initialDelay: 1000,
      multiplier: 2,
      maxDelay: 30_000,
      jitter: 'equal',
      rateLimit: { initialDelay: 1000, multiplier: 2, jitter: 'equal', maxDelay: 30_000 },
      timeout: undefined,
      attemptTimeout: undefined,
      retryIf: undefined,
      onRetry: undefined,
      onGiveUp: undefined,
      signal: undefined,
      budget: undefined,
      upstream: expect.any(Upstream),
      random: expect.any(Function),
      clock: expect.any(Object),
      telemetry: true,
      watchFromStart: false,
      passSuccess: expect.any(Function),
    });
    expect(Object.keys(policy).sort()).toEqual([...OPTION_LIST.split(', '), 'watchFromStart', 'passSuccess'].sort());
  });

  it('defaults random to Math.random, looked up at each call', () => {
    const policy = resolvePolicy({}, {}, WHERE);
    const spy = vi.spyOn(Math, 'random').mockReturnValue(0.125);
    try {
      expect(policy.random()).toBe(0.125);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('defaults clock to the global timers, looked up at each use (so fake timers installed later apply)', () => {
    const policy = resolvePolicy({}, {}, WHERE);
    vi.useFakeTimers({ now: 1_234_567 });
    try {
      expect(policy.clock.now()).toBe(1_234_567);
      const fired: number[] = [];
      const handle = policy.clock.setTimeout(() => fired.push(policy.clock.now()), 500);
      vi.advanceTimersByTime(499);
      expect(fired).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(fired).toEqual([1_235_067]);
      const cancelled = policy.clock.setTimeout(() => fired.push(-1), 10);
      policy.clock.clearTimeout(cancelled);
      vi.advanceTimersByTime(100);
      expect(fired).toEqual([1_235_067]);
      expect(handle).toBeDefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('returns a frozen policy that cannot be changed', () => {
    const policy = resolvePolicy({ maxRetries: 1 }, {}, WHERE);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(() => {
      (policy as { maxRetries: number }).maxRetries = 9;
    }).toThrow(TypeError);
    expect(policy.maxRetries).toBe(1);
  });

  it('does not freeze or change the options objects it was given', () => {
    const options: RetryOptions = { maxRetries: 1 };
    const defaults: RetryOptions = { initialDelay: 10 };
    resolvePolicy(options, defaults, WHERE);
    expect(Object.isFrozen(options)).toBe(false);
    expect(options).toEqual({ maxRetries: 1 });
    expect(defaults).toEqual({ initialDelay: 10 });
  });

  it('lets application defaults override built-ins, and method options override both', () => {
    const policy = resolvePolicy({ maxRetries: 1, initialDelay: 50 }, { maxRetries: 5, jitter: 'none', maxDelay: 9000 }, WHERE);
    expect(policy).toMatchObject({ maxRetries: 1, initialDelay: 50, multiplier: 2, maxDelay: 9000, jitter: 'none' });
  });

  it('raises the default maxDelay to a longer initialDelay, but never a maxDelay someone chose', () => {
    expect(resolvePolicy({ initialDelay: 60_000 }, {}, WHERE).maxDelay).toBe(60_000);
    expect(resolvePolicy({ initialDelay: 1000 }, {}, WHERE).maxDelay).toBe(30_000);
    expect(() => resolvePolicy({ initialDelay: 60_000 }, { maxDelay: 30_000 }, WHERE)).toThrow(new RangeError(`${WHERE}: maxDelay must not be less than initialDelay (60000), got 30000`));
  });

  it('gives 429s their own schedule: the main fields someone chose, else the rate-limit defaults', () => {
    expect(resolvePolicy({}, {}, WHERE).rateLimit).toEqual({ initialDelay: 1000, multiplier: 2, jitter: 'equal', maxDelay: 30_000 });
    expect(resolvePolicy({ jitter: 'none', initialDelay: 100 }, {}, WHERE).rateLimit).toEqual({ initialDelay: 100, multiplier: 2, jitter: 'none', maxDelay: 30_000 });
    expect(resolvePolicy({ multiplier: 3 }, { maxDelay: 5000 }, WHERE).rateLimit).toEqual({ initialDelay: 1000, multiplier: 3, jitter: 'equal', maxDelay: 5000 });
    expect(resolvePolicy({ jitter: 'none', rateLimit: { jitter: 'equal' } }, { rateLimit: { initialDelay: 2000 } }, WHERE).rateLimit)
      .toEqual({ initialDelay: 2000, multiplier: 2, jitter: 'equal', maxDelay: 30_000 });
    expect(Object.isFrozen(resolvePolicy({}, {}, WHERE).rateLimit)).toBe(true);
  });

  it('rejects a bad rateLimit schedule, naming the field', () => {
    expectFailure(() => resolve({ rateLimit: { initialDelay: -1 } }), RangeError, `${WHERE}: rateLimit.initialDelay must be a non-negative finite number of milliseconds, got -1`);
    expectFailure(() => resolve({ rateLimit: { jitter: 'wide' } }), RangeError, `${WHERE}: rateLimit.jitter must be one of "none", "full", "equal", "decorrelated", got "wide"`);
    expectFailure(() => resolve({ rateLimit: { maxDelay: 5 } }), TypeError, `${WHERE}: rateLimit takes only initialDelay, multiplier, jitter; unknown key "maxDelay", got [object Object]`);
    expectFailure(() => resolve({ rateLimit: 5 }), TypeError, `${WHERE}: rateLimit must be an object, got 5`);
  });

  it('treats undefined as "not set" at every layer', () => {
    const all = { maxRetries: undefined, initialDelay: undefined, multiplier: undefined, maxDelay: undefined, jitter: undefined, timeout: undefined, random: undefined, clock: undefined };
    expect(resolvePolicy(all, {}, WHERE)).toMatchObject(BUILT_IN_DEFAULTS);
    expect(resolvePolicy(all, { maxRetries: 7, jitter: 'equal' }, WHERE)).toMatchObject({ maxRetries: 7, jitter: 'equal' });
    expect(resolvePolicy({ maxRetries: 2 }, all, WHERE).maxRetries).toBe(2);
  });

  it('passes functions, signal, budget, clock and random through unchanged', () => {
    const retryIf = () => true;
    const onRetry = () => undefined;
    const onGiveUp = () => undefined;
    const random = () => 0.5;
    const signal = new AbortController().signal;
    const pick = (s?: AbortSignal) => s;
    const budget = new RetryBudget();
    const policy = resolvePolicy({ retryIf, onRetry, onGiveUp, random, signal, budget, clock: fakeClock, timeout: 5000, attemptTimeout: 1000 }, {}, WHERE);
    expect(policy.retryIf).toBe(retryIf);
    expect(policy.onRetry).toBe(onRetry);
    expect(policy.onGiveUp).toBe(onGiveUp);
    expect(policy.random).toBe(random);
    expect(policy.signal).toBe(signal);
    expect(policy.budget).toBe(budget);
    expect(policy.clock).toBe(fakeClock);
    expect(policy.timeout).toBe(5000);
    expect(policy.attemptTimeout).toBe(1000);
    expect(resolvePolicy({ signal: pick }, {}, WHERE).signal).toBe(pick);
  });

  it('accepts the edges of every range', () => {
    expect(resolvePolicy({ maxRetries: 0, initialDelay: 0, maxDelay: 0, multiplier: 1, jitter: 'none' }, {}, WHERE)).toMatchObject({
      maxRetries: 0, initialDelay: 0, maxDelay: 0, multiplier: 1, jitter: 'none',
    });
    expect(resolvePolicy({ initialDelay: 500, maxDelay: 500 }, {}, WHERE).maxDelay).toBe(500);
    expect(resolvePolicy({ maxRetries: Infinity, timeout: 60_000 }, {}, WHERE).maxRetries).toBe(Infinity);
    expect(resolvePolicy({ maxRetries: Infinity }, { timeout: 60_000 }, WHERE).maxRetries).toBe(Infinity);
    for (const jitter of ['none', 'full', 'equal', 'decorrelated'] as const) expect(resolvePolicy({ jitter }, {}, WHERE).jitter).toBe(jitter);
  });

  it('property: any valid numeric options come back exactly', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 1000 }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 1, max: 100, noNaN: true }),
        fc.option(fc.double({ min: 1e-3, max: 1e9, noNaN: true }), { nil: undefined }),
        (maxRetries, initialDelay, extra, multiplier, timeout) => {
          const policy = resolvePolicy({ maxRetries, initialDelay, maxDelay: initialDelay + extra, multiplier, timeout }, {}, WHERE);
          expect(policy).toMatchObject({ maxRetries, initialDelay, maxDelay: initialDelay + extra, multiplier, timeout });
        },
      ),
    );
  });
});

describe('resolvePolicy: bad options fail with the exact class and message', () => {
  const cases: [string, Record<string, unknown>, typeof TypeError | typeof RangeError, string][] = [
    // maxRetries
    ['negative maxRetries', { maxRetries: -1 }, RangeError, 'maxRetries must be a non-negative integer, got -1'],
    ['fractional maxRetries', { maxRetries: 1.5 }, RangeError, 'maxRetries must be a non-negative integer, got 1.5'],
    ['NaN maxRetries', { maxRetries: NaN }, RangeError, 'maxRetries must be a non-negative integer, got NaN'],
    ['-Infinity maxRetries', { maxRetries: -Infinity }, RangeError, 'maxRetries must be a non-negative integer, got -Infinity'],
    ['Infinity maxRetries without timeout', { maxRetries: Infinity }, RangeError, 'maxRetries may be Infinity only together with a timeout, got Infinity'],
    ['string maxRetries', { maxRetries: '3' }, TypeError, 'maxRetries must be a non-negative integer, got "3"'],
    ['null maxRetries', { maxRetries: null }, TypeError, 'maxRetries must be a non-negative integer, got null'],
    // initialDelay
    ['negative initialDelay', { initialDelay: -1 }, RangeError, 'initialDelay must be a non-negative finite number of milliseconds, got -1'],
    ['NaN initialDelay', { initialDelay: NaN }, RangeError, 'initialDelay must be a non-negative finite number of milliseconds, got NaN'],
    ['Infinity initialDelay', { initialDelay: Infinity, maxDelay: Infinity }, RangeError, 'initialDelay must be a non-negative finite number of milliseconds, got Infinity'],
    ['string initialDelay', { initialDelay: '1s' }, TypeError, 'initialDelay must be a non-negative finite number of milliseconds, got "1s"'],
    // maxDelay
    ['negative maxDelay', { maxDelay: -5 }, RangeError, 'maxDelay must be a non-negative finite number of milliseconds, got -5'],
    ['NaN maxDelay', { maxDelay: NaN }, RangeError, 'maxDelay must be a non-negative finite number of milliseconds, got NaN'],
    ['Infinity maxDelay', { maxDelay: Infinity }, RangeError, 'maxDelay must be a non-negative finite number of milliseconds, got Infinity'],
    ['maxDelay below initialDelay', { initialDelay: 1000, maxDelay: 500 }, RangeError, 'maxDelay must not be less than initialDelay (1000), got 500'],
    // multiplier
    ['multiplier below 1', { multiplier: 0.5 }, RangeError, 'multiplier must be a finite number of at least 1, got 0.5'],
    ['zero multiplier', { multiplier: 0 }, RangeError, 'multiplier must be a finite number of at least 1, got 0'],
    ['NaN multiplier', { multiplier: NaN }, RangeError, 'multiplier must be a finite number of at least 1, got NaN'],
    ['Infinity multiplier', { multiplier: Infinity }, RangeError, 'multiplier must be a finite number of at least 1, got Infinity'],
    ['string multiplier', { multiplier: '2' }, TypeError, 'multiplier must be a finite number of at least 1, got "2"'],
    // jitter
    ['unknown jitter', { jitter: 'fll' }, RangeError, 'jitter must be one of "none", "full", "equal", "decorrelated", got "fll"'],
    ['jitter in the wrong case', { jitter: 'Full' }, RangeError, 'jitter must be one of "none", "full", "equal", "decorrelated", got "Full"'],
    ['non-string jitter', { jitter: 1 }, TypeError, 'jitter must be one of "none", "full", "equal", "decorrelated", got 1'],
    ['null jitter', { jitter: null }, TypeError, 'jitter must be one of "none", "full", "equal", "decorrelated", got null'],
    // timeouts
    ['zero timeout', { timeout: 0 }, RangeError, 'timeout must be a positive finite number of milliseconds, got 0'],
    ['-0 timeout', { timeout: -0 }, RangeError, 'timeout must be a positive finite number of milliseconds, got -0'],
    ['negative timeout', { timeout: -100 }, RangeError, 'timeout must be a positive finite number of milliseconds, got -100'],
    ['Infinity timeout', { timeout: Infinity }, RangeError, 'timeout must be a positive finite number of milliseconds, got Infinity'],
    ['Infinity maxRetries with Infinity timeout', { maxRetries: Infinity, timeout: Infinity }, RangeError, 'timeout must be a positive finite number of milliseconds, got Infinity'],
    ['string timeout', { timeout: '5s' }, TypeError, 'timeout must be a positive finite number of milliseconds, got "5s"'],
    ['NaN attemptTimeout', { attemptTimeout: NaN }, RangeError, 'attemptTimeout must be a positive finite number of milliseconds, got NaN'],
    ['negative attemptTimeout', { attemptTimeout: -1 }, RangeError, 'attemptTimeout must be a positive finite number of milliseconds, got -1'],
    // functions
    ['non-function retryIf', { retryIf: true }, TypeError, 'retryIf must be a function, got true'],
    ['null retryIf', { retryIf: null }, TypeError, 'retryIf must be a function, got null'],
    ['non-function onRetry', { onRetry: 'log' }, TypeError, 'onRetry must be a function, got "log"'],
    ['non-function onGiveUp', { onGiveUp: {} }, TypeError, 'onGiveUp must be a function, got [object Object]'],
    ['non-function random', { random: 0.5 }, TypeError, 'random must be a function, got 0.5'],
    // signal, budget, clock
    ['string signal', { signal: 'abort' }, TypeError, 'signal must be an AbortSignal or a function that returns one, got "abort"'],
    ['AbortController as signal', { signal: new AbortController() }, TypeError, 'signal must be an AbortSignal or a function that returns one, got [object AbortController]'],
    ['null signal', { signal: null }, TypeError, 'signal must be an AbortSignal or a function that returns one, got null'],
    ['signal-like object', { signal: { aborted: false } }, TypeError, 'signal must be an AbortSignal or a function that returns one, got [object Object]'],
    ['empty budget', { budget: {} }, TypeError, 'budget must be a RetryBudget, got [object Object]'],
    ['null budget', { budget: null }, TypeError, 'budget must be a RetryBudget, got null'],
    ['number budget', { budget: 10 }, TypeError, 'budget must be a RetryBudget, got 10'],
    ['clock without clearTimeout', { clock: { now: () => 0, setTimeout: () => 0 } }, TypeError, 'clock must have now, setTimeout and clearTimeout functions, got [object Object]'],
    ['null clock', { clock: null }, TypeError, 'clock must have now, setTimeout and clearTimeout functions, got null'],
    ['function clock', { clock: function Date() {} }, TypeError, 'clock must have now, setTimeout and clearTimeout functions, got function Date'],
    // failover, fallback, results
    ['non-function failoverIf', { failoverIf: 'always' }, TypeError, 'failoverIf must be a function, got "always"'],
    ['non-function fallback', { fallback: 'sorry' }, TypeError, 'fallback must be a function, got "sorry"'],
    ['non-function retryOnResult', { retryOnResult: true }, TypeError, 'retryOnResult must be a function, got true'],
    ['empty targets', { targets: [] }, TypeError, 'targets must be a non-empty array of distinct Upstreams (new Upstream({ name, target })), got [object Array]'],
    ['an Upstream as targets', { targets: PRIMARY }, TypeError, 'targets must be a non-empty array of distinct Upstreams (new Upstream({ name, target })), got [object Object]'],
    ['a model name among targets', { targets: [PRIMARY, 'gpt-4o'] }, TypeError, 'targets must be a non-empty array of distinct Upstreams (new Upstream({ name, target })); item 1 is not one, got "gpt-4o"'],
    ['a target twice', { targets: [PRIMARY, SECONDARY, PRIMARY] }, RangeError, 'targets must be a non-empty array of distinct Upstreams (new Upstream({ name, target })); item 2 repeats item 0, got "primary"'],
    ['targets with an upstream', { targets: [PRIMARY, SECONDARY], upstream: new Upstream({ name: 'shared' }) }, TypeError, 'targets [primary, secondary] cannot be combined with upstream, since each target is an Upstream of its own; set one of them, not both, got "shared"'],
    ['targets with upstream: false', { targets: [PRIMARY], upstream: false }, TypeError, 'targets [primary] cannot be combined with upstream, since each target is an Upstream of its own; set one of them, not both, got false'],
    // telemetry
    ['string telemetry', { telemetry: 'off' }, TypeError, 'telemetry must be true or false, got "off"'],
    ['null telemetry', { telemetry: null }, TypeError, 'telemetry must be true or false, got null'],
    ['numeric telemetry', { telemetry: 0 }, TypeError, 'telemetry must be true or false, got 0'],
  ];

  it.each(cases)('%s', (_, options, ErrorClass, rule) => {
    expectFailure(() => resolve(options), ErrorClass, `${WHERE}: ${rule}`);
  });

  it('the example message from the design notes, with toThrow', () => {
    expect(() => resolvePolicy({ maxRetries: -1 }, {}, '@Retryable on ChatService.complete')).toThrow(
      new RangeError('@Retryable on ChatService.complete: maxRetries must be a non-negative integer, got -1'),
    );
  });

  it('names an anonymous function as such', () => {
    expectFailure(() => resolve({ clock: (() => () => 0)() }), TypeError, `${WHERE}: clock must have now, setTimeout and clearTimeout functions, got function (anonymous)`);
  });

  it('reports a bad application default under the method label', () => {
    expectFailure(() => resolve({}, { maxRetries: -2 }), RangeError, `${WHERE}: maxRetries must be a non-negative integer, got -2`);
  });

  it('checks maxRetries before the delays, and initialDelay before maxDelay', () => {
    expectFailure(() => resolve({ maxRetries: -1, initialDelay: -1, maxDelay: -1 }), RangeError, `${WHERE}: maxRetries must be a non-negative integer, got -1`);
    expectFailure(() => resolve({ initialDelay: -1, maxDelay: -1 }), RangeError, `${WHERE}: initialDelay must be a non-negative finite number of milliseconds, got -1`);
  });

  it('rejects an unknown option key (a typo) with the list of options', () => {
    expectFailure(() => resolve({ maxRetry: 3 }), TypeError, `${WHERE}: unknown option "maxRetry"; the options are ${OPTION_LIST}`);
    expectFailure(() => resolve({ maxRetries: 3, retries: 3 }), TypeError, `${WHERE}: unknown option "retries"; the options are ${OPTION_LIST}`);
    expectFailure(() => resolve({ MaxRetries: 3 }), TypeError, `${WHERE}: unknown option "MaxRetries"; the options are ${OPTION_LIST}`);
    expectFailure(() => resolve({ delay: undefined }), TypeError, `${WHERE}: unknown option "delay"; the options are ${OPTION_LIST}`);
  });

  it.each([
    ['null', null, 'null'],
    ['a number', 3, '3'],
    ['a string', 'fast', '"fast"'],
    ['undefined', undefined, 'undefined'],
    ['a boolean', true, 'true'],
    ['a function', function options() {}, 'function options'],
  ])('rejects options that are %s', (_, options, shown) => {
    expectFailure(() => resolvePolicy(options as unknown as RetryOptions, {}, WHERE), TypeError, `${WHERE}: options must be an object, got ${shown}`);
    expectFailure(() => checkOptionsShape(options, WHERE), TypeError, `${WHERE}: options must be an object, got ${shown}`);
  });

  it('property: any negative or fractional maxRetries is a RangeError naming the value', () => {
    const bad = fc.oneof(
      fc.integer({ min: -1_000_000, max: -1 }),
      fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter((n) => !Number.isInteger(n)),
    );
    fc.assert(
      fc.property(bad, (maxRetries) => {
        expectFailure(() => resolve({ maxRetries }), RangeError, `${WHERE}: maxRetries must be a non-negative integer, got ${String(maxRetries)}`);
      }),
    );
  });

  it('property: any multiplier below 1 is a RangeError naming the value', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1, maxExcluded: true, noNaN: true }), (multiplier) => {
        const shown = Object.is(multiplier, -0) ? '-0' : String(multiplier);
        expectFailure(() => resolve({ multiplier }), RangeError, `${WHERE}: multiplier must be a finite number of at least 1, got ${shown}`);
      }),
    );
  });

  it('property: any maxDelay below initialDelay is a RangeError naming both', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 1e9 }), (initialDelay, gap) => {
        const maxDelay = Math.max(0, initialDelay - gap);
        fc.pre(maxDelay < initialDelay);
        expectFailure(() => resolve({ initialDelay, maxDelay }), RangeError, `${WHERE}: maxDelay must not be less than initialDelay (${initialDelay}), got ${maxDelay}`);
      }),
    );
  });

  it('property: every key that is not an option is rejected by name', () => {
    const names = new Set(OPTION_LIST.split(', '));
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((k) => !names.has(k) && k !== '__proto__'), (key) => {
        expectFailure(() => checkOptionsShape({ [key]: 1 }, WHERE), TypeError, `${WHERE}: unknown option ${JSON.stringify(key)}; the options are ${OPTION_LIST}`);
      }),
    );
  });
});

describe('checkOptionsShape', () => {
  it('accepts every known key without judging the values', () => {
    expect(() => checkOptionsShape({ maxRetries: -1, jitter: 'nope', budget: null }, WHERE)).not.toThrow();
    expect(() => checkOptionsShape(Object.fromEntries(OPTION_LIST.split(', ').map((k) => [k, undefined])), WHERE)).not.toThrow();
    expect(() => checkOptionsShape({}, WHERE)).not.toThrow();
  });
});

describe('setRetryDefaults / resetRetryDefaults / policyForCall', () => {
  it('policyForCall without options gives the built-in defaults under the "retry()" label', () => {
    expect(policyForCall(undefined)).toMatchObject(BUILT_IN_DEFAULTS);
    expectFailure(() => policyForCall(loose({ maxRetries: -1 })), RangeError, 'retry(): maxRetries must be a non-negative integer, got -1');
    expectFailure(() => policyForCall(loose({ maxRetry: 1 })), TypeError, `retry(): unknown option "maxRetry"; the options are ${OPTION_LIST}`);
  });

  it('policyForCall caches per options object, and recomputes after the defaults change', () => {
    const options: RetryOptions = { maxRetries: 1 };
    const first = policyForCall(options);
    expect(policyForCall(options)).toBe(first);
    expect(policyForCall({ maxRetries: 1 })).not.toBe(first);
    expect(policyForCall(undefined)).toBe(policyForCall(undefined));
    setRetryDefaults({ initialDelay: 10 });
    const second = policyForCall(options);
    expect(second).not.toBe(first);
    expect(second).toMatchObject({ maxRetries: 1, initialDelay: 10 });
    expect(Object.isFrozen(second)).toBe(true);
  });

  it('applies the application defaults under the call options', () => {
    setRetryDefaults({ maxRetries: 5, jitter: 'none', maxDelay: 4000 });
    expect(policyForCall(undefined)).toMatchObject({ maxRetries: 5, jitter: 'none', maxDelay: 4000, initialDelay: 1000, multiplier: 2 });
    expect(policyForCall({ maxRetries: 0 })).toMatchObject({ maxRetries: 0, jitter: 'none', maxDelay: 4000 });
    expect(policyForCall({ maxRetries: undefined }).maxRetries).toBe(5);
  });

  it('replaces, not merges with, an earlier call', () => {
    setRetryDefaults({ maxRetries: 5 });
    setRetryDefaults({ initialDelay: 10 });
    expect(policyForCall(undefined)).toMatchObject({ maxRetries: 3, initialDelay: 10 });
  });

  it('keeps its own copy of the defaults', () => {
    const defaults: RetryOptions = { maxRetries: 5 };
    setRetryDefaults(defaults);
    defaults.maxRetries = 9;
    expect(policyForCall({}).maxRetries).toBe(5);
    expect(Object.isFrozen(defaults)).toBe(false);
  });

  it('resetRetryDefaults puts the built-in defaults back', () => {
    setRetryDefaults({ maxRetries: 8, jitter: 'equal' });
    resetRetryDefaults();
    expect(policyForCall(undefined)).toMatchObject(BUILT_IN_DEFAULTS);
  });

  it('allows Infinity maxRetries in the defaults together with a timeout', () => {
    setRetryDefaults({ maxRetries: Infinity, timeout: 10_000 });
    expect(policyForCall(undefined)).toMatchObject({ maxRetries: Infinity, timeout: 10_000 });
  });

  it.each([
    ['a bad value', { maxRetries: -1 }, RangeError, 'setRetryDefaults: maxRetries must be a non-negative integer, got -1'],
    ['Infinity without timeout', { maxRetries: Infinity }, RangeError, 'setRetryDefaults: maxRetries may be Infinity only together with a timeout, got Infinity'],
    ['an unknown jitter', { jitter: 'fast' }, RangeError, 'setRetryDefaults: jitter must be one of "none", "full", "equal", "decorrelated", got "fast"'],
    ['maxDelay below the built-in initialDelay', { maxDelay: 100 }, RangeError, 'setRetryDefaults: maxDelay must not be less than initialDelay (1000), got 100'],
    ['an unknown key', { maxRetry: 2 }, TypeError, `setRetryDefaults: unknown option "maxRetry"; the options are ${OPTION_LIST}`],
    ['a bad budget', { budget: 'shared' }, TypeError, 'setRetryDefaults: budget must be a RetryBudget, got "shared"'],
  ] as const)('rejects %s, naming setRetryDefaults, and changes nothing', (_, options, ErrorClass, message) => {
    setRetryDefaults({ maxRetries: 6 });
    const before = policyForCall(undefined);
    expectFailure(() => setRetryDefaults(loose(options)), ErrorClass, message);
    expect(policyForCall(undefined)).toBe(before);
    expect(before.maxRetries).toBe(6);
  });

  it.each([
    ['null', null, 'null'],
    ['a number', 5, '5'],
  ])('rejects defaults that are %s', (_, options, shown) => {
    expectFailure(() => setRetryDefaults(options as unknown as RetryOptions), TypeError, `setRetryDefaults: options must be an object, got ${shown}`);
  });
});

// The registry of decorated methods is process-wide (shared by the ESM and CJS builds), so each
// test here starts from an empty registry and default settings.
describe('setRetryDefaults with decorated methods', () => {
  async function freshDefaults() {
    shared.decoratedMethods.clear();
    shared.applicationDefaults = {};
    return import('../../src/policy/defaults.js');
  }
  afterEach(() => {
    shared.decoratedMethods.clear();
  });

  it('registers a method with its policy resolved under the current defaults and its label', async () => {
    const fresh = await freshDefaults();
    fresh.setRetryDefaults({ maxRetries: 4 });
    const record = fresh.registerDecoratedMethod({ initialDelay: 200 }, WHERE, () => undefined);
    expect(record.policy).toMatchObject({ maxRetries: 4, initialDelay: 200, maxDelay: 30_000 });
    expect(Object.isFrozen(record.policy)).toBe(true);
    expect(record.label).toBe(WHERE);
    expectFailure(() => fresh.registerDecoratedMethod(loose({ maxRetries: -1 }), WHERE, () => undefined), RangeError, `${WHERE}: maxRetries must be a non-negative integer, got -1`);
  });

  it('moves registered methods onto the new defaults, keeping their own options on top', async () => {
    const fresh = await freshDefaults();
    const seen: RetryPolicy[] = [];
    const record = fresh.registerDecoratedMethod({ maxRetries: 1 }, WHERE, (policy) => seen.push(policy));
    const original = record.policy;
    fresh.setRetryDefaults({ maxRetries: 9, initialDelay: 50, jitter: 'none' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(record.policy);
    expect(record.policy).not.toBe(original);
    expect(record.policy).toMatchObject({ maxRetries: 1, initialDelay: 50, jitter: 'none' });
    expect(Object.isFrozen(record.policy)).toBe(true);
    expect(original).toMatchObject({ maxRetries: 1, initialDelay: 1000, jitter: 'equal' }); // replaced, never mutated
    fresh.resetRetryDefaults();
    expect(seen).toHaveLength(2);
    expect(record.policy).toMatchObject({ maxRetries: 1, initialDelay: 1000, jitter: 'equal' });
  });

  it('throws naming the clashing method, and changes nothing anywhere', async () => {
    const fresh = await freshDefaults();
    fresh.setRetryDefaults({ maxRetries: 2 });
    const okSeen: RetryPolicy[] = [];
    const clashSeen: RetryPolicy[] = [];
    const ok = fresh.registerDecoratedMethod({}, '@Retryable on OtherService.call', (p) => okSeen.push(p));
    const clash = fresh.registerDecoratedMethod({ initialDelay: 5000 }, WHERE, (p) => clashSeen.push(p));
    const okBefore = ok.policy;
    const clashBefore = clash.policy;
    const callBefore = fresh.policyForCall(undefined);

    expectFailure(
      () => fresh.setRetryDefaults({ maxDelay: 2000, maxRetries: 7 }),
      RangeError,
      `${WHERE}: maxDelay must not be less than initialDelay (5000), got 2000`,
    );

    expect(ok.policy).toBe(okBefore);
    expect(clash.policy).toBe(clashBefore);
    expect(okSeen).toEqual([]);
    expect(clashSeen).toEqual([]);
    expect(fresh.policyForCall(undefined)).toBe(callBefore);
    expect(fresh.policyForCall({}).maxRetries).toBe(2);
    expect(fresh.policyForCall({}).maxDelay).toBe(30_000);
  });

  it('names the Infinity-without-timeout clash on the method whose own timeout is missing', async () => {
    const fresh = await freshDefaults();
    fresh.registerDecoratedMethod({ maxRetries: Infinity, timeout: 1000 }, '@Retryable on A.withTimeout', () => undefined);
    fresh.registerDecoratedMethod({ maxRetries: Infinity, timeout: 1000 }, '@Retryable on B.alsoWithTimeout', () => undefined);
    fresh.setRetryDefaults({ timeout: 5000 });
    // A method whose Infinity relies on the default timeout blocks removing that timeout.
    fresh.registerDecoratedMethod({ maxRetries: Infinity }, '@Retryable on C.relies', () => undefined);
    expectFailure(() => fresh.setRetryDefaults({}), RangeError, '@Retryable on C.relies: maxRetries may be Infinity only together with a timeout, got Infinity');
    expect(fresh.policyForCall(undefined).timeout).toBe(5000);
  });
});

// Cases the mutation run showed were not pinned down.
describe('resolvePolicy: edges', () => {
  it('names an array by its kind, as for any object', () => {
    expectFailure(() => resolve({ jitter: ['full'] }), TypeError, `${WHERE}: jitter must be one of "none", "full", "equal", "decorrelated", got [object Array]`);
  });

  it('rejects a null rateLimit, in the options or the application defaults', () => {
    expectFailure(() => resolve({ rateLimit: null }), TypeError, `${WHERE}: rateLimit must be an object, got null`);
    expectFailure(() => resolve({}, { rateLimit: null }), TypeError, `${WHERE}: rateLimit must be an object, got null`);
  });

  it('a main option chosen in the application defaults carries over to the 429 schedule', () => {
    expect(resolve({}, { jitter: 'none', initialDelay: 50 }).rateLimit).toEqual({ initialDelay: 50, multiplier: 2, jitter: 'none', maxDelay: 30_000 });
  });

  const zero = (): number => 0;
  const nothing = (): void => {};
  it.each([
    ['without now', { setTimeout: zero, clearTimeout: nothing }],
    ['without setTimeout', { now: zero, clearTimeout: nothing }],
    ['a function with the three methods', Object.assign(() => {}, { now: zero, setTimeout: zero, clearTimeout: nothing })],
  ] as [string, unknown][])('rejects a clock %s', (_, clock) => {
    expect(() => resolve({ clock })).toThrow(TypeError);
  });
});

describe('resolvePolicy: targets', () => {
  const targets = [PRIMARY, SECONDARY];

  it('routes through one Targets coordinator per targets array, with shouldFailOver by default', () => {
    const policy = resolve({ targets });
    expect(policy.upstream).toBeInstanceOf(Targets);
    expect(policy.upstream!.targets).toEqual([PRIMARY, SECONDARY]);
    expect(policy.targets).toBe(targets);
    expect(policy.failoverIf).toBe(shouldFailOver);
    expect(resolve({ targets, maxRetries: 1 }).upstream).toBe(policy.upstream);
    expect(resolve({ targets: [PRIMARY, SECONDARY] }).upstream).not.toBe(policy.upstream);
  });

  it('keeps failoverIf unset without targets, and a method\'s own failoverIf with them', () => {
    const failoverIf = () => true;
    expect(resolve({ failoverIf }).failoverIf).toBeUndefined();
    expect(resolve({ targets, failoverIf }).failoverIf).toBe(failoverIf);
  });

  it('lets the method\'s own choice of targets or upstream win over the application\'s', () => {
    const shared = new Upstream({ name: 'app-wide' });
    expect(resolve({ targets }, { upstream: shared }).upstream).toBeInstanceOf(Targets);
    expect(resolve({ upstream: shared }, { targets }).upstream).toBe(shared);
    expect(resolve({}, { targets }).upstream).toBeInstanceOf(Targets);
  });

  it('names the option when an application default combines targets with upstream', () => {
    expectFailure(() => resolve({}, { targets: [PRIMARY], upstream: SECONDARY }), TypeError,
      `${WHERE}: targets [primary] cannot be combined with upstream, since each target is an Upstream of its own; set one of them, not both, got "secondary"`);
  });
});
