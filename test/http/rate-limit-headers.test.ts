import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readRateLimits, refillPerMs, type LimitState } from '../../src/http/rate-limit-headers.js';

const NOW = Date.UTC(2030, 0, 15, 12, 0, 0, 0);

const openAI = {
  'x-ratelimit-limit-requests': '500',
  'x-ratelimit-remaining-requests': '499',
  'x-ratelimit-reset-requests': '120ms',
  'x-ratelimit-limit-tokens': '30000',
  'x-ratelimit-remaining-tokens': '29950',
  'x-ratelimit-reset-tokens': '1m0.5s',
};
const openAISnapshot = {
  requests: { limit: 500, remaining: 499, resetMs: 120 },
  tokens: { limit: 30000, remaining: 29950, resetMs: 60_500 },
};

const upperCased = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([k, v], i) => [i % 2 ? k.toUpperCase() : k.replace(/(^|-)x/g, '$1X'), v]));

describe('readRateLimits: OpenAI and Azure OpenAI x-ratelimit-*', () => {
  it.each([
    ['a WHATWG Headers', new Headers(openAI)],
    ['a plain object', openAI],
    ['a plain object in mixed case', upperCased(openAI)],
    ['a plain object of string arrays (the first value counts)', Object.fromEntries(Object.entries(openAI).map(([k, v]) => [k, [v, '1']]))],
    ['a plain object of numbers where numeric', { ...openAI, 'x-ratelimit-limit-requests': 500, 'x-ratelimit-remaining-tokens': 29950 }],
  ])('reads both limits from %s', (_, headers) => {
    expect(readRateLimits(headers, NOW)).toEqual(openAISnapshot);
  });

  it.each([
    ['6m0s', 360_000], ['1.5s', 1500], ['20ms', 20], ['1h2m3.5s', 3_723_500], ['0s', 0], ['0', 0],
    // Some OpenAI-compatible servers send bare seconds.
    ['2', 2000], ['0.25', 250], [' 7 ', 7000], ['8.117s', 8117], [`${'9'.repeat(400)}s`, undefined],
    // Unreadable: the limit is still known, only its reset is not.
    ['soon', undefined], ['-1s', undefined], ['', undefined], ['1x', undefined],
  ])('reads reset %j as %s ms', (reset, resetMs) => {
    const snapshot = readRateLimits({ 'x-ratelimit-remaining-requests': '3', 'x-ratelimit-reset-requests': reset }, NOW);
    expect(snapshot).toEqual({ requests: { limit: undefined, remaining: 3, resetMs } });
  });

  it('reads one limit without the other, and no limit without its remaining count', () => {
    expect(readRateLimits({ 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-limit-requests': '10' }, NOW))
      .toEqual({ tokens: { limit: undefined, remaining: 0, resetMs: undefined } });
    expect(readRateLimits({ 'x-ratelimit-limit-requests': '10', 'x-ratelimit-reset-requests': '1s' }, NOW)).toBeUndefined();
    expect(readRateLimits({ 'x-ratelimit-remaining-requests': '-1' }, NOW)).toBeUndefined();
    expect(readRateLimits({ 'x-ratelimit-remaining-requests': '1e3' }, NOW)).toBeUndefined();
  });

  it('returns undefined without any rate-limit header', () => {
    expect(readRateLimits(undefined, NOW)).toBeUndefined();
    expect(readRateLimits(null, NOW)).toBeUndefined();
    expect(readRateLimits({}, NOW)).toBeUndefined();
    expect(readRateLimits(new Headers({ 'retry-after': '1' }), NOW)).toBeUndefined();
  });
});

describe('readRateLimits: Anthropic anthropic-ratelimit-*', () => {
  const at = (ms: number) => new Date(NOW + ms).toISOString();

  it('reads RFC 3339 resets as ms from now', () => {
    const headers = new Headers({
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '49',
      'anthropic-ratelimit-requests-reset': at(1200),
      'anthropic-ratelimit-tokens-limit': '40000',
      'anthropic-ratelimit-tokens-remaining': '39000',
      'anthropic-ratelimit-tokens-reset': '2030-01-15T13:00:05+01:00',
    });
    expect(readRateLimits(headers, NOW)).toEqual({
      requests: { limit: 50, remaining: 49, resetMs: 1200 },
      tokens: { limit: 40000, remaining: 39000, resetMs: 5000 },
    });
  });

  it.each([
    ['a past instant', at(-5000), 0],
    ['fractional seconds', '2030-01-15T12:00:01.250Z', 1250],
    ['a lower-case t and z', '2030-01-15t12:00:02z', 2000],
    ['loose text Date.parse would take', 'Jan 15 2030 12:00:03', undefined],
    ['no zone', '2030-01-15T12:00:03', undefined],
    ['a month 13', '2030-13-15T12:00:03Z', undefined],
  ])('reads %s', (_, reset, resetMs) => {
    const snapshot = readRateLimits({ 'anthropic-ratelimit-requests-remaining': '1', 'anthropic-ratelimit-requests-reset': reset }, NOW);
    expect(snapshot?.requests?.resetMs).toBe(resetMs);
  });

  it('takes input tokens as the token limit only when plain tokens are absent', () => {
    const split = {
      'anthropic-ratelimit-input-tokens-limit': '20000',
      'anthropic-ratelimit-input-tokens-remaining': '19000',
      'anthropic-ratelimit-input-tokens-reset': at(3000),
      'anthropic-ratelimit-output-tokens-limit': '4000',
      'anthropic-ratelimit-output-tokens-remaining': '10',
    };
    expect(readRateLimits(split, NOW)).toEqual({ tokens: { limit: 20000, remaining: 19000, resetMs: 3000 } });
    const both = { ...split, 'anthropic-ratelimit-tokens-limit': '80000', 'anthropic-ratelimit-tokens-remaining': '7' };
    expect(readRateLimits(both, NOW)).toEqual({ tokens: { limit: 80000, remaining: 7, resetMs: undefined } });
  });
});

describe('readRateLimits: IETF RateLimit fields', () => {
  it('reads the older draft (seconds) as the request limit', () => {
    const headers = new Headers({ 'RateLimit-Limit': '100', 'RateLimit-Remaining': '50', 'RateLimit-Reset': '30' });
    expect(readRateLimits(headers, NOW)).toEqual({ requests: { limit: 100, remaining: 50, resetMs: 30_000 } });
    expect(readRateLimits({ 'ratelimit-limit': '100, 100;w=60', 'RATELIMIT-REMAINING': '0' }, NOW))
      .toEqual({ requests: { limit: 100, remaining: 0, resetMs: undefined } });
  });

  it('reads the structured fields, matching the policy by name', () => {
    const headers = { RateLimit: '"default";r=50;t=30', 'RateLimit-Policy': '"default";q=100;w=60' };
    expect(readRateLimits(headers, NOW)).toEqual({ requests: { limit: 100, remaining: 50, resetMs: 30_000 } });
    expect(readRateLimits({ RateLimit: 'default;r=5;t=1.5' }, NOW)).toEqual({ requests: { limit: undefined, remaining: 5, resetMs: 1500 } });
  });

  it('maps a policy named after tokens to the token limit, and keeps the least remaining of several', () => {
    const headers = new Headers({
      RateLimit: '"burst";r=9;t=1, "daily";r=900;t=3600, "tokens-per-minute";r=1200;t=12, "a,b;c";r=3;t=2',
      'RateLimit-Policy': '"burst";q=10;w=1, "daily";q=1000;w=86400, "tokens-per-minute";q=40000;w=60, "a,b;c";q=4',
    });
    expect(readRateLimits(headers, NOW)).toEqual({
      requests: { limit: 4, remaining: 3, resetMs: 2000 },
      tokens: { limit: 40000, remaining: 1200, resetMs: 12_000 },
    });
  });

  it('prefers the structured fields to the older draft, and vendor headers to both', () => {
    const ietf = { RateLimit: '"d";r=1;t=1', 'RateLimit-Remaining': '99' };
    expect(readRateLimits(ietf, NOW)?.requests?.remaining).toBe(1);
    expect(readRateLimits({ ...ietf, 'x-ratelimit-remaining-requests': '42' }, NOW)?.requests?.remaining).toBe(42);
    expect(readRateLimits({ ...ietf, 'anthropic-ratelimit-requests-remaining': '43' }, NOW)?.requests?.remaining).toBe(43);
  });
});

describe('refillPerMs', () => {
  it.each<[LimitState, number | undefined]>([
    [{ limit: 500, remaining: 499, resetMs: 120 }, 1 / 120],
    [{ limit: 30000, remaining: 0, resetMs: 60_000 }, 0.5],
    [{ limit: undefined, remaining: 0, resetMs: 1000 }, undefined],
    [{ limit: 10, remaining: 0, resetMs: undefined }, undefined],
    [{ limit: 10, remaining: 0, resetMs: 0 }, undefined],
    [{ limit: 10, remaining: 10, resetMs: 500 }, undefined],
    [{ limit: 10, remaining: 11, resetMs: 500 }, undefined],
  ])('%o refills at %s per ms', (limitState, rate) => {
    expect(refillPerMs(limitState)).toBe(rate);
  });
});

/** A Go duration as Go prints it (`1h2m3.5s`, `340ms`, `0s`), built from parts so the parser is not its own oracle. */
const goDuration = fc.oneof(
  fc.integer({ min: 1, max: 999 }).map((ms) => ({ text: `${ms}ms`, ms })),
  fc.record({ h: fc.nat(3), m: fc.nat(59), s: fc.nat(59), milli: fc.nat(999) }).map(({ h, m, s, milli }) => {
    const seconds = `${s}${milli ? `.${String(milli).padStart(3, '0').replace(/0+$/, '')}` : ''}s`;
    const text = h ? `${h}h${m}m${seconds}` : m ? `${m}m${seconds}` : seconds;
    return { text, ms: h * 3_600_000 + m * 60_000 + s * 1000 + milli };
  }),
);
const limitParts = fc.record({ limit: fc.nat(10_000_000), spent: fc.nat(10_000_000), reset: goDuration })
  .map(({ limit, spent, reset }) => ({ limit, remaining: Math.max(0, limit - spent), reset }));

describe('properties', () => {
  it('any OpenAI header set round-trips, as a Headers and as a mixed-case object', () => {
    fc.assert(fc.property(limitParts, limitParts, fc.boolean(), (requests, tokens, asHeaders) => {
      const headers: Record<string, string> = {};
      for (const [kind, parts] of [['requests', requests], ['tokens', tokens]] as const) {
        headers[`x-ratelimit-limit-${kind}`] = String(parts.limit);
        headers[`X-RateLimit-Remaining-${kind}`] = String(parts.remaining);
        headers[`x-ratelimit-reset-${kind}`.toUpperCase()] = parts.reset.text;
      }
      const expected = (parts: typeof requests) => ({ limit: parts.limit, remaining: parts.remaining, resetMs: parts.reset.ms });
      const snapshot = readRateLimits(asHeaders ? new Headers(headers) : headers, NOW);
      expect(snapshot).toEqual({ requests: expected(requests), tokens: expected(tokens) });
    }));
  });

  const names = [
    'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-tokens', 'x-ratelimit-remaining-tokens',
    'anthropic-ratelimit-requests-remaining', 'anthropic-ratelimit-tokens-reset', 'anthropic-ratelimit-input-tokens-remaining',
    'ratelimit', 'ratelimit-policy', 'ratelimit-remaining', 'ratelimit-reset', 'RateLimit',
  ];
  const value = fc.oneof(fc.string(), fc.stringMatching(/^[\d.;=",a-z -]{0,30}$/), fc.double(), fc.array(fc.string()), fc.anything());

  it('garbage never throws, and whatever it reads is a finite non-negative number', () => {
    fc.assert(fc.property(fc.dictionary(fc.constantFrom(...names), value), fc.oneof(fc.constant(NOW), fc.double()), (headers, now) => {
      const snapshot = readRateLimits(headers, now);
      for (const limit of [snapshot?.requests, snapshot?.tokens]) {
        for (const n of [limit?.limit, limit?.remaining, limit?.resetMs]) {
          if (n !== undefined) expect(Number.isFinite(n) && n >= 0).toBe(true);
        }
      }
    }));
    fc.assert(fc.property(fc.anything(), (headers) => {
      expect(() => readRateLimits(headers as never, NOW)).not.toThrow();
    }));
  });

  it('hostile header objects read as nothing', () => {
    const throwing = new Proxy({}, { get() { throw new Error('boom'); }, ownKeys() { throw new Error('boom'); } });
    expect(readRateLimits(throwing, NOW)).toBeUndefined();
    expect(readRateLimits({ get: () => { throw new Error('boom'); } }, NOW)).toBeUndefined();
  });
});
