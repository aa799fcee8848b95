/** The example application (examples/nestjs) booted for real: DI, routes, the filter and the logger. */
import 'reflect-metadata';
import OpenAI, { RateLimitError } from 'openai';
import { getRetryPolicy, Upstream } from 'retryable';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppModule } from '../../examples/nestjs/app.module.js';
import { ChatController } from '../../examples/nestjs/chat.controller.js';
import { ChatService } from '../../examples/nestjs/chat.service.js';
import { OpenAIExceptionFilter } from '../../examples/nestjs/openai-exception.filter.js';
import { send, useNestApp } from './nest-harness.js';

// Nest binds a filter's `catch` when it maps the routes, so the spy must exist before the first boot.
const filterCatch = vi.spyOn(OpenAIExceptionFilter.prototype, 'catch');
afterAll(() => {
  filterCatch.mockRestore();
});
beforeEach(() => {
  filterCatch.mockClear();
});
const booted = useNestApp((upstreamUrl) => AppModule.forRoot({
  openai: { baseURL: upstreamUrl, apiKey: 'test' },
  // Each test its own upstream state: one test's cool-down must not hold the next one's calls.
  retry: { initialDelay: 10, upstream: new Upstream() },
}));

const statuses = () => booted.upstream.requests.map((request) => request.status);
const retryLog = () => booted.nest.logger.messages('Retryable');

describe('dependency injection', () => {
  it('resolves ChatService by its constructor type and hands the controller that same instance', () => {
    expect(Reflect.getMetadata('design:paramtypes', ChatService)).toEqual([OpenAI]);
    const service = booted.nest.app.get(ChatService);
    expect(service).toBeInstanceOf(ChatService);
    expect((service as unknown as { openai: unknown }).openai).toBe(booted.nest.app.get(OpenAI));
    expect((booted.nest.app.get(ChatController) as unknown as { chat: unknown }).chat).toBe(service);
  });

  it('gives the SDK no retries of its own, so only @Retryable retries', () => {
    expect(booted.nest.app.get(OpenAI).maxRetries).toBe(0);
  });
});

describe('POST /chat (ChatService.reply)', () => {
  it('retries a 429 and then a 503, then answers 200', async () => {
    booted.upstream.script({ kind: 'rate-limit', retryAfterMs: 20 }, { kind: 'service-unavailable' });
    const answer = await send(`${booted.nest.url}/chat`, { body: { message: 'hello nest' } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ reply: 'Echo: hello nest' });
    expect(statuses()).toEqual([429, 503, 200]);
  });

  it('waits at least what retry-after-ms asked for before the retry', async () => {
    booted.upstream.script({ kind: 'rate-limit', retryAfterMs: 40 });
    expect((await send(`${booted.nest.url}/chat`, { body: { message: 'x' } })).status).toBe(200);
    const [first, second] = booted.upstream.requests;
    expect(second!.time - first!.time).toBeGreaterThanOrEqual(40);
  });
});

describe('the retry logger, set once for the application', () => {
  it('receives one warn line per retry with the method, attempt, status and wait', async () => {
    booted.upstream.script({ kind: 'rate-limit', retryAfterMs: 20 }, { kind: 'service-unavailable' });
    await send(`${booted.nest.url}/chat`, { body: { message: 'hi' } });

    const lines = booted.nest.logger.lines.filter((line) => line.context === 'Retryable');
    expect(lines.map((line) => line.level)).toEqual(['warn', 'warn']);
    const [first, second] = lines.map((line) => String(line.message));
    const hinted = /^ChatService\.reply: attempt 1 failed with 429 rate_limit_exceeded; retrying in (\d+) ms \(server asked for 20 ms\)$/.exec(first!);
    const backoff = /^ChatService\.reply: attempt 2 failed with 503; retrying in (\d+) ms$/.exec(second!);
    expect(hinted, first).not.toBeNull();
    expect(backoff, second).not.toBeNull();
    // Never less than the hint, plus at most one backoff step (initialDelay 10) of spread.
    expect(Number(hinted![1])).toBeGreaterThanOrEqual(20);
    expect(Number(hinted![1])).toBeLessThanOrEqual(30);
    // Full jitter on the second step: within [0, initialDelay · 2].
    expect(Number(backoff![1])).toBeLessThanOrEqual(20);
    // The logged wait is the wait that really happened.
    const [, secondRequest, thirdRequest] = booted.upstream.requests;
    expect(secondRequest!.time - booted.upstream.requests[0]!.time).toBeGreaterThanOrEqual(Number(hinted![1]) - 1);
    expect(thirdRequest!.time - secondRequest!.time).toBeGreaterThanOrEqual(Number(backoff![1]) - 1);
  });

  it('also serves methods on controllers, and logs a give-up once', async () => {
    booted.upstream.script({ kind: 'server-error' }, { kind: 'server-error' }, { kind: 'server-error' });
    const answer = await send(`${booted.nest.url}/chat/quick`, { body: { message: 'q' } });
    expect(answer.status).toBe(502);
    expect(retryLog()).toEqual([
      expect.stringMatching(/^ChatController\.quick: attempt 1 failed with 500; retrying in \d+ ms$/),
      expect.stringMatching(/^ChatController\.quick: attempt 2 failed with 500; retrying in \d+ ms$/),
      'ChatController.quick: gave up after 3 attempts (retries-exhausted): 500',
    ]);
  });

  it('reaches classes defined before the defaults were set, and is taken back when the app closes', async () => {
    expect(getRetryPolicy(ChatService, 'reply')?.onRetry).toBeTypeOf('function');
    expect(getRetryPolicy(ChatService, 'reply')?.initialDelay).toBe(10);
    expect(getRetryPolicy(ChatService, 'reply')?.maxRetries).toBe(3);
    await booted.nest.app.close();
    expect(getRetryPolicy(ChatService, 'reply')?.onRetry).toBeUndefined();
    expect(getRetryPolicy(ChatService, 'reply')?.initialDelay).toBe(1000);
  });
});

