import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { queue, turn } from '../../src/coordination/pacing-queue.js';
import { admit, initialUpstreamState, isCalm, recordFailure, recordSuccess, recordSuccesses, type UpstreamState } from '../../src/coordination/upstream-state.js';
import type { AttemptOutcome, FailureKind } from '../../src/coordination/coordinator.js';

const refused = (now: number, attempt: number): AttemptOutcome => ({ now, attempt, failure: 'rate-limit', status: 429, firmHint: undefined, error: undefined });

/** An upstream that served one call at t = 0 and refused nine: it learned 1/s and queued them. */
function afterBurstOfOne(): UpstreamState {
  const state = initialUpstreamState();
  recordSuccess(state, 0);
  for (let i = 0; i < 9; i++) recordFailure(state, refused(0, 1));
  return state;
}

describe('slow start grows in time, not only per success', () => {
  test('a success 1 s after the first share of 1/s quadruples the rate (doubling every 500 ms), within twice what was served plus one', () => {
    const state = afterBurstOfOne();
    expect(state.rate).toBe(1);
    recordSuccess(state, 1000);
    // 1 × 2^(1000/500) = 4; served in the last second: this success and all of the window before it (1 + 1) → at most 5.
    expect(state.rate).toBe(4);
    recordSuccess(state, 1100);
    // 100 ms later: × 2^(0.2) = 1.15 is less than the half per success: × 1.5.
    expect(state.rate).toBe(6);
  });

  test('the first refused paced retry leaves slow start with a cut of 30%; refusals within an interval of the cut rate cut no further', () => {
    const state = afterBurstOfOne();
    state.rate = 10;
    state.rateAt = 2000;
    recordFailure(state, refused(2000, 2));
    expect(state).toMatchObject({ rate: 7, slowStart: false, peak: 10, cutAt: 2000 });
    // An interval at 7/s is 143 ms: a refusal 100 ms later answers the rate before the cut.
    recordFailure(state, refused(2100, 2));
    expect(state.rate).toBe(7);
    // Later, a refusal cuts to what was served in the last second (none here), by 30% at most.
    recordFailure(state, refused(2200, 2));
    expect(state.rate).toBeCloseTo(4.9, 10);
  });

  test('a paced retry refused with a firm hint waits for it itself; the queue goes on at the cut rate, with no cool-down', () => {
    const state = { ...afterBurstOfOne(), rate: 10, slowStart: false, busyUntil: 10_000 };
    recordFailure(state, { ...refused(3000, 2), firmHint: 1000 });
    expect(state).toMatchObject({ rate: 7, coolDownUntil: 0 });
    // A first attempt's hint still holds every call: a crowd told the same time is spread after it.
    recordFailure(state, { ...refused(3050, 1), firmHint: 1000 });
    expect(state.coolDownUntil).toBe(4050);
  });

  test('a first attempt refused after waiting for its turn cuts as a paced retry does; one refused without waiting does not', () => {
    const state = { ...afterBurstOfOne(), rate: 10, slowStart: false, busyUntil: 10_000 };
    recordFailure(state, { ...refused(3000, 1), firmHint: 1000 });
    expect(state).toMatchObject({ rate: 10, coolDownUntil: 4000 });
    recordFailure(state, { ...refused(3500, 1), firmHint: 1000, paced: true });
    // Cut by 30% at most (nothing served in the last second), and its hint is its own.
    expect(state).toMatchObject({ rate: 7, cutAt: 3500, coolDownUntil: 4000 });
  });

  test('5 s after the last cut without a refusal, slow start again: others may have left, at 1/s steps would take half a minute', () => {
    // Twenty calls queued at t = 0, served at 1/s: 14 still wait at 6 s.
    const state = { ...afterBurstOfOne(), rate: 1, slowStart: false, peak: 1.2, cutAt: 1000, busyUntil: 60_000, ticketsIssued: 20 };
    recordSuccess(state, 5900);
    expect(state.slowStart).toBe(false);
    recordSuccess(state, 6000);
    expect(state.slowStart).toBe(true);
  });

  test('...but not once at most 2 s of calls wait at the current rate: the queue would end before slow start paid', () => {
    // Eight calls queued at t = 0, served at 1/s: 2 wait at 6 s, 5 s after the cut; with nine, 3.
    const state = { ...afterBurstOfOne(), rate: 1, slowStart: false, peak: 1.2, cutAt: 1000, busyUntil: 60_000, ticketsIssued: 8 };
    recordSuccess(state, 6000);
    expect(state.slowStart).toBe(false);
    const longer = { ...afterBurstOfOne(), rate: 1, slowStart: false, peak: 1.2, cutAt: 1000, busyUntil: 60_000, ticketsIssued: 9 };
    recordSuccess(longer, 6000);
    expect(longer.slowStart).toBe(true);
  });

  test('after slow start a success adds 0.3%; a tenth past the rate last refused, slow start again', () => {
    const state = { ...afterBurstOfOne(), rate: 9, slowStart: false, peak: 9.1, cutAt: 1000, busyUntil: 60_000, windowStart: 5000, windowSuccesses: 20, ticketsIssued: 100 };
    recordSuccess(state, 5000);
    expect(state.rate).toBeCloseTo(9.027, 10);
    expect(state.slowStart).toBe(false);
    state.rate = 10;
    recordSuccess(state, 5010);
    expect(state.slowStart).toBe(true);
  });
});

