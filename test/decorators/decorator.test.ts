import { getEventListeners } from 'node:events';
import 'reflect-metadata';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { currentAttempt, getRetryPolicy, resetRetryDefaults, Retryable, RETRY_POLICY_METADATA, setRetryDefaults, type AttemptContext, type RetryEvent } from '../../src/index.js';
import { ManualClock } from '../support/manual-clock.js';
import { gaps, httpError, observe } from '../support/scripted.js';
import { decoratorMode, isStandardDecorators, where } from '../support/decorator-mode.js';
import { useVirtualTimePerTest } from '../support/virtual-time.js';

// This file runs twice: compiled with legacy decorators and as TC39 decorators (see vitest.config.ts).

/** A decorator that stores metadata on the function it gets, in either mode, as NestJS's do. */
function Tag(key: string, value: unknown) {
  return (...args: unknown[]): void => {
    const fn = args.length === 2 ? args[0] : (args[2] as PropertyDescriptor).value;
    Reflect.defineMetadata(key, value, fn as object);
  };
}

const exact = { jitter: 'none', initialDelay: 100, multiplier: 2 } as const;

useVirtualTimePerTest();
afterEach(() => {
  resetRetryDefaults();
});

test('this file is compiled in the decorator mode of its vitest project', ({ task }) => {
  expect(decoratorMode).toBe(task.file.projectName);
});

describe('call forms', () => {
  class Forms {
    @Retryable() async plain(): Promise<void> {}
    @Retryable(5) async countOnly(): Promise<void> {}
    @Retryable(5, 250) async positional(): Promise<void> {}
    @Retryable({ maxRetries: 2, initialDelay: 10, multiplier: 3, maxDelay: 500, jitter: 'equal', timeout: 9000, attemptTimeout: 1000 })
    async withOptions(): Promise<void> {}
    @Retryable({ maxRetries: 1 }) static async onTheClass(): Promise<void> {}
  }

  test('@Retryable() takes the documented defaults', () => {
    expect(getRetryPolicy(Forms, 'plain')).toMatchObject({ maxRetries: 3, initialDelay: 1000, multiplier: 2, maxDelay: 30_000, jitter: 'equal', timeout: undefined, attemptTimeout: undefined });
  });

  test('positional maxRetries and initialDelay', () => {
    expect(getRetryPolicy(Forms, 'countOnly')).toMatchObject({ maxRetries: 5, initialDelay: 1000 });
    expect(getRetryPolicy(Forms, 'positional')).toMatchObject({ maxRetries: 5, initialDelay: 250 });
  });

  test('an options object, read from the class, the prototype or an instance; frozen', () => {
    const policy = getRetryPolicy(Forms, 'withOptions');
    expect(policy).toMatchObject({ maxRetries: 2, initialDelay: 10, multiplier: 3, maxDelay: 500, jitter: 'equal', timeout: 9000, attemptTimeout: 1000 });
    expect(getRetryPolicy(Forms.prototype, 'withOptions')).toBe(policy);
    expect(getRetryPolicy(new Forms(), 'withOptions')).toBe(policy);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(getRetryPolicy(Forms, 'onTheClass')).toMatchObject({ maxRetries: 1 });
    expect(getRetryPolicy(Forms, 'missing')).toBeUndefined();
  });
});

