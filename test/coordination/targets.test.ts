import { afterEach, describe, expect, it, vi } from 'vitest';
import { retry, shouldFailOver, type RetryEvent, type RetryOptions } from '../../src/index.js';
import { httpError } from '../support/scripted.js';
import { models, twoTargets } from '../support/two-models.js';
import { useVirtualTimePerTest } from '../support/virtual-time.js';

useVirtualTimePerTest();
afterEach(() => vi.restoreAllMocks());

const SCHEDULE: RetryOptions = { maxRetries: 3, initialDelay: 100, multiplier: 2, maxDelay: 30_000, jitter: 'none' };
const rateLimited = (seconds: number) => httpError(429, { 'retry-after': String(seconds) });

/** Starts `count` calls, one every `every` ms from now, and settles them all in virtual time. */
async function callsOverTime(count: number, every: number, run: () => Promise<string>) {
  const results: Promise<{ value?: string; error?: unknown; took: number }>[] = [];
  for (let i = 0; i < count; i++) {
    const started = Date.now();
    results.push(run().then((value) => ({ value, took: Date.now() - started }), (error: unknown) => ({ error, took: Date.now() - started })));
    await vi.advanceTimersByTimeAsync(every);
  }
  await vi.runAllTimersAsync();
  return Promise.all(results);
}

describe('targets: routing', () => {
  it('sends each attempt to the first target, and a 503 on it to the next one at once', async () => {
    const { targets } = twoTargets();
    const retries: RetryEvent[] = [];
    const fake = models((model) => (model === 'primary' ? httpError(503) : undefined));
    const call = retry(fake.call, { ...SCHEDULE, targets, onRetry: (event) => retries.push(event) });
    await vi.runAllTimersAsync();
    await expect(call).resolves.toBe('secondary: ok');
    expect(fake.requests.map((r) => [r.model, r.at])).toEqual([['primary', 0], ['secondary', 10]]);
    expect(retries.map((event) => [event.attempt, event.delay, event.error])).toEqual([[1, 0, fake.requests[0]!.error]]);
  });

  it('never fails over on the caller\'s own fault: a 400 ends the call with that very error', async () => {
    const { targets } = twoTargets();
    const fake = models(() => httpError(400, {}, { code: 'invalid_value' }));
    const call = retry(fake.call, { ...SCHEDULE, targets }).catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    expect(await call).toBe(fake.requests[0]!.error);
    expect(fake.requests.map((r) => r.model)).toEqual(['primary']);
  });

  it('moves insufficient_quota to the next target, and gives up when that one has no quota either', async () => {
    const { targets } = twoTargets();
    const fake = models(() => httpError(429, {}, { code: 'insufficient_quota' }));
    const call = retry(fake.call, { ...SCHEDULE, targets }).catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    expect(await call).toBe(fake.requests[1]!.error);
    expect(fake.requests.map((r) => [r.model, r.at])).toEqual([['primary', 0], ['secondary', 10]]);
  });

  it('once every target failed, retries with the normal backoff of its attempt number, starting again from the first', async () => {
    const { targets } = twoTargets();
    const retries: RetryEvent[] = [];
    const fake = models((_, now) => (now < 200 ? httpError(500) : undefined));
    const call = retry(fake.call, { ...SCHEDULE, targets, onRetry: (event) => retries.push(event) });
    await vi.runAllTimersAsync();
    await expect(call).resolves.toBe('primary: ok');
    expect(fake.requests.map((r) => [r.model, r.at])).toEqual([['primary', 0], ['secondary', 10], ['primary', 220]]);
    // Attempt 2 failed: its backoff is initialDelay · multiplier.
    expect(retries.map((event) => event.delay)).toEqual([0, 200]);
  });

  it('counts a failover as an attempt: with maxRetries 0 there is none', async () => {
    const { targets } = twoTargets();
    const fake = models(() => httpError(503));
    const call = retry(fake.call, { ...SCHEDULE, maxRetries: 0, targets }).catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    expect(await call).toBe(fake.requests[0]!.error);
    expect(fake.requests).toHaveLength(1);
  });

  it('asks failoverIf with the error and the attempt, which knows its target', async () => {
    const { targets } = twoTargets();
    const seen: unknown[] = [];
    const fake = models((model) => (model === 'primary' ? httpError(400) : undefined));
    const failoverIf = (error: unknown, attempt: { target: unknown; attempt: number }) => {
      seen.push([error, attempt.target, attempt.attempt]);
      return true;
    };
    const call = retry(fake.call, { ...SCHEDULE, targets, failoverIf });
    await vi.runAllTimersAsync();
    await expect(call).resolves.toBe('secondary: ok');
    expect(seen).toEqual([[fake.requests[0]!.error, { model: 'primary' }, 1]]);
    expect(shouldFailOver(fake.requests[0]!.error)).toBe(false);
  });
});

