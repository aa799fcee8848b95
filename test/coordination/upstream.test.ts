import { describe, expect, test, vi } from 'vitest';
import { retry, Upstream, type AttemptOutcome, type GiveUpEvent, type RetryEvent, type RetryOptions, type UpstreamStore } from '../../src/index.js';
import { initialUpstreamState, probeGap } from '../../src/coordination/upstream-state.js';
import { MemoryStore, type Transition } from '../../src/coordination/upstream-store.js';
import { httpError, observe } from '../support/scripted.js';
import { useVirtualTimePerTest } from '../support/virtual-time.js';

useVirtualTimePerTest();

/** A server that answers each request by the script for its index, recording when each came. */
function server(answer: (index: number, now: number) => 'ok' | Error) {
  const times: number[] = [];
  const call = async (): Promise<string> => {
    const index = times.length;
    times.push(Date.now());
    await Promise.resolve();
    const reply = answer(index, Date.now());
    if (reply instanceof Error) throw reply;
    return reply;
  };
  return { call, times };
}

describe('a lone caller is fast', () => {
  test('after a 429 without a hint: its own short backoff (equal jitter over 0.5–1 s)', async () => {
    const api = server((index) => (index === 0 ? httpError(429) : 'ok'));
    const outcome = observe(retry(api.call, { upstream: new Upstream(), random: () => 0.5 }));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(api.times).toEqual([0, 750]);
  });

  test('after a firm hint: the hint plus a fifth of it at most, not a multiple of it', async () => {
    const api = server((index) => (index === 0 ? httpError(429, { 'retry-after-ms': '2000' }) : 'ok'));
    const outcome = observe(retry(api.call, { upstream: new Upstream(), random: () => 0.5 }));
    await vi.runAllTimersAsync();
    expect((await outcome).status).toBe('fulfilled');
    expect(api.times).toEqual([0, 2000 + 0.5 * 400]);
  });

  test('after a 503: the same short backoff, and a lone caller\'s own failures never make an outage', async () => {
    const api = server((index) => (index < 3 ? httpError(503) : 'ok'));
    const outcome = observe(retry(api.call, { upstream: new Upstream(), random: () => 0.5 }));
    await vi.runAllTimersAsync();
    expect((await outcome).status).toBe('fulfilled');
    expect(api.times).toEqual([0, 750, 2250, 5250]);
  });
});