describe('@Retryable directly on controller methods', () => {
  // 200 rather than POST's default 201 also shows that @HttpCode, applied before @Retryable, survived.
  it('above @Post: the route is found and a 500 is retried', async () => {
    booted.upstream.script({ kind: 'server-error' });
    const answer = await send(`${booted.nest.url}/chat/quick`, { body: { message: 'above' } });
    expect(answer).toMatchObject({ status: 200, body: { reply: 'Echo: above' } });
    expect(statuses()).toEqual([500, 200]);
  });

  it('below @Get: the route is found and a dropped connection is retried', async () => {
    booted.upstream.script({ kind: 'drop-connection' });
    const answer = await send(`${booted.nest.url}/chat/ping`);
    expect(answer).toMatchObject({ status: 200, body: { ok: true, model: 'gpt-4o-mini' } });
    expect(statuses()).toEqual([null, 200]);
    expect(retryLog()).toEqual([
      expect.stringMatching(/^ChatController\.ping: attempt 1 failed with APIConnectionError: Connection error\.; retrying in \d+ ms$/),
    ]);
  });

  it('keeps the method name, and publishes each route\'s own policy', () => {
    expect(ChatController.prototype.quick.name).toBe('quick');
    expect(getRetryPolicy(ChatController, 'quick')?.maxRetries).toBe(2);
    expect(getRetryPolicy(ChatController, 'ping')?.maxRetries).toBe(2);
  });
});

describe('OpenAIExceptionFilter', () => {
  it('insufficient_quota: exactly one upstream request, and the filter gets the SDK\'s own RateLimitError', async () => {
    const openai = booted.nest.app.get(OpenAI);
    const create = openai.chat.completions.create;
    const thrown: unknown[] = [];
    vi.spyOn(openai.chat.completions, 'create').mockImplementation(function (this: unknown, ...args: unknown[]) {
      const promise = (create as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      promise.then(undefined, (error: unknown) => { thrown.push(error); });
      return promise as never;
    });
    booted.upstream.script({ kind: 'insufficient-quota' });

    const answer = await send(`${booted.nest.url}/chat`, { body: { message: 'quota?' } });

    expect(booted.upstream.requestCount).toBe(1);
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBeNull();
    expect(answer.body).toEqual({
      statusCode: 503,
      message: 'The language model quota is used up.',
      upstream: { status: 429, code: 'insufficient_quota', requestId: 'req_1' },
    });
    expect(thrown).toHaveLength(1);
    expect(thrown[0]).toBeInstanceOf(RateLimitError);
    expect(filterCatch).toHaveBeenCalledOnce();
    expect(filterCatch.mock.calls[0]![0]).toBe(thrown[0]);
    expect(retryLog()).toEqual(['ChatService.reply: gave up after 1 attempt (not-retryable): 429 insufficient_quota']);
  });

  it('a 429 that outlasts the retries becomes a 503 with Retry-After', async () => {
    booted.upstream.script(...Array.from({ length: 4 }, () => ({ kind: 'rate-limit', retryAfterMs: 20 }) as const));
    const answer = await send(`${booted.nest.url}/chat`, { body: { message: 'busy' } });
    expect(booted.upstream.requestCount).toBe(4);
    expect(answer.status).toBe(503);
    // Retry-After has whole seconds only; 20 ms rounds up to 1.
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(answer.body).toEqual({
      statusCode: 503,
      message: 'The language model is busy. Try again later.',
      upstream: { status: 429, code: 'rate_limit_exceeded', requestId: 'req_4' },
    });
  });

  it('a 429 asking for longer than maxDelay is not retried, and its wait is passed on', async () => {
    booted.upstream.script({ kind: 'rate-limit-seconds', retryAfterSeconds: 120 });
    const answer = await send(`${booted.nest.url}/chat`, { body: { message: 'busy' } });
    expect(booted.upstream.requestCount).toBe(1);
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('120');
    expect(retryLog()).toEqual(['ChatService.reply: gave up after 1 attempt (hint-exceeds-max-delay): 429 rate_limit_exceeded']);
  });

  it('a 401 becomes a 502 after one upstream request', async () => {
    booted.upstream.script({ kind: 'invalid-api-key' });
    const answer = await send(`${booted.nest.url}/chat`, { body: { message: 'key?' } });
    expect(booted.upstream.requestCount).toBe(1);
    expect(answer.status).toBe(502);
    expect(answer.headers.get('retry-after')).toBeNull();
    expect(answer.body).toEqual({
      statusCode: 502,
      message: 'The language model rejected this service\'s credentials.',
      upstream: { status: 401, code: 'invalid_api_key', requestId: 'req_1' },
    });
  });

  it('ChatService.title gives up after its one retry', async () => {
    booted.upstream.script({ kind: 'server-error' }, { kind: 'server-error' });
    const answer = await send(`${booted.nest.url}/chat/title`, { body: { message: 'Lisbon trip' } });
    expect(statuses()).toEqual([500, 500]);
    expect(answer.status).toBe(502);
    expect(answer.body).toEqual({
      statusCode: 502,
      message: 'The language model failed.',
      upstream: { status: 500, code: null, requestId: 'req_2' },
    });
  });
});