describe('the pacing queue', () => {
  test('a call refused while nobody waits takes the first turn when it comes before its own delay, and keeps its own delay otherwise', () => {
    const fast = { ...initialUpstreamState(), rate: 4, busyUntil: 5000 };
    // A turn every 250 ms: sooner than its own 750 ms.
    expect(queue(fast, 0, 0, 30_000, 750)).toEqual({ wait: 250, reason: 'paced', askAgain: true, ticket: 1 });
    const slow = { ...initialUpstreamState(), rate: 1, busyUntil: 5000 };
    expect(queue(slow, 0, 0, 30_000, 750)).toEqual({ wait: 750, reason: 'backoff' });
  });

  test('a call refused while nobody waits goes no sooner than an interval after the latest paced departure, and counts as one', () => {
    const state = { ...initialUpstreamState(), rate: 10, slowStart: false, busyUntil: 5000, queueAt: 1000, ticketsIssued: 5, queueHead: 5, departedAt: 1050 };
    // Its own 20 ms (a retry-after-ms hint) would land 30 ms after that departure: 100 ms after it instead.
    expect(queue(state, 1000, 20, 30_000, 20)).toEqual({ wait: 150, reason: 'paced' });
    expect(state.departedAt).toBe(1150);
    // Past the interval, its own delay stands, and the next departure is an interval after it.
    expect(queue(state, 2000, 20, 30_000, 20)).toEqual({ wait: 20, reason: 'backoff' });
    expect(state.departedAt).toBe(2020);
    // A spacing past what the call may wait: it gives up now.
    expect(queue(state, 2030, 20, 50, 20)).toEqual({ refuse: 'paced' });
  });

  test('in slow start a queued call looks again every 250 ms, after it every second at least, so that no turn passes while it sleeps', () => {
    const state = { ...initialUpstreamState(), rate: 1, busyUntil: 60_000, ticketsIssued: 20 };
    expect(turn(state, 0, 20, 30_000)).toEqual({ wait: 250, reason: 'paced', askAgain: true, ticket: 20 });
    state.slowStart = false;
    expect(turn(state, 0, 20, 30_000)).toEqual({ wait: 1000, reason: 'paced', askAgain: true, ticket: 20 });
  });

  test('calls waiting for their turns keep the upstream contended until the last turn: calm, they would all go at their next look', () => {
    const state = { ...initialUpstreamState(), rate: 2, busyUntil: 1000, ticketsIssued: 10 };
    // Ticket 11 at 2/s: 5.5 s away.
    expect(queue(state, 0, 0, 30_000, 750)).toMatchObject({ ticket: 11 });
    expect(state.busyUntil).toBe(5500);
    expect(isCalm(state, 5000)).toBe(false);
  });

  test('calls whose turns have come go one interval apart, however late they come back', () => {
    const state = { ...initialUpstreamState(), rate: 4, busyUntil: 60_000, ticketsIssued: 3 };
    // At 1 s all three turns have come (4/s); the calls come back together.
    expect(turn(state, 1000, 1, 30_000)).toEqual({ wait: 0, reason: 'paced' });
    expect(turn(state, 1000, 2, 30_000)).toEqual({ wait: 250, reason: 'paced' });
    expect(turn(state, 1000, 3, 30_000)).toEqual({ wait: 500, reason: 'paced' });
  });

  test('a call that gives up on its turn ends the queue before it: the turns after it go to calls refused from now on', () => {
    const state = { ...initialUpstreamState(), rate: 1, slowStart: false, busyUntil: 60_000, ticketsIssued: 40 };
    // Ticket 35, 35 s away at 1/s, more than it may wait: every later ticket is further still.
    expect(turn(state, 0, 35, 30_000)).toEqual({ refuse: 'paced' });
    expect(state.ticketsIssued).toBe(34);
    expect(queue(state, 0, 0, 30_000, 750)).toEqual({ refuse: 'paced' });
    expect(state.ticketsIssued).toBe(34);
    // A call holding a later place that did not give up (the rate grew before it looked) takes the
    // next place at the queue's end: the head never passes the end, so its old place would never come.
    state.rate = 4;
    expect(turn(state, 0, 38, 30_000)).toEqual({ wait: 1000, reason: 'paced', askAgain: true, ticket: 35 });
  });

  test('while contended, new calls take turns too: a pool of workers is paced at the learned rate instead of earning a refusal each', () => {
    const state = { ...initialUpstreamState(), rate: 2, slowStart: false, busyUntil: 5000, queueAt: 1000, ticketsIssued: 10, queueHead: 10 };
    const firstAttempt = (now: number) => admit(state, { now, attempt: 1, maxWait: 30_000, random: () => 0 });
    // Nobody waits: the first goes at once, on the turn due at 1.5 s; the next takes the turn after
    // it, at 2 s (2/s), looking again halfway; the one after that, the turn at 2.5 s.
    expect(firstAttempt(1000)).toEqual({ wait: 0, reason: 'backoff' });
    expect(firstAttempt(1000)).toEqual({ wait: 500, reason: 'paced', askAgain: true, ticket: 12 });
    expect(firstAttempt(1000)).toEqual({ wait: 750, reason: 'paced', askAgain: true, ticket: 13 });
    expect(turn(state, 2000, 12, 30_000)).toEqual({ wait: 0, reason: 'paced' });
    // Calm again (no refusal, nobody queued past busyUntil): new calls go without asking.
    expect(firstAttempt(20_000)).toEqual({ wait: 0, reason: 'backoff' });
    expect(state.ticketsIssued).toBe(13);
  });

  test('the first refusal after a calm spell starts an empty queue: the calls queued before went without their turns', () => {
    const state = { ...initialUpstreamState(), rate: 2, ticketsIssued: 30, queueHead: 10, queueAt: 1000, busyUntil: 6000 };
    recordFailure(state, refused(9000, 1));
    expect(state).toMatchObject({ queueHead: 30, queueAt: 9000, busyUntil: 14_000 });
  });
});

