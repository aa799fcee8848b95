import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, delayAfterServerHint, exponentialDelay, HINT_SPREAD_RATIO, hintSpreadShare, type BackoffSchedule } from '../../src/policy/backoff.js';
import type { Jitter } from '../../src/policy/options.js';

const JITTERS: readonly Jitter[] = ['none', 'full', 'equal', 'decorrelated'];
const ALMOST_ONE = 1 - Number.EPSILON / 2; // the largest double below 1

/** The contract's `d_k`, written out independently of the implementation's guards. */
function dk(s: BackoffSchedule, k: number): number {
  if (s.initialDelay === 0) return 0;
  return Math.min(s.maxDelay, s.initialDelay * s.multiplier ** (k - 1));
}

const constant = (value: number) => () => value;

// Schedules as `resolvePolicy` lets them through: finite non-negative delays, maxDelay ≥ initialDelay, multiplier ≥ 1.
const delayArb = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 120_000 }),
  // Subnormal delays (below 1e-300 ms) would only test rounding of halves, so they become 0.
  fc.double({ min: 0, max: 1e9, noNaN: true, noDefaultInfinity: true }).map((x) => (x < 1e-300 ? 0 : x)),
);
const scheduleArb = (jitter: fc.Arbitrary<Jitter> = fc.constantFrom(...JITTERS)): fc.Arbitrary<BackoffSchedule> =>
  fc
    .record({
      initialDelay: delayArb,
      extra: delayArb,
      multiplier: fc.oneof(fc.constant(1), fc.constant(2), fc.double({ min: 1, max: 10, noNaN: true })),
      jitter,
    })
    .map(({ initialDelay, extra, multiplier, jitter: j }) => ({ initialDelay, maxDelay: initialDelay + extra, multiplier, jitter: j }));
const retryArb = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 1_000_000 }), fc.constant(Number.MAX_SAFE_INTEGER));
const unitArb = fc.oneof(fc.constantFrom(0, 0.5, ALMOST_ONE), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }));
const previousArb = fc.option(delayArb, { nil: undefined });

const base: BackoffSchedule = { initialDelay: 1000, multiplier: 2, maxDelay: 30_000, jitter: 'none' };
const withJitter = (jitter: Jitter, overrides: Partial<BackoffSchedule> = {}): BackoffSchedule => ({ ...base, jitter, ...overrides });

