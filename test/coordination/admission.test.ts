/**
 * The limit model alone: pure functions of its state and `now`, so every value is exact.
 */
import { describe, expect, test } from 'vitest';
import {
  admitCost, bookingHorizon, COLD_HOLD_MS, COLD_IN_FLIGHT, COLD_POLL_MS, hasHeadroom, hear, initialAdmissionState, levelAt, lookAgainAfter, MIN_HORIZON_MS, type AdmissionState,
} from '../../src/coordination/admission.js';
import { readRateLimits } from '../../src/http/rate-limit-headers.js';

const openAI = (remaining: number, reset: string, limit = 10) => readRateLimits({
  'x-ratelimit-limit-requests': String(limit), 'x-ratelimit-remaining-requests': String(remaining), 'x-ratelimit-reset-requests': reset,
}, 0);

/** A state whose request limit is known: 10 a second, 5 left at t = 0 (the headers of a request charged nothing after it). */
function learned(): AdmissionState {
  const state = initialAdmissionState();
  hear(state, { limits: openAI(5, '500ms'), charge: { requests: 0, tokens: 0 }, refused: false }, 0);
  return state;
}

describe('learning a limit from one response', () => {
  test('capacity, the refill rate within the unit `remaining` was rounded by, and the level pinned by the reset', () => {
    const state = learned();
    // (10 − 5) / 500 ms at most, (10 − 5 − 1) / 500 ms at least: the middle, 0.009/ms; 10 − 0.009 × 500 = 5.5 left.
    expect(state.requests).toMatchObject({ capacity: 10, at: 0, anchorFullAt: 500, anchorSpent: 0 });
    expect(state.requests!.perMs).toBeCloseTo(0.009, 15);
    expect(state.requests!.level).toBeCloseTo(5.5, 12);
    expect(state.heard).toBe('limits');
  });

  test('requests admitted after the one whose headers these are come off the level: the server had not seen them', () => {
    const state = initialAdmissionState();
    for (let index = 0; index < 3; index++) admitCost(state, { requests: 1, tokens: 100 }, 0, Infinity, false);
    const limits = readRateLimits({ 'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-remaining-tokens': '900', 'x-ratelimit-reset-tokens': '100ms' }, 0);
    // The headers of the first request (charged 100 tokens), heard after the two others were sent.
    hear(state, { limits, charge: { requests: 1, tokens: 100 }, refused: false }, 0);
    // Rate: (1000 − 900 − 0.5) / 100 ms; 900.5 left by the reset (900 rounded down), less 200 not seen yet.
    expect(state.tokens).toMatchObject({ capacity: 1000, perMs: 0.995 });
    expect(state.tokens!.level).toBeCloseTo(700.5, 9);
  });

  test('the estimate is corrected: the server\'s count replaces the model\'s', () => {
    const state = initialAdmissionState();
    hear(state, { limits: readRateLimits({ 'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-remaining-tokens': '1000', 'x-ratelimit-reset-tokens': '0s' }, 0), charge: { requests: 0, tokens: 0 }, refused: false }, 0);
    admitCost(state, { requests: 1, tokens: 300 }, 0, Infinity, false);
    expect(state.tokens!.level).toBe(700);
    // The server counted 250 for it, not the 300 estimated.
    hear(state, { limits: readRateLimits({ 'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-remaining-tokens': '750', 'x-ratelimit-reset-tokens': '15s' }, 0), charge: { requests: 1, tokens: 300 }, refused: false }, 0);
    expect(state.tokens!.level).toBe(750);
  });

  test('with no charge to read them against (an error reported by the engine), the level is only lowered', () => {
    const state = learned();
    hear(state, { limits: openAI(9, '100ms'), charge: undefined, refused: false }, 0);
    expect(state.requests!.level).toBeCloseTo(5.5, 12);
    hear(state, { limits: openAI(2, '800ms'), charge: undefined, refused: true }, 0);
    // (10 − 2 − 1) / 800 ms at least, 0.009/ms believed: 10 − 0.009 × 800 = 2.8 left.
    expect(state.requests!.level).toBeCloseTo(2.8, 12);
    expect(state.requests!.anchorFullAt).toBe(-1);
  });

  test('the anchor measures the rate over many charges, whatever the rounding of `remaining`', () => {
    const state = learned();
    for (let index = 0; index < 5; index++) admitCost(state, { requests: 1, tokens: 0 }, 0, Infinity, false);
    // At t = 100 the fifth of them answers: 1 left, full again in 900 ms. The full time moved by 500 ms for 5 requests.
    hear(state, { limits: openAI(1, '900ms'), charge: { requests: 5, tokens: 0 }, refused: false }, 100);
    expect(state.requests).toEqual({ capacity: 10, perMs: 0.01, level: 1, at: 100, anchorFullAt: 1000, anchorSpent: 5 });
  });

  test('a response without rate-limit headers says the upstream announces none, unless it did before', () => {
    const state = initialAdmissionState();
    hear(state, { limits: undefined, charge: undefined, refused: false }, 0);
    expect(state.heard).toBe('no limits');
    const announced = learned();
    hear(announced, { limits: undefined, charge: undefined, refused: false }, 0);
    expect(announced.heard).toBe('limits');
  });
});

