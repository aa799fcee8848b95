import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CoordinatorAnswer } from '../../src/coordination/coordinator.js';
import { decide, longestWait, patience, planRetry, type FailedAttempt } from '../../src/policy/decide.js';
import { resolvePolicy } from '../../src/policy/policy.js';
import { httpError } from '../support/scripted.js';

// The one place for every waiting rule, tested without timers: every input is a plain value.
const policy = resolvePolicy({ maxRetries: 5, upstream: false }, {}, 'decide');
const failed = (fields: Partial<FailedAttempt> = {}): FailedAttempt => ({
  error: httpError(503), attempt: 1, retryable: true, failover: false, stopped: undefined, now: 0, deadline: Infinity, previousDelay: undefined, ...fields,
});
const half = () => 0.5;

describe('planRetry: the call\'s own answer', () => {
  it('gives up for the first reason that applies, in this order', () => {
    expect(planRetry(policy, failed({ stopped: 'aborted', retryable: false }), half)).toEqual({ retry: false, reason: 'aborted' });
    expect(planRetry(policy, failed({ stopped: 'deadline', retryable: false }), half)).toEqual({ retry: false, reason: 'deadline' });
    expect(planRetry(policy, failed({ retryable: false, attempt: 9 }), half)).toEqual({ retry: false, reason: 'not-retryable' });
    expect(planRetry(policy, failed({ attempt: 6 }), half)).toEqual({ retry: false, reason: 'retries-exhausted' });
    expect(planRetry(policy, failed({ error: httpError(429, { 'retry-after': '31' }) }), half)).toEqual({ retry: false, reason: 'hint-exceeds-max-delay' });
  });

  it('waits the backoff, or the firm hint plus its spread, or a soft hint that is longer', () => {
    expect(planRetry(policy, failed(), half)).toEqual({ retry: true, delay: 750, serverHint: undefined, firmHint: undefined, reason: 'backoff' });
    expect(planRetry(policy, failed({ error: httpError(429, { 'retry-after-ms': '2000' }) }), half))
      .toEqual({ retry: true, delay: 2200, serverHint: 2000, firmHint: 2000, reason: 'server-hint' });
    const exhausted = httpError(429, { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '5s' });
    expect(planRetry(policy, failed({ error: exhausted }), half)).toEqual({ retry: true, delay: 5500, serverHint: 5000, firmHint: undefined, reason: 'server-hint' });
  });

  it('a failover goes at once, for the reason "failover"; the failed target\'s hint is reported, not waited for', () => {
    expect(planRetry(policy, failed({ failover: true, error: httpError(429, { 'retry-after': '5' }) }), half))
      .toEqual({ retry: true, delay: 0, serverHint: 5000, firmHint: undefined, reason: 'failover' });
  });
});

describe('decide: the coordinator\'s word and the limits that hold whatever anyone said', () => {
  it('a refusal ends the call with its reason; no answer keeps the plan, rounded up', () => {
    const plan = planRetry(policy, failed(), () => 0.3333);
    expect(decide(policy, plan, { refuse: 'paced' }, failed())).toEqual({ retry: false, reason: 'paced' });
    expect(decide(policy, plan, undefined, failed())).toMatchObject({ retry: true, delay: 667, reason: 'backoff' });
  });

  it('a plan that gives up is the decision as it is: no coordinator\'s refusal replaces its reason', () => {
    const gaveUp = planRetry(policy, failed({ retryable: false }), half);
    expect(decide(policy, gaveUp, undefined, failed())).toStrictEqual({ retry: false, reason: 'not-retryable' });
    expect(decide(policy, gaveUp, { refuse: 'paced' }, failed())).toStrictEqual({ retry: false, reason: 'not-retryable' });
  });

  it('the reason is the plan\'s unless the coordinator made the wait longer than planned', () => {
    const plan = planRetry(policy, failed(), half); // 750 ms of backoff
    expect(decide(policy, plan, { wait: 500, reason: 'paced' }, failed())).toMatchObject({ delay: 500, reason: 'backoff' });
    expect(decide(policy, plan, { wait: 750, reason: 'paced' }, failed())).toMatchObject({ delay: 750, reason: 'backoff' });
    expect(decide(policy, plan, { wait: 751, reason: 'paced' }, failed())).toMatchObject({ delay: 751, reason: 'paced' });
  });

  it('property: never below the firm hint, never above maxDelay, always ending before the deadline, in whole ms', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 29_000 }), fc.double({ min: 0, max: 60_000, noNaN: true }), fc.integer({ min: 1, max: 60_000 }), fc.double({ min: 0, max: 0.999, noNaN: true }),
      (hint, coordinatorWait, timeLeft, r) => {
        const attempt = failed({ error: httpError(429, { 'retry-after-ms': String(hint) }), deadline: timeLeft });
        const plan = planRetry(policy, attempt, () => r);
        const answer: CoordinatorAnswer = { wait: coordinatorWait, reason: 'paced' };
        const decision = decide(policy, plan, answer, attempt);
        if (!decision.retry) {
          expect(decision.reason).toBe('deadline');
          expect(Math.min(Math.ceil(Math.max(coordinatorWait, hint)), policy.maxDelay)).toBeGreaterThanOrEqual(timeLeft);
          return;
        }
        expect(decision.delay).toBeGreaterThanOrEqual(hint);
        expect(decision.delay).toBeLessThanOrEqual(policy.maxDelay);
        expect(decision.delay).toBeLessThan(timeLeft);
        expect(Number.isInteger(decision.delay)).toBe(true);
      },
    ));
  });
});

describe('patience and the longest wait', () => {
  it('patience is what the remaining retries would wait at most, or what is left of the timeout', () => {
    expect(patience(policy, 1, 0, Infinity)).toBe(1000 + 2000 + 4000 + 8000 + 16_000);
    expect(patience(policy, 4, 0, Infinity)).toBe(8000 + 16_000);
    expect(patience(policy, 6, 0, Infinity)).toBe(0);
    expect(patience(policy, 1, 1000, 5000)).toBe(4000);
    const capped = resolvePolicy({ maxRetries: 1e9, maxDelay: 2000, upstream: false }, {}, 'decide');
    expect(patience(capped, 1, 0, Infinity)).toBe(1000 + (1e9 - 1) * 2000);
    expect(patience(resolvePolicy({ initialDelay: 0, upstream: false }, {}, 'decide'), 1, 0, Infinity)).toBe(0);
  });

  it('patience with no initial delay stops at the first retry, however many retries are allowed', () => {
    // Counting the zero waits one by one would not end: maxRetries need only be an integer without a timeout.
    const noWait = resolvePolicy({ initialDelay: 0, maxRetries: Number.MAX_SAFE_INTEGER, upstream: false }, {}, 'decide');
    expect(patience(noWait, 1, 0, Infinity)).toBe(0);
  });

  it('the longest single wait is maxDelay, or what is left before the deadline', () => {
    expect(longestWait(policy, 0, Infinity)).toBe(30_000);
    expect(longestWait(policy, 1000, 6000)).toBe(5000);
  });
});