/** A state after a few failures: calm, contended (429s), or down (server errors from several calls). */
function stateAfter(failures: readonly { at: number; failure: FailureKind; attempt: number }[]): UpstreamState {
  const state = initialUpstreamState();
  for (const { at, failure, attempt } of failures) recordFailure(state, { now: at, attempt, failure, status: undefined, firmHint: undefined, error: undefined });
  return state;
}

describe('admission from announced limits', () => {
  test('an attempt is booked within one refill; past it, it asks again when within reach; past its patience, it goes uncharged', () => {
    const state = initialUpstreamState();
    // 10 requests a bucket, 1 a second, none left: a refill takes 10 s.
    state.admission.heard = 'limits';
    state.admission.requests = { capacity: 10, perMs: 0.001, level: 0, at: 0, anchorFullAt: -1, anchorSpent: -1 };
    // A slot keeps a tenth of the bucket (1 request) unspent: slot k at (2 + k) s, within 10 s up to k = 8.
    const answers = Array.from({ length: 10 }, () => admit(state, { now: 0, attempt: 1, maxWait: 30_000, random: () => 0 }));
    expect(answers.slice(0, 9).map((answer) => 'wait' in answer && answer.wait)).toEqual([2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    // The tenth slot (11 s) lies past the refill: not booked; it asks again when within reach, a quarter refill at least.
    expect(answers[9]).toEqual({ wait: 2500, reason: 'admission', askAgain: true });
    expect(state.admission.spentRequests).toBe(9);
    expect(admit(state, { now: 9000, attempt: 1, maxWait: 30_000, random: () => 0 })).toEqual({ wait: 2000, reason: 'admission' });
    // Past what the call may wait: it goes now, uncharged, and the server decides.
    expect(admit(state, { now: 9000, attempt: 1, maxWait: 2500, random: () => 0 })).toEqual({ wait: 0, reason: 'admission' });
    expect(state.admission.spentRequests).toBe(10);
  });
});

describe('recordSuccesses', () => {
  test('folds n successes into the state exactly as n calls of recordSuccess would, calm, contended or down', () => {
    const failure = fc.record({ at: fc.integer({ min: 0, max: 3000 }), failure: fc.constantFrom<FailureKind>('rate-limit', 'server', 'network'), attempt: fc.integer({ min: 1, max: 3 }) });
    fc.assert(fc.property(fc.array(failure, { maxLength: 8 }), fc.integer({ min: 0, max: 8000 }), fc.integer({ min: 0, max: 200 }), (failures, now, count) => {
      const sorted = [...failures].sort((a, b) => a.at - b.at);
      const oneByOne = stateAfter(sorted);
      const folded = stateAfter(sorted);
      for (let i = 0; i < count; i++) recordSuccess(oneByOne, now);
      recordSuccesses(folded, now, count);
      expect(folded).toEqual(oneByOne);
    }));
  });
});
