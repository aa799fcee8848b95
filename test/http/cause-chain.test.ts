import OpenAI from 'openai';
import { describe, expect, it, vi } from 'vitest';
import { MAX_CAUSE_DEPTH } from '../../src/http/cause-chain.js';
import { isRateLimitError, isRetryableError } from '../../src/http/classify.js';
import { rateLimitResetMs, readHeader, retryAfterMs } from '../../src/http/server-hints.js';
import { retry, type RetryEvent } from '../../src/index.js';
import { observe } from '../support/scripted.js';
import { useVirtualTimePerTest } from '../support/virtual-time.js';

// Libraries that wrap an SDK call (LangChain among them) throw their own error and keep the HTTP
// error in `cause`. A wrapped 429 must stay a 429, with its hint; a wrapped 400 must stay final.

useVirtualTimePerTest();

const rateLimited = (headers: Record<string, string> = { 'retry-after-ms': '1200' }) =>
  OpenAI.APIError.generate(429, { error: { code: 'rate_limit_exceeded', type: 'requests', message: 'slow down' } }, undefined, new Headers(headers));
const outOfQuota = () =>
  OpenAI.APIError.generate(429, { error: { code: 'insufficient_quota', type: 'insufficient_quota', message: 'quota' } }, undefined, new Headers());
/** The error wrapped `depth` times, LangChain style. */
const wrapped = (error: unknown, depth = 1): Error => {
  let outer = new Error('wrapped', { cause: error });
  for (let level = 1; level < depth; level++) outer = new Error(`wrapped ${level + 1}`, { cause: outer });
  return outer;
};

describe('a wrapped OpenAI error is classified as the error itself', () => {
  it('a wrapped RateLimitError is a retryable 429 with its retry-after-ms hint', () => {
    const inner = rateLimited();
    expect(inner).toBeInstanceOf(OpenAI.RateLimitError);
    for (const error of [inner, wrapped(inner), wrapped(inner, 2)]) {
      expect(isRetryableError(error)).toBe(true);
      expect(isRateLimitError(error)).toBe(true);
      expect(retryAfterMs(error)).toBe(1200);
    }
  });

  it('a wrapped insufficient_quota is never retried', () => {
    expect(isRetryableError(wrapped(outOfQuota()))).toBe(false);
    expect(isRetryableError(wrapped(outOfQuota(), 3))).toBe(false);
  });

  it('a wrapped 400 is final, where the same wrapper without a cause would be retried', () => {
    const badRequest = new OpenAI.BadRequestError(400, { message: 'bad' }, 'bad', new Headers());
    expect(isRetryableError(wrapped(badRequest))).toBe(false);
    expect(isRetryableError(new Error('wrapped'))).toBe(true);
  });

  it("the cause's x-should-retry and soft rate-limit hints are read too", () => {
    const marked = OpenAI.APIError.generate(503, undefined, 'x', new Headers({ 'x-should-retry': 'false' }));
    expect(isRetryableError(wrapped(marked))).toBe(false);
    const soft = rateLimited({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1.5s' });
    expect(rateLimitResetMs(wrapped(soft))).toBe(1500);
  });

  it("the nearest error wins: a wrapper's own status and headers come before its cause's", () => {
    const outer = Object.assign(new Error('gateway', { cause: rateLimited() }), { status: 400, headers: { 'retry-after-ms': '50' } });
    expect(isRetryableError(outer)).toBe(false);
    expect(isRateLimitError(outer)).toBe(false);
    expect(retryAfterMs(outer)).toBe(50);
    // A header the wrapper lacks is still found on the cause.
    expect(readHeader(Object.assign(new Error('w', { cause: rateLimited({ 'x-request-id': 'req_1' }) }), { headers: {} }), 'x-request-id')).toBe('req_1');
  });
});

describe('the cause chain is bounded', () => {
  it(`follows ${MAX_CAUSE_DEPTH} wrappers, not one more`, () => {
    expect(MAX_CAUSE_DEPTH).toBe(5);
    const deepest = wrapped(rateLimited(), MAX_CAUSE_DEPTH);
    expect(isRateLimitError(deepest)).toBe(true);
    expect(retryAfterMs(deepest)).toBe(1200);
    const tooDeep = wrapped(rateLimited(), MAX_CAUSE_DEPTH + 1);
    expect(isRateLimitError(tooDeep)).toBe(false);
    expect(retryAfterMs(tooDeep)).toBeUndefined();
    expect(isRetryableError(wrapped(outOfQuota(), MAX_CAUSE_DEPTH + 1))).toBe(true); // no status seen: retried
  });

  it('ends on a cycle, and judges what it saw', () => {
    const first = new Error('first');
    const second = new Error('second', { cause: first });
    (first as { cause?: unknown }).cause = second;
    const self = new Error('self');
    (self as { cause?: unknown }).cause = self;
    for (const error of [first, self]) {
      expect(isRetryableError(error)).toBe(true);
      expect(isRateLimitError(error)).toBe(false);
      expect(retryAfterMs(error)).toBeUndefined();
    }
    const cycleAroundA429 = new Error('outer', { cause: rateLimited() });
    (cycleAroundA429.cause as { cause?: unknown }).cause = cycleAroundA429;
    expect(isRateLimitError(cycleAroundA429)).toBe(true);
  });

  it('a cause that is not an object ends the chain', () => {
    for (const cause of [null, undefined, 'text', 429]) {
      const error = new Error('wrapped', { cause });
      expect(isRetryableError(error), String(cause)).toBe(true);
      expect(isRateLimitError(error), String(cause)).toBe(false);
      expect(retryAfterMs(error), String(cause)).toBeUndefined();
    }
  });

  it('a cause getter that throws: no hint, and the error is not retried blind', () => {
    const hostile = new Error('hostile');
    Object.defineProperty(hostile, 'cause', { get() { throw new Error('boom'); } });
    expect(retryAfterMs(hostile)).toBeUndefined();
    expect(isRateLimitError(hostile)).toBe(false);
    expect(isRetryableError(hostile)).toBe(false);
  });
});

describe('through the engine', () => {
  it('a wrapped 429 follows the rate-limit schedule and waits at least its hint', async () => {
    const failure = wrapped(rateLimited({ 'retry-after-ms': '1200' }));
    const events: RetryEvent[] = [];
    let calls = 0;
    const outcome = observe(retry(async () => { if (++calls === 1) throw failure; return 'ok'; }, { random: () => 0, onRetry: (event) => events.push(event) }));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(events).toHaveLength(1);
    expect(events[0]!.error).toBe(failure);
    expect(events[0]!.serverHint).toBe(1200);
    expect(events[0]!.delay).toBe(1200);
  });
});