describe('retrying a method', () => {
  test('exact attempts and waits, the same error object, `this`, arguments and the result', async () => {
    const failure = httpError(503);
    const result = { id: 'r1' };
    const calls: { self: unknown; args: unknown[]; at: number }[] = [];
    class Service {
      @Retryable({ ...exact, maxRetries: 3 })
      async call(a: number, b: { x: number }): Promise<object> {
        calls.push({ self: this, args: [a, b], at: Date.now() });
        await Promise.resolve();
        if (calls.length < 3) throw failure;
        return result;
      }
    }
    const service = new Service();
    const argument = { x: 1 };
    const outcome = observe(service.call(7, argument));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'fulfilled', value: result });
    expect((await outcome as { value: unknown }).value).toBe(result);
    expect(gaps(calls.map((c) => c.at))).toEqual([100, 200]);
    for (const call of calls) {
      expect(call.self).toBe(service);
      expect(call.args[0]).toBe(7);
      expect(call.args[1]).toBe(argument);
    }
  });

  test('each argument count, 0 to 5, reaches the method as given, on the first attempt and on a retry', async () => {
    const seen: unknown[][] = [];
    class Service {
      @Retryable({ ...exact, maxRetries: 1 })
      async call(...args: unknown[]): Promise<number> {
        seen.push(args);
        await Promise.resolve();
        if (seen.length % 2 === 1) throw httpError(503);
        return args.length;
      }
    }
    const service = new Service();
    const options = { temperature: 0 };
    const lists = [[], ['a'], ['a', options], ['a', options, 3], ['a', options, 3, null], ['a', options, 3, null, undefined]];
    for (const args of lists) {
      const outcome = observe(service.call(...args));
      await vi.runAllTimersAsync();
      expect(await outcome).toEqual({ status: 'fulfilled', value: args.length });
    }
    expect(seen).toEqual(lists.flatMap((args) => [args, args]));
    seen.forEach((args, index) => args.forEach((arg, position) => expect(arg).toBe(lists[index >> 1]![position])));
  });

  test('when attempts run out the caller gets the last error itself, with onRetry told each step', async () => {
    const errors = [httpError(500), httpError(502), httpError(503)];
    const events: RetryEvent[] = [];
    let count = 0;
    class Service {
      @Retryable({ ...exact, maxRetries: 2, onRetry: (event) => events.push(event) })
      async call(): Promise<never> {
        await Promise.resolve();
        throw errors[count++];
      }
    }
    const outcome = observe(new Service().call());
    await vi.runAllTimersAsync();
    expect((await outcome as { reason: unknown }).reason).toBe(errors[2]);
    expect(count).toBe(3);
    expect(events.map(({ attempt, delay, method }) => ({ attempt, delay, method }))).toEqual([
      { attempt: 1, delay: 100, method: 'Service.call' },
      { attempt: 2, delay: 200, method: 'Service.call' },
    ]);
    expect(events[0]!.error).toBe(errors[0]);
  });

  test('the wrapper keeps the method name; metadata set below is copied, set above stays', () => {
    class Routes {
      @Tag('above', 'a')
      @Retryable()
      @Tag('route', '/chat')
      async handle(): Promise<void> {}
    }
    const method = Routes.prototype.handle;
    expect(method.name).toBe('handle');
    expect(Reflect.getMetadata('route', method)).toBe('/chat');
    expect(Reflect.getMetadata('above', method)).toBe('a');
    expect(Reflect.getMetadata(RETRY_POLICY_METADATA, method)).toBe(getRetryPolicy(Routes, 'handle'));
  });

  test('a method that returns a non-promise gets a clear TypeError', async () => {
    class Wrong {
      @Retryable(exact)
      run(): Promise<number> {
        return 42 as never;
      }
    }
    const outcome = await observe(new Wrong().run()) as { reason: Error };
    expect(outcome.reason).toBeInstanceOf(TypeError);
    expect(outcome.reason.message).toBe('@Retryable on Wrong.run: the method must return a Promise, but it returned number');
  });

  test('10,000 concurrent calls on one instance keep their own attempts', async () => {
    vi.useRealTimers();
    const clock = new ManualClock();
    class Service {
      readonly seen = new Map<number, number[]>();
      // Coordination off: this test is about isolation, not about pacing 6,667 refused calls.
      @Retryable({ ...exact, clock, upstream: false })
      async call(id: number): Promise<number> {
        const { attempt } = currentAttempt()!;
        (this.seen.get(id) ?? this.seen.set(id, []).get(id)!).push(attempt);
        await Promise.resolve();
        if (attempt <= id % 3) throw httpError(429);
        return id * 2;
      }
    }
    const service = new Service();
    const outcomes = Array.from({ length: 10_000 }, (_, id) => observe(service.call(id)));
    await clock.advance(300);
    const results = await Promise.all(outcomes);
    results.forEach((result, id) => {
      expect(result).toEqual({ status: 'fulfilled', value: id * 2 });
      expect(service.seen.get(id)).toEqual([1, 2, 3].slice(0, (id % 3) + 1));
    });
    expect(clock.pendingTimers).toBe(0);
    vi.useFakeTimers();
  });
});

