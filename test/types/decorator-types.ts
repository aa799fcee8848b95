// Compile-time contract of the public API. Checked by `npm run typecheck` twice, once with legacy
// `experimentalDecorators` (tsconfig.legacy.json) and once with TC39 decorators (tsconfig.tc39.json).
// Every `@ts-expect-error` must be needed: if the types stop rejecting that line, tsc fails.
import { expectTypeOf } from 'vitest';
import {
  currentAttempt,
  retry,
  Retryable,
  type AttemptContext,
  type Jitter,
  type PromiseOrAsyncIterable,
  type RetryableDecorator,
  type RetryOptions,
} from '../../src/index.js';

interface Completion {
  readonly text: string;
}

class ChatService {
  prefix = '>';

  @Retryable()
  async complete(prompt: string, temperature?: number): Promise<Completion> {
    return { text: `${this.prefix}${prompt}${temperature ?? ''}` };
  }

  @Retryable(3, 100)
  async count(...ids: readonly number[]): Promise<number> {
    return ids.length;
  }

  @Retryable({ maxRetries: 2, jitter: 'equal', signal: (_prompt: string, options?: { signal?: AbortSignal }) => options?.signal })
  async *stream(prompt: string, _options?: { signal?: AbortSignal }): AsyncGenerator<string, void, undefined> {
    yield prompt;
  }

  @Retryable({ maxRetries: 1 })
  async find<T>(id: string, parse: (raw: string) => T): Promise<T | undefined> {
    return parse(id);
  }

  // A method returning a PromiseLike (not a native Promise) is accepted too.
  @Retryable()
  thenable(): PromiseLike<number> {
    return Promise.resolve(1);
  }

  @Retryable()
  static async create(): Promise<ChatService> {
    return new ChatService();
  }

  // @ts-expect-error a sync method cannot be retried
  @Retryable()
  syncCount(): number {
    return 1;
  }

  // @ts-expect-error a method returning a plain (sync) iterable is rejected
  @Retryable()
  *syncStream(): Generator<number> {
    yield 1;
  }

  // @ts-expect-error a field is rejected, even one that holds an async function
  @Retryable()
  handler = async (): Promise<number> => 1;

  // @ts-expect-error a field is rejected
  @Retryable()
  retries = 3;

  // @ts-expect-error a getter is rejected, even one returning a Promise
  @Retryable()
  get ready(): Promise<boolean> {
    return Promise.resolve(true);
  }

  // @ts-expect-error the factory must be called: `@Retryable()`, not `@Retryable`
  @Retryable
  async bare(): Promise<void> {}
}

// The decorator leaves each signature exactly as written.
expectTypeOf<ChatService['complete']>().toEqualTypeOf<(prompt: string, temperature?: number) => Promise<Completion>>();
expectTypeOf<ChatService['complete']>().parameters.toEqualTypeOf<[prompt: string, temperature?: number]>();
expectTypeOf<ChatService['complete']>().returns.toEqualTypeOf<Promise<Completion>>();
expectTypeOf<ChatService['count']>().toEqualTypeOf<(...ids: readonly number[]) => Promise<number>>();
expectTypeOf<ChatService['stream']>().returns.toEqualTypeOf<AsyncGenerator<string, void, undefined>>();
expectTypeOf(new ChatService().find('1', Number)).toEqualTypeOf<Promise<number | undefined>>();
expectTypeOf(ChatService.create).toEqualTypeOf<() => Promise<ChatService>>();

// The name the compiler shows when a method returns something else.
expectTypeOf<Promise<string>>().toExtend<PromiseOrAsyncIterable>();
expectTypeOf<AsyncGenerator<string>>().toExtend<PromiseOrAsyncIterable>();
expectTypeOf<number>().not.toExtend<PromiseOrAsyncIterable>();
expectTypeOf<Iterable<string>>().not.toExtend<PromiseOrAsyncIterable>();

// Call forms.
expectTypeOf(Retryable()).toEqualTypeOf<RetryableDecorator>();
expectTypeOf(Retryable(3)).toEqualTypeOf<RetryableDecorator>();
expectTypeOf(Retryable({})).toEqualTypeOf<RetryableDecorator>();
// @ts-expect-error maxRetries is a number, not a string
Retryable('3');
// @ts-expect-error initialDelay goes with maxRetries, not with an options object
Retryable({ maxRetries: 3 }, 100);

// Options: unknown keys and bad values are rejected.
// @ts-expect-error misspelt option
Retryable({ maxRetrys: 3 });
// @ts-expect-error unknown jitter strategy
Retryable({ jitter: 'fulll' });
// @ts-expect-error jitter is a strategy name, not a number
Retryable({ jitter: 0.25 });
// @ts-expect-error delays are numbers of milliseconds
Retryable({ initialDelay: '1s' });
// @ts-expect-error misspelt option in retry()
void retry(async () => 1, { maxRetry: 1 });
expectTypeOf<Jitter>().toEqualTypeOf<'none' | 'full' | 'equal' | 'decorrelated'>();
const everyJitter: readonly RetryOptions[] = [{ jitter: 'none' }, { jitter: 'full' }, { jitter: 'equal' }, { jitter: 'decorrelated' }];
void everyJitter;

// retry() infers T from the function and hands it the attempt context.
expectTypeOf(retry(async () => 42)).toEqualTypeOf<Promise<number>>();
expectTypeOf(retry(() => Promise.resolve({ id: 'a' as const }), { maxRetries: 1 })).toEqualTypeOf<Promise<{ id: 'a' }>>();
void retry(async (attempt) => {
  expectTypeOf(attempt).toEqualTypeOf<AttemptContext>();
  expectTypeOf(attempt.signal).toEqualTypeOf<AbortSignal>();
  return attempt.attempt;
});
// @ts-expect-error retry() needs a function that returns a promise
void retry(() => 42);

// currentAttempt() is undefined outside an attempt.
expectTypeOf(currentAttempt()).toEqualTypeOf<AttemptContext | undefined>();
expectTypeOf(currentAttempt).returns.toEqualTypeOf<AttemptContext | undefined>();
expectTypeOf<AttemptContext['attempt']>().toEqualTypeOf<number>();