describe('resets in every format', () => {
  const rateFrom = (headers: Record<string, string>, now: number) => {
    const state = initialAdmissionState();
    hear(state, { limits: readRateLimits(headers, now), charge: { requests: 0, tokens: 0 }, refused: false }, now);
    return state.requests!.perMs;
  };

  test('OpenAI Go durations, bare seconds, Anthropic RFC 3339 instants, IETF fields in seconds', () => {
    const middle = (4 + 5) / 2 / 2000;
    const rates = [
      rateFrom({ 'x-ratelimit-limit-requests': '10', 'x-ratelimit-remaining-requests': '5', 'x-ratelimit-reset-requests': '2s' }, 0),
      rateFrom({ 'x-ratelimit-limit-requests': '10', 'x-ratelimit-remaining-requests': '5', 'x-ratelimit-reset-requests': '2' }, 0),
      rateFrom({ 'anthropic-ratelimit-requests-limit': '10', 'anthropic-ratelimit-requests-remaining': '5', 'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:02Z' }, Date.parse('2026-01-01T00:00:00Z')),
      rateFrom({ ratelimit: '"default";r=5;t=2', 'ratelimit-policy': '"default";q=10;w=60' }, 0),
    ];
    for (const rate of rates) expect(rate).toBeCloseTo(middle, 15);
  });

  test('a full bucket shows no rate: a minute for the whole limit, as OpenAI counts it', () => {
    expect(rateFrom({ 'x-ratelimit-limit-requests': '600', 'x-ratelimit-remaining-requests': '600', 'x-ratelimit-reset-requests': '0s' }, 0)).toBe(600 / 60_000);
  });
});

describe('admitting', () => {
  test('each admission is charged at once, and those that do not fit get slots one after the other', () => {
    const state = learned();
    const waits = Array.from({ length: 8 }, () => admitCost(state, { requests: 1, tokens: 0 }, 0, Infinity, false));
    // 5.5 left, a slot leaves a tenth of the capacity (1 request) unspent: four go now, then one
    // every 1/0.009 ms, from the half request left.
    const expected = [0, 0, 0, 0, 0.5 / 0.009, 1.5 / 0.009, 2.5 / 0.009, 3.5 / 0.009];
    waits.forEach((admitted, index) => expect('wait' in admitted && admitted.wait).toBeCloseTo(expected[index]!, 9));
    expect(levelAt(state.requests!, 1000)).toBeCloseTo(-2.5 + 9, 12);
  });

  test('a slot later than the call may wait is not taken, and nothing is charged', () => {
    const state = learned();
    for (let index = 0; index < 6; index++) admitCost(state, { requests: 1, tokens: 0 }, 0, Infinity, false);
    const admitted = admitCost(state, { requests: 1, tokens: 0 }, 0, 100, false);
    expect(Object.keys(admitted)).toEqual(['tooLong']);
    expect((admitted as { tooLong: number }).tooLong).toBeCloseTo(2.5 / 0.009, 9);
    expect(state.spentRequests).toBe(6);
  });

  test('slots are booked one refill of the smallest bucket ahead at most, 5 s at least; a request past it looks again once within reach', () => {
    const state = learned();
    expect(bookingHorizon(initialAdmissionState())).toBe(Infinity);
    // 10 requests at 0.009/ms refill in 1,111 ms: the floor of 5 s holds.
    expect(bookingHorizon(state)).toBe(MIN_HORIZON_MS);
    // A minute's limit of 60,000 tokens, half left 30 s before the reset: a minute to refill.
    const limits = readRateLimits({ 'x-ratelimit-limit-tokens': '60000', 'x-ratelimit-remaining-tokens': '30000', 'x-ratelimit-reset-tokens': '30s' }, 0);
    const perMinute = initialAdmissionState();
    hear(perMinute, { limits, charge: { requests: 0, tokens: 0 }, refused: false }, 0);
    expect(bookingHorizon(perMinute)).toBe(60_000 / perMinute.tokens!.perMs);
    expect(bookingHorizon(perMinute)).toBeGreaterThan(59_000);
    expect(lookAgainAfter(9000, 5000)).toBe(4000);
    expect(lookAgainAfter(5100, 5000)).toBe(1250);
  });

  test('before any response told the limit, a few requests go together, the others look again soon, for a while at most', () => {
    const state = initialAdmissionState();
    const first = Array.from({ length: COLD_IN_FLIGHT }, () => admitCost(state, { requests: 1, tokens: 0 }, 0, Infinity, true));
    expect(first.every((admitted) => 'wait' in admitted && admitted.wait === 0 && admitted.cold)).toBe(true);
    expect(admitCost(state, { requests: 1, tokens: 0 }, 10, Infinity, true)).toEqual({ poll: COLD_POLL_MS });
    expect(admitCost(state, { requests: 1, tokens: 0 }, COLD_HOLD_MS, Infinity, true)).toMatchObject({ wait: 0, cold: true });
  });

  test('calm while every limit keeps a fifth of its capacity', () => {
    const state = learned();
    expect(hasHeadroom(state, 0)).toBe(true);
    for (let index = 0; index < 4; index++) admitCost(state, { requests: 1, tokens: 0 }, 0, Infinity, false);
    expect(hasHeadroom(state, 0)).toBe(false);
    // 1.5 left; 2 are a fifth of 10: back after 0.5 / 0.009 ms.
    expect(hasHeadroom(state, Math.ceil(0.5 / 0.009))).toBe(true);
  });
});