describe('a crowd is paced', () => {
  // Ten calls at t = 0: the first two are served, eight are refused; every retry is served.
  const crowd = async (extra: RetryOptions = {}) => {
    const api = server((index) => (index >= 2 && index < 10 ? httpError(429) : 'ok'));
    const retries: RetryEvent[] = [];
    const giveUps: GiveUpEvent[] = [];
    const options: RetryOptions = { upstream: new Upstream(), random: () => 0.5, onRetry: (e) => retries.push(e), onGiveUp: (e) => giveUps.push(e), ...extra };
    const outcomes = Array.from({ length: 10 }, () => observe(retry(api.call, options)));
    await vi.runAllTimersAsync();
    return { api, retries, giveUps, outcomes: await Promise.all(outcomes) };
  };

  test('the others get slots at the served rate, in the order they were refused; the first takes the first turn, sooner than its own delay', async () => {
    const { api, retries } = await crowd();
    // Two served in the first second: 2/s, a turn every 500 ms, before the first refused call's own
    // 750 ms. Each queued call looks again every 250 ms while slow start doubles the rate every
    // 500 ms (within twice what was served plus one), and goes as soon as its turn comes.
    expect(retries.map((event) => event.delay)).toEqual([250, 250, 250, 250, 250, 250, 250, 250]);
    expect(api.times.slice(10)).toEqual([500, 750, 917, 1029, 1139, 1250, 1319, 1383]);
  });

  test('a call whose turn comes later than it may wait gives up at once with the original error', async () => {
    // An upstream that has learned 1/s (and is past slow start) with three calls already queued.
    const state = { ...initialUpstreamState(), rate: 1, slowStart: false, busyUntil: 60_000, ticketsIssued: 3 };
    const store: UpstreamStore = { apply: (_name, transition, argument) => transition(state, argument) };
    const refusal = httpError(429);
    const api = server(() => refusal);
    const giveUps: GiveUpEvent[] = [];
    const outcome = observe(retry(api.call, { upstream: new Upstream({ store }), maxDelay: 3500, onGiveUp: (e) => giveUps.push(e) }));
    await vi.advanceTimersByTimeAsync(0);
    // Its turn: behind three others at 1/s, 4 s away, more than maxDelay: it ends now, with the 429 itself.
    expect(await outcome).toEqual({ status: 'rejected', reason: refusal });
    expect(giveUps).toEqual([{ error: refusal, attempts: 1, reason: 'paced', method: 'call' }]);
    expect(giveUps[0]!.error).toBe(refusal);
    expect(api.times).toEqual([0]);
    expect(state.ticketsIssued).toBe(3);
  });

  test('the engine tells the upstream which refused attempts had waited for their turn', async () => {
    // Contended at 2/s with nobody queued: a new call goes at once, the next one waits its turn.
    const state = { ...initialUpstreamState(), rate: 2, slowStart: false, busyUntil: 60_000 };
    const outcomes: AttemptOutcome[] = [];
    const store: UpstreamStore = {
      apply: (_name, transition, argument) => {
        const outcome = (argument as { outcome?: AttemptOutcome } | undefined)?.outcome;
        if (outcome !== undefined) outcomes.push(outcome);
        return transition(state, argument);
      },
    };
    const refusal = httpError(429);
    const api = server(() => refusal);
    const options: RetryOptions = { upstream: new Upstream({ store }), maxRetries: 0 };
    // The first call's refusal tells this Upstream that it is not calm: later calls ask.
    await expect(retry(api.call, options)).rejects.toBe(refusal);
    const results = [observe(retry(api.call, options)), observe(retry(api.call, options))];
    await vi.runAllTimersAsync();
    expect(await Promise.all(results)).toEqual([{ status: 'rejected', reason: refusal }, { status: 'rejected', reason: refusal }]);
    // The second took the turn due at 500 ms early (nobody waited); the third waits for the next one.
    expect(api.times).toEqual([0, 0, 1000]);
    expect(outcomes.map(({ attempt, paced }) => ({ attempt, paced }))).toEqual([{ attempt: 1, paced: false }, { attempt: 1, paced: false }, { attempt: 1, paced: true }]);
  });

  test('a crowd told the same firm hint comes back paced after it, not in one wave', async () => {
    const api = server((index) => (index >= 2 && index < 6 ? httpError(429, { 'retry-after': '1' }) : 'ok'));
    const options: RetryOptions = { upstream: new Upstream(), random: () => 0 };
    const outcomes = Array.from({ length: 6 }, () => observe(retry(api.call, options)));
    await vi.runAllTimersAsync();
    expect((await Promise.all(outcomes)).every((result) => result.status === 'fulfilled')).toBe(true);
    // Two served: 2/s. The first refused goes at the hint; the others queue behind the cool-down and
    // go one turn apart, sooner as the rate grows (a second of contention has quadrupled it: 7/s,
    // twice what was served plus one), the first refused call's turn counted.
    expect(api.times.slice(6)).toEqual([1000, 1286, 1429, 1537]);
  });
});

describe('an outage is probed, not hammered', () => {
  test('one probe at a time reaches the upstream; its success releases the others within a quarter of a second', async () => {
    const api = server((_index, now) => (now < 5000 ? httpError(503) : 'ok'));
    const options: RetryOptions = { upstream: new Upstream(), maxRetries: 8, random: () => 0.5 };
    const outcomes = Array.from({ length: 20 }, () => observe(retry(api.call, options)));
    await vi.runAllTimersAsync();
    expect((await Promise.all(outcomes)).every((result) => result.status === 'fulfilled')).toBe(true);
    const duringOutage = api.times.filter((time) => time > 0 && time < 5000);
    // Probes every 500 ms while the outage is young: never two at once, nine in all.
    expect(duringOutage).toEqual([500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500]);
    const last = Math.max(...api.times);
    expect(last).toBeGreaterThanOrEqual(5000);
    expect(last).toBeLessThanOrEqual(5000 + 500 + 250);
  });

  test('probes go every 0.5 s while the outage is young, every tenth of its age later, and at least every 3 s', () => {
    const state = { ...initialUpstreamState(), down: true, downSince: 1000 };
    expect([1000, 5000, 6000, 11_000, 31_000, 40_000, 121_000].map((now) => probeGap(state, now))).toEqual([500, 500, 500, 1000, 3000, 3000, 3000]);
  });

  test('a call whose patience ends first gives up with the original error, as "outage"', async () => {
    const outageError = httpError(503);
    const api = server(() => outageError);
    const giveUps: GiveUpEvent[] = [];
    const options: RetryOptions = { upstream: new Upstream(), maxRetries: 2, random: () => 0.5, onGiveUp: (e) => giveUps.push(e) };
    const outcomes = Array.from({ length: 5 }, () => observe(retry(api.call, options)));
    await vi.runAllTimersAsync();
    const results = await Promise.all(outcomes);
    expect(results.every((result) => result.status === 'rejected' && result.reason === outageError)).toBe(true);
    expect(giveUps.map((event) => event.reason)).toContain('outage');
    expect(giveUps.every((event) => event.error === outageError)).toBe(true);
    // After the first wave, one probe at a time, at least 500 ms apart.
    const probes = api.times.slice(5);
    expect(probes.every((time, i) => i === 0 || time - probes[i - 1]! >= 500)).toBe(true);
    expect(probes[0]).toBe(500);
  });
});

