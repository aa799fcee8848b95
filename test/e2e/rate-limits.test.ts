/**
 * 429s over real HTTP: each kind of server hint, and the quota error that must not be retried.
 * Hints in seconds are at least 1 s, so those tests give the engine a clock that records each wait
 * and runs it 100 times faster: what is asserted is the wait the engine chose, and no test sleeps.
 */
import type { RetryClock } from 'retryable';
import { describe, expect, it } from 'vitest';
import { rejectionOf, useChatService } from './harness.js';
import { sdksUnderTest } from './sdks.js';

/** Real time, but each wait fires after 1/100 of its length; `waits` keeps the lengths asked for. */
function hurriedClock(): RetryClock & { waits: number[]; waitsEndAt: number[] } {
  const waits: number[] = [];
  const waitsEndAt: number[] = [];
  return {
    waits,
    waitsEndAt,
    now: () => Date.now(),
    setTimeout: (callback, ms) => {
      waits.push(ms);
      waitsEndAt.push(Date.now() + ms);
      return setTimeout(callback, ms / 100);
    },
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
}

/** A response header from an SDK error: a `Headers` from openai v5 on, a plain object in v4. */
function headerOf(error: unknown, name: string): string {
  const headers = (error as { headers: Headers | Record<string, string> }).headers;
  return (headers instanceof Headers ? headers.get(name) : headers[name]) ?? '';
}

describe.each(sdksUnderTest)('%s: rate limits', (_, OpenAI) => {
  const e2e = useChatService(OpenAI);

  it('429 with retry-after-ms: waits the hint, then answers', async () => {
    e2e.server.script({ kind: 'rate-limit', retryAfterMs: 50 });
    await expect(e2e.chat.complete('hello')).resolves.toBe('Echo: hello');
    expect(e2e.server.requestCount).toBe(2);
    expect(e2e.gapBefore(1)).toBeGreaterThanOrEqual(50);
    expect(e2e.retries).toMatchObject([{ attempt: 1, delay: 50, serverHint: 50, method: 'ChatService.complete' }]);
    expect(e2e.retries[0]!.error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(e2e.retries[0]!.error).toBe(e2e.sdkErrors()[0]);
  });

  it('429 on every attempt: the caller gets the last RateLimitError itself, after maxRetries', async () => {
    e2e.retryWith({ maxRetries: 2 });
    e2e.server.script(...Array(3).fill({ kind: 'rate-limit', retryAfterMs: 30 }));
    const error = await rejectionOf(e2e.chat.complete('hello'));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toBe(e2e.sdkErrors()[2]);
    expect(e2e.server.requestCount).toBe(3);
    expect(e2e.retries.map((r) => r.delay)).toEqual([30, 30]);
    expect([e2e.gapBefore(1), e2e.gapBefore(2)].every((gap) => gap >= 30)).toBe(true);
    expect(e2e.giveUps).toMatchObject([{ error, attempts: 3, reason: 'retries-exhausted' }]);
  });

  it('retry-after-ms over maxDelay: gives up at once, after one request', async () => {
    e2e.server.script({ kind: 'rate-limit', retryAfterMs: 500 });
    const error = await rejectionOf(e2e.chat.complete('hello'));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toBe(e2e.sdkErrors()[0]);
    expect(e2e.server.requestCount).toBe(1);
    expect(e2e.retries).toEqual([]);
    expect(e2e.giveUps).toMatchObject([{ attempts: 1, reason: 'hint-exceeds-max-delay' }]);
  });

  it('retry-after in seconds: waits at least the hint', async () => {
    const clock = hurriedClock();
    e2e.retryWith({ maxDelay: 5000, clock });
    e2e.server.script({ kind: 'rate-limit-seconds', retryAfterSeconds: 1 });
    await expect(e2e.chat.complete('hello')).resolves.toBe('Echo: hello');
    expect(e2e.server.requestCount).toBe(2);
    expect(e2e.retries).toMatchObject([{ attempt: 1, delay: 1000, serverHint: 1000 }]);
    expect(clock.waits).toEqual([1000]);
  });

  it('retry-after as an HTTP date: waits until that time', async () => {
    const clock = hurriedClock();
    e2e.retryWith({ maxDelay: 5000, clock });
    e2e.server.script({ kind: 'rate-limit-date', retryAfterSeconds: 2 });
    await expect(e2e.chat.complete('hello')).resolves.toBe('Echo: hello');
    expect(e2e.server.requestCount).toBe(2);
    const [retry] = e2e.retries;
    expect(retry!.delay).toBe(retry!.serverHint);
    expect(clock.waits).toEqual([retry!.delay]);
    // The date has whole seconds, so "2 s from now" is 1 to 2 s away: assert the wait lasts until that date.
    const retryAt = Date.parse(headerOf(retry!.error, 'retry-after'));
    expect(clock.waitsEndAt[0]).toBeGreaterThanOrEqual(retryAt);
    expect(retry!.delay).toBeLessThanOrEqual(2000);
  });

  it.each([
    ['rate-limit-seconds', { kind: 'rate-limit-seconds', retryAfterSeconds: 1 }],
    ['rate-limit-date', { kind: 'rate-limit-date', retryAfterSeconds: 2 }],
  ] as const)('%s over maxDelay: gives up at once, after one request', async (_kind, fault) => {
    e2e.retryWith({ maxDelay: 500 });
    e2e.server.script(fault);
    const error = await rejectionOf(e2e.chat.complete('hello'));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toBe(e2e.sdkErrors()[0]);
    expect(e2e.server.requestCount).toBe(1);
    expect(e2e.giveUps).toMatchObject([{ attempts: 1, reason: 'hint-exceeds-max-delay' }]);
  });

  it('x-ratelimit-reset-*: the exhausted limit\'s reset lengthens the wait; the other limit\'s is ignored', async () => {
    e2e.retryWith({ maxDelay: 500 });
    // Tokens are exhausted and reset in 80 ms; requests (6m0s) still have some left.
    e2e.server.script({ kind: 'rate-limit-reset', exhausted: 'tokens', resetTokens: '80ms' });
    await expect(e2e.chat.complete('hello')).resolves.toBe('Echo: hello');
    expect(e2e.server.requestCount).toBe(2);
    expect(e2e.retries).toMatchObject([{ delay: 80, serverHint: 80 }]);
    expect(e2e.gapBefore(1)).toBeGreaterThanOrEqual(80);
  });

  it('x-ratelimit-reset-* longer than maxDelay: waits maxDelay and retries (a soft hint never ends the retries)', async () => {
    e2e.server.script({ kind: 'rate-limit-reset', exhausted: 'requests' });
    await expect(e2e.chat.complete('hello')).resolves.toBe('Echo: hello');
    expect(e2e.server.requestCount).toBe(2);
    expect(e2e.retries).toMatchObject([{ delay: 200, serverHint: 360_000 }]);
    expect(e2e.gapBefore(1)).toBeGreaterThanOrEqual(200);
  });

  it('insufficient_quota: one request, and the caller gets the RateLimitError itself', async () => {
    e2e.server.script({ kind: 'insufficient-quota' });
    const error = await rejectionOf(e2e.chat.complete('hello'));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toBe(e2e.sdkErrors()[0]);
    expect(error).toMatchObject({ status: 429, code: 'insufficient_quota' });
    expect(e2e.server.requestCount).toBe(1);
    expect(e2e.retries).toEqual([]);
    expect(e2e.giveUps).toMatchObject([{ error, attempts: 1, reason: 'not-retryable' }]);
  });
});