describe('targets: cool-downs and probes', () => {
  it('a 429 with retry-after 20: every call succeeds on the secondary, the primary gets one probe per cool-down, and traffic returns within one', async () => {
    const { targets } = twoTargets();
    // The primary refuses until t = 45 s. Each 429 arrives 10 ms after its request, so a cool-down
    // ends 20 s + 10 ms later, and the call of the next whole second probes: at 21 s and 42 s (both
    // refused again), then at 63 s, which succeeds.
    const fake = models((model, now) => (model === 'primary' && now < 45_000 ? rateLimited(20) : undefined));
    const results = await callsOverTime(80, 1000, () => retry(fake.call, { ...SCHEDULE, targets }));
    expect(results.every((result) => result.value !== undefined)).toBe(true);
    expect(fake.times('primary').filter((at) => at <= 63_000)).toEqual([0, 21_000, 42_000, 63_000]);
    // Every call from the successful probe on goes to the primary again.
    expect(fake.times('secondary').filter((at) => at >= 63_000)).toEqual([]);
    expect(fake.times('primary').filter((at) => at >= 63_000)).toHaveLength(17);
    // Failing over costs no wait: the primary's 10 ms answer and the secondary's.
    expect(Math.max(...results.map((result) => result.took))).toBe(20);
    expect(results.slice(1, 20).map((result) => result.took)).toEqual(Array(19).fill(10));
  });

  it('lets only one of the calls that arrive together when a cool-down ends probe the primary', async () => {
    const { targets } = twoTargets();
    const fake = models((model, now) => (model === 'primary' && now < 1000 ? rateLimited(20) : undefined));
    await callsOverTime(1, 0, () => retry(fake.call, { ...SCHEDULE, targets }));
    // The 429 arrived at 10 ms: its cool-down ends at 20,010 ms.
    await vi.advanceTimersByTimeAsync(20_010 - Date.now());
    const crowd = Array.from({ length: 10 }, () => retry(fake.call, { ...SCHEDULE, targets }));
    await vi.runAllTimersAsync();
    expect(await Promise.all(crowd)).toEqual(['primary: ok', ...Array(9).fill('secondary: ok')]);
    expect(fake.times('primary')).toEqual([0, 20_010]);
  });

  it('a primary down for 60 s: calls succeed on the secondary, the primary is probed at most once per probe gap, and wins back the traffic', async () => {
    const { targets } = twoTargets();
    const fake = models((model, now) => (model === 'primary' && now < 60_000 ? httpError(503) : undefined));
    const results = await callsOverTime(450, 200, () => retry(fake.call, { ...SCHEDULE, targets }));
    expect(results.every((result) => result.value !== undefined)).toBe(true);
    const probes = fake.times('primary').filter((at) => at < 60_000);
    // Three calls find it down; then probes at least 500 ms apart (2 s once the outage is long).
    expect(probes.slice(0, 3)).toEqual([0, 200, 400]);
    const gaps = probes.slice(3).map((at, i) => at - probes[i + 2]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(500);
    expect(probes.length).toBeLessThanOrEqual(3 + 60_000 / 500);
    const back = fake.times('primary').find((at) => at >= 60_000)!;
    expect(back - 60_000).toBeLessThanOrEqual(2000);
    // The primary's Upstream spreads the calls it held over 500 ms after the probe; these go on to
    // the secondary meanwhile, and none after.
    expect(fake.times('secondary').filter((at) => at > back + 500)).toEqual([]);
  });

  it('both targets down: the caller gets the last attempt\'s error within its timeout', async () => {
    const { targets } = twoTargets();
    const fake = models(() => httpError(503));
    const results = await callsOverTime(20, 100, () => retry(fake.call, { ...SCHEDULE, maxRetries: 10, timeout: 3000, targets }));
    for (const result of results) {
      expect(fake.requests.map((r) => r.error)).toContain(result.error);
      expect(result.took).toBeLessThanOrEqual(3000);
    }
  });
});
