import { describe, expect, test, vi } from 'vitest';
import { currentAttempt, RejectedResultError, Retryable, type RetryEvent } from '../../src/index.js';
import { where } from '../support/decorator-mode.js';
import { httpError } from '../support/scripted.js';
import { models, twoTargets } from '../support/two-models.js';
import { useVirtualTimePerTest } from '../support/virtual-time.js';

// Failover, fallback and retryOnResult through decorated methods, in both decorator modes.

const exact = { jitter: 'none', initialDelay: 100, multiplier: 2, maxRetries: 2 } as const;

useVirtualTimePerTest();

async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  const settled = promise.then((value) => ({ value }), (error: unknown) => ({ error }));
  await vi.runAllTimersAsync();
  return settled;
}

describe('targets on a method', () => {
  test('the method reads its attempt\'s target, and a 503 moves the call to the next one at once', async () => {
    const { targets } = twoTargets();
    const fake = models((model) => (model === 'primary' ? httpError(503) : undefined));
    class Chat {
      @Retryable({ ...exact, targets }) complete(prompt: string): Promise<string> {
        return fake.call(currentAttempt()).then((answer) => `${answer} (${prompt})`);
      }
    }
    expect(await settle(new Chat().complete('hi'))).toEqual({ value: 'secondary: ok (hi)' });
    expect(fake.requests.map((r) => [r.model, r.at])).toEqual([['primary', 0], ['secondary', 10]]);
  });

  test('a stream fails over before its first piece, never after it', async () => {
    const { targets } = twoTargets();
    const broken = new Error('connection reset after the first piece');
    const fake = models((model) => (model === 'primary' ? httpError(502) : undefined));
    class Chat {
      @Retryable({ ...exact, targets, failoverIf: () => true }) async *stream(): AsyncGenerator<string> {
        const answer = await fake.call(currentAttempt());
        yield answer;
        throw broken;
      }
    }
    const pieces: string[] = [];
    const drained = (async () => {
      for await (const piece of new Chat().stream()) pieces.push(piece);
    })();
    expect(await settle(drained)).toEqual({ error: broken });
    expect(pieces).toEqual(['secondary: ok']);
    expect(fake.requests.map((r) => r.model)).toEqual(['primary', 'secondary']);
  });

  test('targets with upstream, or retryOnResult on a stream, fail at definition time naming the method', () => {
    const { primary, secondary, targets } = twoTargets();
    expect(() => {
      class Chat {
        @Retryable({ targets: [primary], upstream: secondary }) complete(): Promise<string> { return Promise.resolve(''); }
      }
      return Chat;
    }).toThrow(new TypeError(`${where('Chat', 'complete')}: targets [primary] cannot be combined with upstream, since each target is an Upstream of its own; set one of them, not both, got "secondary"`));
    expect(() => {
      class Chat {
        @Retryable({ targets, retryOnResult: function truncated() { return false; } }) async *stream(): AsyncGenerator<string> { yield ''; }
      }
      return Chat;
    }).toThrow(new TypeError(`${where('Chat', 'stream')}: retryOnResult does not apply to an async generator method, got function truncated`));
  });
});

describe('fallback', () => {
  test('is called once, after the retries, with the last error, the arguments and this; its value is the answer', async () => {
    const errors = [httpError(503), httpError(503), httpError(503)];
    const seen: unknown[] = [];
    class Chat {
      calls = 0;
      @Retryable({ ...exact, fallback(this: Chat, error: unknown, prompt: string) { seen.push([this, error, prompt]); return Promise.resolve('cached answer'); } })
      complete(_prompt: string): Promise<string> { return Promise.reject(errors[this.calls++]); }
    }
    const chat = new Chat();
    expect(await settle(chat.complete('hi'))).toEqual({ value: 'cached answer' });
    expect(chat.calls).toBe(3);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual([chat, errors[2], 'hi']);
    expect((seen[0] as unknown[])[0]).toBe(chat);
    expect((seen[0] as unknown[])[1]).toBe(errors[2]);
  });

  test('an error the fallback throws reaches the caller unchanged, with no cause added', async () => {
    const original = httpError(400);
    const own = new Error('no cached answer either');
    class Chat {
      @Retryable({ ...exact, fallback: () => { throw own; } }) complete(): Promise<string> { return Promise.reject(original); }
    }
    const { error } = await settle(new Chat().complete());
    expect(error).toBe(own);
    expect((error as Error).cause).toBeUndefined();
  });

  test('is not called after the caller\'s own abort: the caller gets its reason', async () => {
    const fallback = vi.fn(() => 'fallback');
    const controller = new AbortController();
    class Chat {
      @Retryable({ ...exact, fallback }) complete(_signal: AbortSignal): Promise<string> { return Promise.reject(httpError(503)); }
    }
    const call = new Chat().complete(controller.signal).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(50);
    controller.abort(new Error('user left'));
    await vi.runAllTimersAsync();
    expect(await call).toBe(controller.signal.reason);
    expect(fallback).not.toHaveBeenCalled();
  });
});

describe('retryOnResult', () => {
  test('retries a failure in disguise with the normal backoff and returns the first good value', async () => {
    const answers = [{ finish_reason: 'length' }, { finish_reason: 'stop' }];
    const retries: RetryEvent[] = [];
    class Chat {
      calls = 0;
      @Retryable({ ...exact, retryOnResult: (value: { finish_reason: string }) => value.finish_reason === 'length', onRetry: (event) => retries.push(event) })
      complete(): Promise<{ finish_reason: string }> { return Promise.resolve(answers[this.calls++]!); }
    }
    expect(await settle(new Chat().complete())).toEqual({ value: answers[1] });
    expect(retries.map((event) => [event.attempt, event.delay, (event.error as RejectedResultError).value])).toEqual([[1, 100, answers[0]]]);
    expect(RejectedResultError.is(retries[0]!.error)).toBe(true);
  });

  test('when the attempts run out the caller gets the last value, and the fallback is not called', async () => {
    const fallback = vi.fn(() => 'fallback');
    const values = [{ n: 1 }, { n: 2 }, { n: 3 }];
    class Chat {
      calls = 0;
      @Retryable({ ...exact, fallback, retryOnResult: () => true }) complete(): Promise<{ n: number }> { return Promise.resolve(values[this.calls++]!); }
    }
    const { value } = await settle(new Chat().complete());
    expect(value).toBe(values[2]);
    expect(fallback).not.toHaveBeenCalled();
  });

  test('a retryOnResult that throws accepts the value and is reported as a warning', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const value = { content: '' };
    class Chat {
      @Retryable({ ...exact, retryOnResult: () => { throw new Error('bug'); } }) complete(): Promise<{ content: string }> { return Promise.resolve(value); }
    }
    expect((await settle(new Chat().complete())).value).toBe(value);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });
});