describe('exponentialDelay', () => {
  it('is exactly d_k = min(maxDelay, initialDelay · multiplier^(k-1)) for the default schedule', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((k) => exponentialDelay(base, k));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('is exactly d_k for any valid schedule and retry', () => {
    fc.assert(
      fc.property(scheduleArb(), retryArb, (s, k) => {
        expect(exponentialDelay(s, k)).toBe(dk(s, k));
      }),
    );
  });

  it('is finite, non-negative, never above maxDelay and never decreases from one retry to the next', () => {
    fc.assert(
      fc.property(scheduleArb(), fc.integer({ min: 1, max: 5000 }), (s, k) => {
        const d = exponentialDelay(s, k);
        expect(Number.isFinite(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(s.maxDelay);
        expect(exponentialDelay(s, k + 1)).toBeGreaterThanOrEqual(d);
      }),
    );
  });

  it('is 0 for initialDelay 0 even when multiplier^(k-1) overflows to Infinity (no 0 · Infinity = NaN)', () => {
    const zero = withJitter('none', { initialDelay: 0, maxDelay: 0 });
    expect(exponentialDelay(zero, 1)).toBe(0);
    expect(exponentialDelay({ ...zero, maxDelay: 5000 }, 1)).toBe(0);
    expect(exponentialDelay({ ...zero, maxDelay: 5000, multiplier: 10 }, 10_000)).toBe(0);
  });

  it('saturates at maxDelay for huge retry numbers instead of reaching Infinity or NaN', () => {
    expect(exponentialDelay(base, 1025)).toBe(30_000); // 2^1024 overflows to Infinity
    expect(exponentialDelay(base, 1_000_000)).toBe(30_000);
    expect(exponentialDelay(base, Number.MAX_SAFE_INTEGER)).toBe(30_000);
    expect(exponentialDelay({ ...base, multiplier: 1 }, Number.MAX_SAFE_INTEGER)).toBe(1000);
    expect(exponentialDelay({ ...base, multiplier: 1.5 }, 3)).toBe(2250);
  });
});

describe('backoffDelay', () => {
  it('never goes above maxDelay, never below 0, and is always a finite number, for every jitter', () => {
    fc.assert(
      fc.property(scheduleArb(), retryArb, previousArb, unitArb, (s, k, previous, r) => {
        const d = backoffDelay(s, k, previous, constant(r));
        expect(Number.isFinite(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(s.maxDelay);
      }),
    );
  });

  it("'none' is exactly d_k and never calls random", () => {
    fc.assert(
      fc.property(scheduleArb(fc.constant('none')), retryArb, previousArb, (s, k, previous) => {
        let calls = 0;
        const d = backoffDelay(s, k, previous, () => (calls++, 0.5));
        expect(d).toBe(dk(s, k));
        expect(calls).toBe(0);
      }),
    );
  });

  it("'full' is random · d_k, inside [0, d_k]", () => {
    fc.assert(
      fc.property(scheduleArb(fc.constant('full')), retryArb, previousArb, unitArb, (s, k, previous, r) => {
        const d = backoffDelay(s, k, previous, constant(r));
        expect(d).toBe(r * dk(s, k));
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(dk(s, k));
      }),
    );
  });

  it("'equal' is d_k/2 + random · d_k/2, inside [d_k/2, d_k]", () => {
    fc.assert(
      fc.property(scheduleArb(fc.constant('equal')), retryArb, previousArb, unitArb, (s, k, previous, r) => {
        const ceiling = dk(s, k);
        const d = backoffDelay(s, k, previous, constant(r));
        expect(d).toBe(ceiling / 2 + (r * ceiling) / 2);
        expect(d).toBeGreaterThanOrEqual(ceiling / 2);
        expect(d).toBeLessThanOrEqual(ceiling);
      }),
    );
  });

  it("'decorrelated' is min(maxDelay, uniform(initialDelay, 3·previous)), inside [initialDelay, min(maxDelay, 3·previous)]", () => {
    fc.assert(
      fc.property(scheduleArb(fc.constant('decorrelated')), retryArb, previousArb, unitArb, (s, k, previous, r) => {
        const { initialDelay, maxDelay } = s;
        const upper = Math.max(initialDelay, 3 * (previous ?? initialDelay));
        const d = backoffDelay(s, k, previous, constant(r));
        expect(d).toBe(Math.min(maxDelay, initialDelay + r * (upper - initialDelay)));
        expect(d).toBeGreaterThanOrEqual(initialDelay);
        expect(d).toBeLessThanOrEqual(maxDelay);
        // initialDelay + r·(upper − initialDelay) may round one ulp past `upper`, never more.
        expect(d).toBeLessThanOrEqual(upper * (1 + Number.EPSILON));
      }),
    );
  });

  it("'decorrelated' does not depend on the retry number, only on the previous delay", () => {
    fc.assert(
      fc.property(scheduleArb(fc.constant('decorrelated')), retryArb, retryArb, previousArb, unitArb, (s, k1, k2, previous, r) => {
        expect(backoffDelay(s, k1, previous, constant(r))).toBe(backoffDelay(s, k2, previous, constant(r)));
      }),
    );
  });

  it('calls random exactly once per delay for the random jitters', () => {
    for (const jitter of ['full', 'equal', 'decorrelated'] as const) {
      let calls = 0;
      backoffDelay(withJitter(jitter), 2, 1000, () => (calls++, 0.25));
      expect(calls, jitter).toBe(1);
    }
  });

  it('gives exact values at the edges of the random source', () => {
    const full = withJitter('full');
    expect(backoffDelay(full, 1, undefined, constant(0))).toBe(0);
    expect(backoffDelay(full, 3, undefined, constant(0.5))).toBe(2000);
    expect(backoffDelay(full, 3, undefined, constant(ALMOST_ONE))).toBe(4000 * ALMOST_ONE);
    expect(backoffDelay(full, 3, undefined, constant(ALMOST_ONE))).toBeLessThan(4000);
    expect(backoffDelay(full, 10, undefined, constant(0.5))).toBe(15_000);

    const equal = withJitter('equal');
    expect(backoffDelay(equal, 1, undefined, constant(0))).toBe(500);
    expect(backoffDelay(equal, 1, undefined, constant(0.5))).toBe(750);
    expect(backoffDelay(equal, 2, undefined, constant(0.999))).toBe(1999);
    expect(backoffDelay(equal, 20, undefined, constant(0))).toBe(15_000);

    const decorrelated = withJitter('decorrelated');
    expect(backoffDelay(decorrelated, 1, undefined, constant(0))).toBe(1000);
    expect(backoffDelay(decorrelated, 1, undefined, constant(0.5))).toBe(2000); // uniform(1000, 3000)
    expect(backoffDelay(decorrelated, 2, 5000, constant(0.5))).toBe(8000); // uniform(1000, 15000)
    expect(backoffDelay(decorrelated, 2, 5000, constant(0))).toBe(1000);
    expect(backoffDelay(decorrelated, 5, 20_000, constant(0.999))).toBe(30_000); // capped
    expect(backoffDelay(decorrelated, 2, 100, constant(0.999))).toBe(1000); // 3·100 < initialDelay

    const none = withJitter('none');
    expect(backoffDelay(none, 4, 123, constant(0.999))).toBe(8000);
  });

  it('stays at 0 for initialDelay 0 under every jitter, including a decorrelated sequence', () => {
    for (const jitter of JITTERS) {
      const s = withJitter(jitter, { initialDelay: 0, maxDelay: 10_000 });
      let previous: number | undefined;
      for (let k = 1; k <= 50; k++) {
        previous = backoffDelay(s, k, previous, constant(ALMOST_ONE));
        expect(previous, `${jitter} k=${k}`).toBe(0);
      }
    }
  });

  it('gives maxDelay-bounded finite values for huge retry numbers under every jitter', () => {
    for (const jitter of JITTERS) {
      for (const k of [1025, 1_000_000, Number.MAX_SAFE_INTEGER]) {
        const d = backoffDelay(withJitter(jitter), k, 30_000, constant(ALMOST_ONE));
        expect(Number.isFinite(d), `${jitter} k=${k}`).toBe(true);
        expect(d, `${jitter} k=${k}`).toBeLessThanOrEqual(30_000);
        expect(d, `${jitter} k=${k}`).toBeGreaterThanOrEqual(jitter === 'full' ? 29_999 : 15_000);
      }
    }
  });
});

describe('delayAfterServerHint', () => {
  const hintArb = (s: BackoffSchedule) => fc.oneof(fc.constant(0), fc.constant(s.maxDelay), fc.double({ min: 0, max: s.maxDelay, noNaN: true }));

  it('is never below a hint ≤ maxDelay and never above maxDelay, with the exact spread formula', () => {
    fc.assert(
      fc.property(
        scheduleArb().chain((s) => fc.tuple(fc.constant(s), hintArb(s))),
        retryArb,
        unitArb,
        ([s, hint], k, r) => {
          const d = delayAfterServerHint(s, k, hint, constant(r));
          expect(d).toBeGreaterThanOrEqual(hint);
          expect(d).toBeLessThanOrEqual(s.maxDelay);
          expect(Number.isFinite(d)).toBe(true);
          const expected = hint >= s.maxDelay ? s.maxDelay : s.jitter === 'none' ? hint : hint + r * Math.min(dk(s, k), s.maxDelay - hint, hintSpreadShare(k) * hint);
          expect(d).toBe(expected);
        },
      ),
    );
  });

  it("is exactly the hint with jitter 'none'", () => {
    fc.assert(
      fc.property(
        scheduleArb(fc.constant('none')).chain((s) => fc.tuple(fc.constant(s), hintArb(s))),
        retryArb,
        ([s, hint], k) => {
          expect(delayAfterServerHint(s, k, hint, constant(ALMOST_ONE))).toBe(hint);
        },
      ),
    );
  });

  it('is maxDelay when the hint is at or above maxDelay (the engine then gives up)', () => {
    fc.assert(
      fc.property(scheduleArb(), retryArb, fc.double({ min: 0, max: 1e12, noNaN: true }), unitArb, (s, k, above, r) => {
        expect(delayAfterServerHint(s, k, s.maxDelay + above, constant(r))).toBe(s.maxDelay);
      }),
    );
  });

  it('spreads a fifth of the hint at the first retry, doubling at each one after, never infinite', () => {
    expect(HINT_SPREAD_RATIO).toBe(0.2);
    expect([1, 2, 3].map(hintSpreadShare)).toEqual([0.2, 0.4, 0.8]);
    expect(hintSpreadShare(Number.MAX_SAFE_INTEGER)).toBe(0.2 * 2 ** 30);
  });

  it('gives exact example values', () => {
    const full = withJitter('full');
    expect(delayAfterServerHint(full, 1, 5000, constant(0))).toBe(5000);
    expect(delayAfterServerHint(full, 1, 5000, constant(0.5))).toBe(5500); // spread d_1 = 1000
    expect(delayAfterServerHint(full, 3, 5000, constant(0.5))).toBe(7000); // spread d_3 = 4000
    expect(delayAfterServerHint(full, 1, 29_500, constant(0.5))).toBe(29_750); // spread cut to 500
    expect(delayAfterServerHint(full, 1, 29_500, constant(0.999))).toBe(29_999.5);
    expect(delayAfterServerHint(full, 1, 29_500, constant(ALMOST_ONE))).toBeLessThanOrEqual(30_000);
    expect(delayAfterServerHint(full, 1, 30_000, constant(0.5))).toBe(30_000);
    expect(delayAfterServerHint(full, 1, 60_000, constant(0.5))).toBe(30_000);
    expect(delayAfterServerHint(full, 1, 0, constant(0.5))).toBe(0); // "now": no spread to scale
    expect(delayAfterServerHint(full, 3, 100, constant(0.5))).toBe(140); // spread cut to 0.2 · 2² × the hint
    expect(delayAfterServerHint(withJitter('equal'), 2, 1000, constant(0.25))).toBe(1100); // 0.2 · 2 × the hint
    expect(delayAfterServerHint(withJitter('decorrelated'), 2, 1000, constant(0.25))).toBe(1100);
    expect(delayAfterServerHint(withJitter('none'), 1, 5000, constant(0.5))).toBe(5000);
    expect(delayAfterServerHint(withJitter('none'), 1, 45_000, constant(0.5))).toBe(30_000);
    expect(delayAfterServerHint(withJitter('full', { initialDelay: 0 }), 3, 2500, constant(0.9))).toBe(2500);
    expect(delayAfterServerHint(full, Number.MAX_SAFE_INTEGER, 2000, constant(0.5))).toBe(16_000); // spread cut to maxDelay − hint
  });
});