describe('currentAttempt()', () => {
  test('is the running attempt in the synchronous part, and never another call\'s', async () => {
    const seenBefore: (AttemptContext | undefined)[] = [];
    const seenAfter: (AttemptContext | undefined)[] = [];
    class Service {
      @Retryable(exact)
      async call(fail: boolean): Promise<void> {
        seenBefore.push(currentAttempt());
        await Promise.resolve();
        seenAfter.push(currentAttempt());
        if (fail && seenBefore.length < 3) throw httpError(503);
      }
    }
    const service = new Service();
    const first = observe(service.call(true));
    const second = observe(service.call(false));
    await vi.runAllTimersAsync();
    expect((await first).status).toBe('fulfilled');
    expect((await second).status).toBe('fulfilled');
    expect(seenBefore.map((a) => a?.attempt)).toEqual([1, 1, 2]);
    expect(seenBefore[0]).not.toBe(seenBefore[1]);
    expect(seenAfter.every((a) => a === undefined)).toBe(true);
    expect(currentAttempt()).toBeUndefined();
  });

  test('nested decorated calls each see their own attempt, and the outer one is restored', async () => {
    const log: string[] = [];
    class Inner {
      @Retryable(exact) async run(): Promise<void> { log.push(`inner ${currentAttempt()?.maxRetries}`); }
    }
    class Outer {
      inner = new Inner();
      @Retryable({ ...exact, maxRetries: 7 }) async run(): Promise<void> {
        const pending = this.inner.run();
        log.push(`outer ${currentAttempt()?.maxRetries}`);
        await pending;
      }
    }
    await new Outer().run();
    expect(log).toEqual(['inner 3', 'outer 7']);
  });

  test('an inner call with a caller signal gets its context at once; the outer one, not built yet, is still its own', async () => {
    const seen: { attempt: number; maxRetries: number; aborted: boolean }[] = [];
    const innerCaller = new AbortController();
    class Inner {
      @Retryable(exact) async run(signal: AbortSignal): Promise<void> {
        innerCaller.abort(new Error('inner caller left'));
        const { attempt, maxRetries, signal: own } = currentAttempt()!;
        seen.push({ attempt, maxRetries, aborted: own.aborted && signal.aborted });
      }
    }
    class Outer {
      inner = new Inner();
      @Retryable({ ...exact, maxRetries: 7 }) async run(): Promise<void> {
        const pending = this.inner.run(innerCaller.signal);
        const { attempt, maxRetries, signal } = currentAttempt()!;
        seen.push({ attempt, maxRetries, aborted: signal.aborted });
        await pending;
      }
    }
    await new Outer().run();
    expect(seen).toEqual([{ attempt: 1, maxRetries: 3, aborted: true }, { attempt: 1, maxRetries: 7, aborted: false }]);
    expect(currentAttempt()).toBeUndefined();
  });
});