describe('it learns', () => {
  test('a process that won a small first share learns the rate in time, not one step per success', async () => {
    // One of ten served at t = 0; every retry is served. At a fixed 1/s, the last would come at 9 s.
    const api = server((index) => (index >= 1 && index < 10 ? httpError(429) : 'ok'));
    const options: RetryOptions = { upstream: new Upstream(), random: () => 0.5 };
    const outcomes = Array.from({ length: 10 }, () => observe(retry(api.call, options)));
    await vi.runAllTimersAsync();
    expect((await Promise.all(outcomes)).every((result) => result.status === 'fulfilled')).toBe(true);
    // The first refused keeps its own 750 ms (its turn at 1/s would come later); the rate then
    // doubles every 500 ms, and the queued calls, looking again every 250 ms, take each turn as it comes.
    expect(api.times.slice(10)).toEqual([750, 1192, 1384, 1518, 1652, 1750, 1834, 1907, 1982]);
  });

  test('calm again once the upstream stops refusing: first attempts go without asking', async () => {
    const upstream = new Upstream();
    const api = server((index) => (index === 1 ? httpError(429) : 'ok'));
    await retry(api.call, { upstream });
    const refused = observe(retry(api.call, { upstream, random: () => 0.5 }));
    await vi.runAllTimersAsync();
    expect((await refused).status).toBe('fulfilled');
    expect(upstream.calm).toBe(false);
    vi.advanceTimersByTime(5000);
    await retry(api.call, { upstream });
    expect(upstream.calm).toBe(true);
  });
});

describe('the happy path', () => {
  /** An in-memory store that counts the transitions applied to it. */
  class CountingStore extends MemoryStore {
    applied = 0;
    override apply<A, R>(upstream: string, transition: Transition<A, R>, argument: A): R {
      this.applied++;
      return super.apply(upstream, transition, argument);
    }
  }

  test('while calm, successes are counted and fold into the state 64 at a time', async () => {
    const store = new CountingStore();
    const options: RetryOptions = { upstream: new Upstream({ name: 'calm', store }) };
    const api = server(() => 'ok');
    for (let i = 0; i < 63; i++) await retry(api.call, options);
    expect(store.applied).toBe(0);
    await retry(api.call, options);
    expect(store.applied).toBe(1);
    expect(store.apply('calm', (state) => state.windowSuccesses, undefined)).toBe(64);
  });

  test('a success that ends after the upstream stopped being calm is applied at once', async () => {
    const store = new CountingStore();
    const upstream = new Upstream({ name: 'busy', store });
    let finish!: (value: string) => void;
    const slow = retry(() => new Promise<string>((resolve) => (finish = resolve)), { upstream });
    const refusal = httpError(429);
    await expect(retry(server(() => refusal).call, { upstream, maxRetries: 0 })).rejects.toBe(refusal);
    const applied = store.applied;
    expect(upstream.calm).toBe(false);
    finish('late');
    expect(await slow).toBe('late');
    expect(store.applied).toBe(applied + 1);
    expect(store.apply('busy', (state) => state.windowSuccesses, undefined)).toBe(1);
  });
});
