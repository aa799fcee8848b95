import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatGoDuration, RateLimiter } from '../examples/local-openai-server/limiter.js';
import { parseGoDuration } from '../src/http/server-hints.js';

// The local server's limiter alone, in virtual time: exact levels, waits and headers.
describe('RateLimiter on a manual clock', () => {
  // 0.01 requests/ms with room for 2; 1 token/ms with room for 100.
  const options = { requestsPerMinute: 600, burst: 2, tokensPerMinute: 60_000, tokenBurst: 100 };
  const clocked = (extra = {}) => {
    const clock = { now: 0 };
    return { clock, limiter: new RateLimiter({ ...options, ...extra }, () => clock.now) };
  };

  it('charges on admission, refuses without charging, and names the bucket with the longest wait', () => {
    const { clock, limiter } = clocked();
    expect(limiter.admit({ requests: 1, tokens: 10 }, 'm')).toEqual({
      limited: null,
      levels: { requests: 1, tokens: 90 },
      headers: {
        'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '1', 'x-ratelimit-reset-requests': '100ms',
        'x-ratelimit-limit-tokens': '100', 'x-ratelimit-remaining-tokens': '90', 'x-ratelimit-reset-tokens': '10ms',
      },
    });
    const tokens = limiter.admit({ requests: 1, tokens: 95 }, 'm');
    expect(tokens).toMatchObject({ limited: 'tokens', retryAfterMs: 5, levels: { requests: 1, tokens: 90 } });
    expect(tokens.headers).toMatchObject({ 'retry-after-ms': '5', 'retry-after': '1' });
    limiter.admit({ requests: 1, tokens: 10 }, 'm');
    // Requests need 100 ms, tokens 5 ms: requests bind.
    expect(limiter.admit({ requests: 1, tokens: 85 }, 'm')).toMatchObject({ limited: 'requests', retryAfterMs: 100 });
    clock.now = 50;
    const half = limiter.admit({ requests: 1, tokens: 85 }, 'm');
    expect(half).toMatchObject({ limited: 'requests', retryAfterMs: 50, levels: { requests: 0.5, tokens: 100 } });
    expect(half.message).toBe('Rate limit reached for m in organization org-local on requests per min (RPM): '
      + 'Limit 2, Used 2, Requested 1. Please try again in 50ms.');
    clock.now = 100;
    expect(limiter.admit({ requests: 1, tokens: 85 }, 'm')).toMatchObject({ limited: null, levels: { requests: 0, tokens: 15 } });
    expect(limiter.peek().headers['x-ratelimit-reset-requests']).toBe('200ms');
    limiter.refill();
    expect(limiter.peek().levels).toEqual({ requests: 2, tokens: 100 });
  });

  it('sends only what the options ask for', () => {
    const { limiter } = clocked({ headers: false, retryAfter: false });
    limiter.admit({ requests: 2, tokens: 0 }, 'm');
    expect(limiter.admit({ requests: 1, tokens: 0 }, 'm')).toMatchObject({ limited: 'requests', retryAfterMs: 100, headers: {} });
    const requestsOnly = new RateLimiter({ requestsPerMinute: 60 }, () => 0);
    expect(requestsOnly.peek()).toEqual({
      levels: { requests: 1 },
      headers: { 'x-ratelimit-limit-requests': '1', 'x-ratelimit-remaining-requests': '1', 'x-ratelimit-reset-requests': '0s' },
    });
  });
});

describe('formatGoDuration', () => {
  it.each([[0, '0s'], [0.2, '1ms'], [340, '340ms'], [999.5, '1s'], [1200, '1.2s'], [60_000, '1m0s'], [360_000, '6m0s'], [3_723_500, '1h2m3.5s']])(
    'formats %d ms as %s', (ms, text) => expect(formatGoDuration(ms)).toBe(text));

  it('formats what parseGoDuration reads back, to the ms rounded up', () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 1e8, noNaN: true }), (ms) => {
      expect(parseGoDuration(formatGoDuration(ms))).toBeCloseTo(Math.ceil(ms), 6);
    }));
  });
});