describe('cancellation from the arguments', () => {
  test('an AbortSignal argument, or a `signal` field, is the caller signal: the attempt signal follows it', async () => {
    const seen: { own: boolean; reason: unknown }[] = [];
    const a = new AbortController();
    const b = new AbortController();
    // The attempt has a signal of its own (the SDK adds a listener to it per request) that aborts with the caller's.
    const follow = (callerController: AbortController) => {
      const { signal } = currentAttempt()!;
      callerController.abort(new Error('left'));
      seen.push({ own: signal !== callerController.signal, reason: signal.reason });
    };
    const c = new AbortController();
    class Service {
      @Retryable(exact) async direct(_prompt: string, _signal: AbortSignal): Promise<void> { follow(a); }
      @Retryable(exact) async field(_prompt: string, _options: { signal?: AbortSignal }): Promise<void> { follow(b); }
      // Past primitives, null and an object without a signal, the fourth argument's field is found.
      @Retryable(exact) async later(_n: number, _nothing: null, _plain: object, _options: { signal?: AbortSignal }): Promise<void> { follow(c); }
    }
    await new Service().direct('hi', a.signal);
    await new Service().field('hi', { signal: b.signal });
    await new Service().later(1, null, {}, { signal: c.signal });
    expect(seen).toEqual([{ own: true, reason: a.signal.reason }, { own: true, reason: b.signal.reason }, { own: true, reason: c.signal.reason }]);
    expect(seen[0]!.reason).toBe(a.signal.reason);
    expect(seen[1]!.reason).toBe(b.signal.reason);
    expect(seen[2]!.reason).toBe(c.signal.reason);
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(0);
  });

  test('the signal option picks the signal from the arguments', async () => {
    const controller = new AbortController();
    let calls = 0;
    class Service {
      @Retryable({ ...exact, signal: (request: { abort: AbortSignal }) => request.abort })
      async call(_request: { abort: AbortSignal }): Promise<void> {
        calls++;
        await Promise.resolve();
        throw httpError(503);
      }
    }
    const outcome = observe(new Service().call({ abort: controller.signal }));
    await vi.advanceTimersByTimeAsync(50);
    const reason = new Error('caller gone');
    controller.abort(reason);
    await vi.advanceTimersByTimeAsync(0);
    expect(outcome.settled()).toBe(true);
    expect((await outcome as { reason: unknown }).reason).toBe(reason);
    expect(calls).toBe(1);
  });

  test('an already aborted signal rejects with its reason before any attempt', async () => {
    let calls = 0;
    class Service {
      @Retryable(exact) async call(_options: { signal: AbortSignal }): Promise<void> { calls++; }
    }
    const reason = new Error('too late');
    const outcome = await observe(new Service().call({ signal: AbortSignal.abort(reason) }));
    expect(outcome).toEqual({ status: 'rejected', reason });
    expect(calls).toBe(0);
  });
});

describe('async generator methods (streams)', () => {
  test('a failure before the first value is retried; the values arrive once', async () => {
    let calls = 0;
    class Chat {
      @Retryable(exact)
      async *stream(words: string[]): AsyncGenerator<string, string> {
        calls++;
        const attempt = currentAttempt()!.attempt;
        await Promise.resolve();
        if (attempt < 3) throw httpError(503);
        for (const word of words) yield word;
        return 'done';
      }
    }
    const received: string[] = [];
    const consume = (async () => {
      const iterator = new Chat().stream(['a', 'b', 'c']);
      for (;;) {
        const next = await iterator.next();
        if (next.done) return next.value;
        received.push(next.value);
      }
    })();
    await vi.runAllTimersAsync();
    expect(await consume).toBe('done');
    expect(received).toEqual(['a', 'b', 'c']);
    expect(calls).toBe(3);
  });

  test('a failure after the first value is passed on as is, without a retry', async () => {
    const failure = new TypeError('terminated');
    let calls = 0;
    class Chat {
      @Retryable(exact)
      async *stream(): AsyncGenerator<string> {
        calls++;
        yield 'first';
        throw failure;
      }
    }
    const received: string[] = [];
    const consume = observe((async () => { for await (const chunk of new Chat().stream()) received.push(chunk); })());
    await vi.runAllTimersAsync();
    expect((await consume as { reason: unknown }).reason).toBe(failure);
    expect(received).toEqual(['first']);
    expect(calls).toBe(1);
  });

  test('stopping early closes the inner generator', async () => {
    let closed = false;
    class Chat {
      @Retryable(exact)
      async *stream(): AsyncGenerator<number> {
        try {
          yield 1;
          yield 2;
        } finally {
          closed = true;
        }
      }
    }
    for await (const value of new Chat().stream()) {
      expect(value).toBe(1);
      break;
    }
    expect(closed).toBe(true);
  });
});

describe('application defaults', () => {
  test('setRetryDefaults applies to classes defined before it, and method options win', async () => {
    class Early {
      @Retryable() async inherits(): Promise<void> {}
      @Retryable({ maxRetries: 9 }) async overrides(): Promise<void> {}
    }
    const onRetry = () => {};
    setRetryDefaults({ maxRetries: 1, onRetry });
    expect(getRetryPolicy(Early, 'inherits')).toMatchObject({ maxRetries: 1, onRetry });
    expect(getRetryPolicy(Early, 'overrides')).toMatchObject({ maxRetries: 9, onRetry });
    expect(Reflect.getMetadata(RETRY_POLICY_METADATA, Early.prototype.inherits)).toBe(getRetryPolicy(Early, 'inherits'));
    resetRetryDefaults();
    expect(getRetryPolicy(Early, 'inherits')).toMatchObject({ maxRetries: 3, onRetry: undefined });
  });

  test('the defaults drive the retries of earlier classes', async () => {
    let calls = 0;
    class Early {
      @Retryable() async call(): Promise<void> { calls++; throw httpError(503); }
    }
    setRetryDefaults({ maxRetries: 1, jitter: 'none', initialDelay: 5 });
    const outcome = observe(new Early().call());
    await vi.runAllTimersAsync();
    expect((await outcome).status).toBe('rejected');
    expect(calls).toBe(2);
  });

  test('defaults that clash with a method name it and change nothing', () => {
    class Clash {
      @Retryable({ initialDelay: 5000 }) async call(): Promise<void> {}
    }
    expect(() => setRetryDefaults({ maxDelay: 2000 })).toThrow(new RangeError(`${where('Clash', 'call')}: maxDelay must not be less than initialDelay (5000), got 2000`));
    expect(getRetryPolicy(Clash, 'call')).toMatchObject({ maxDelay: 30_000 });
  });
});

describe('bad input fails when the class is defined', () => {
  const define = (options: unknown) => () => {
    class ChatService {
      @Retryable(options as never) async complete(): Promise<void> {}
    }
    return ChatService;
  };
  const cases: [string, unknown, typeof Error, string][] = [
    ['negative count', { maxRetries: -1 }, RangeError, 'maxRetries must be a non-negative integer, got -1'],
    ['fractional count', { maxRetries: 1.5 }, RangeError, 'maxRetries must be a non-negative integer, got 1.5'],
    ['NaN count', { maxRetries: NaN }, RangeError, 'maxRetries must be a non-negative integer, got NaN'],
    ['Infinity without timeout', { maxRetries: Infinity }, RangeError, 'maxRetries may be Infinity only together with a timeout, got Infinity'],
    ['negative delay', { initialDelay: -5 }, RangeError, 'initialDelay must be a non-negative finite number of milliseconds, got -5'],
    ['maxDelay below initialDelay', { initialDelay: 2000, maxDelay: 1000 }, RangeError, 'maxDelay must not be less than initialDelay (2000), got 1000'],
    ['unknown jitter', { jitter: 'random' }, RangeError, 'jitter must be one of "none", "full", "equal", "decorrelated", got "random"'],
    ['retryIf not a function', { retryIf: true }, TypeError, 'retryIf must be a function, got true'],
    ['count of the wrong type', { maxRetries: '3' }, TypeError, 'maxRetries must be a non-negative integer, got "3"'],
  ];
  test.each(cases)('%s', (_name, options, ErrorClass, message) => {
    expect(define(options)).toThrow(new ErrorClass(`${where('ChatService', 'complete')}: ${message}`));
    let caught: unknown;
    try { define(options)(); } catch (error) { caught = error; }
    expect((caught as Error).constructor).toBe(ErrorClass);
  });

  test('an unknown option key (a typo) is named', () => {
    expect(define({ maxRetry: 3 })).toThrow(new TypeError(`${where('ChatService', 'complete')}: unknown option "maxRetry"; the options are maxRetries, initialDelay, multiplier, maxDelay, jitter, rateLimit, timeout, attemptTimeout, retryIf, onRetry, onGiveUp, signal, upstream, targets, failoverIf, fallback, retryOnResult, budget, random, clock, telemetry`));
  });

  test('positional arguments are validated too', () => {
    expect(() => {
      class ChatService { @Retryable(2, -1) async complete(): Promise<void> {} }
      return ChatService;
    }).toThrow(new RangeError(`${where('ChatService', 'complete')}: initialDelay must be a non-negative finite number of milliseconds, got -1`));
  });

  test('a field cannot be decorated', () => {
    const decorate = Retryable() as (...args: unknown[]) => unknown;
    const attempt = isStandardDecorators()
      ? () => decorate(undefined, { kind: 'field', name: 'handler' })
      : () => decorate({ constructor: { name: 'Service' } }, 'handler', undefined);
    expect(attempt).toThrow(new TypeError(isStandardDecorators()
      ? '@Retryable on handler: can decorate only methods, not a field'
      : '@Retryable on Service.handler: can decorate only methods, not a property or accessor'));
  });
});
