import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Upstream, type RetryRequest } from 'retryable';
import { redisStore, type RedisStore } from 'retryable/redis';
import type { UpstreamState } from '../../src/coordination/upstream-state.js';
import { MemoryStore } from '../../src/coordination/upstream-store.js';
import { clientKinds, connect, deleteUnder, keysUnder, uniquePrefix, type TestClient } from './support.js';

/** A transition that hands out the next of a sequence of slots: any lost update shows as a duplicate. */
const takeSlot = (state: UpstreamState, step: number) => (state.ticketsIssued += step);

const retryAfter429 = (now: number): RetryRequest => ({
  now, attempt: 2, maxWait: 60_000, patience: 60_000, random: () => 0.5, failure: 'rate-limit', firmHint: undefined, ownDelay: 1000, probed: false, error: new Error('429'),
});

describe.each(clientKinds)('redisStore on %s', (kind) => {
  const clients: TestClient[] = [];
  let admin: TestClient;
  let prefix: string;

  beforeAll(async () => {
    admin = await connect(kind);
    for (let i = 0; i < 4; i++) clients.push(await connect(kind));
  });
  afterEach(async () => deleteUnder(admin, prefix));
  afterAll(async () => {
    for (const client of [admin, ...clients]) await client.quit();
  });

  /**
   * Four processes' worth of stores: each its own client, as separate machines would have. The
   * timeout is generous: these tests are about what is shared, and a loaded test machine must not
   * fail them open (faults.test.ts is about the timeout).
   */
  const fleet = (options = {}): RedisStore[] => {
    prefix = uniquePrefix();
    return clients.map((client) => redisStore(client.client, { prefix, timeout: 1000, ...options }));
  };

  it('hands out every slot once when four stores take slots at the same time (compare-and-set)', async () => {
    const stores = fleet();
    const taken: number[] = [];
    for (let round = 0; round < 5; round++) {
      const rounds = stores.flatMap((store) => Array.from({ length: 10 }, () => store.apply('openai', takeSlot, 1)));
      taken.push(...(await Promise.all(rounds)));
    }
    expect([...taken].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(stores.reduce((sum, store) => sum + store.stats.local, 0)).toBe(0);
    // All four sent on the same version in each round: three of them had to run their batch again.
    expect(stores.reduce((sum, store) => sum + store.stats.conflicts, 0)).toBeGreaterThanOrEqual(15);
    // Each store's 10 applies of a round went in one batch: one round trip, plus one per conflict.
    for (const store of stores) expect(store.stats.roundTrips).toBe(5 + store.stats.conflicts);
  });

  it('gives four Upstreams on one name the pacing slots one Upstream in memory gives', async () => {
    const stores = fleet();
    const shared = stores.map((store) => new Upstream({ name: 'openai', store }));
    const alone = new Upstream({ name: 'openai', store: new MemoryStore() });
    const refusal = { now: 10_000, attempt: 1, failure: 'rate-limit', status: 429, firmHint: undefined, error: new Error('429') } as const;
    // Five successes in the second before the first refusal: the learned rate is 5 per second.
    for (const upstream of [shared[0]!, alone]) {
      for (let i = 0; i < 5; i++) upstream.recordSuccess(9_500);
      upstream.record(refusal);
    }
    const sharedWaits = await Promise.all(shared.flatMap((upstream) => Array.from({ length: 6 }, () => upstream.scheduleRetry(retryAfter429(10_000)))));
    const aloneWaits = Array.from({ length: 24 }, () => alone.scheduleRetry(retryAfter429(10_000)));
    const slots = (answers: readonly unknown[]) => answers.map((answer) => (answer as { wait: number }).wait).sort((a, b) => a - b);
    // The same slots, whatever order the four took them in: no slot was lost or handed out twice.
    expect(slots(sharedWaits)).toEqual(slots(aloneWaits));
  });

  it('keeps one key per upstream, under its hash tag, with a TTL that every decision refreshes', async () => {
    const [store] = fleet({ ttl: 60_000 });
    await store!.apply('openai', takeSlot, 1);
    await store!.apply('gpt-4o-mini@azure', takeSlot, 1);
    expect(await keysUnder(admin, prefix)).toEqual([`${prefix}:{gpt-4o-mini@azure}:state`, `${prefix}:{openai}:state`]);
    for (const key of await keysUnder(admin, prefix)) {
      const ttl = (await admin.command('PTTL', key)) as number;
      expect(ttl).toBeGreaterThan(59_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
    await admin.command('PEXPIRE', store!.key('openai'), '5000');
    await store!.apply('openai', (state) => state.rate, undefined); // a read: nothing written, TTL refreshed
    expect((await admin.command('PTTL', store!.key('openai'))) as number).toBeGreaterThan(59_000);
  });

  it('counts successes of a calm Upstream locally: one round trip per syncInterval, not per success', async () => {
    const [store] = fleet({ syncInterval: 250 });
    const upstream = new Upstream({ name: 'openai', store: store! });
    for (let i = 0; i < 100; i++) upstream.recordSuccess(1_000);
    await store!.apply('openai', () => undefined, undefined);
    expect(store!.stats.roundTrips).toBe(1); // the first success's fold, and this read, in one batch
    for (let i = 0; i < 100; i++) upstream.recordSuccess(1_249);
    upstream.recordSuccess(1_250); // 250 ms after the last fold: this one folds the 200 counted since
    const state = await store!.apply('openai', (shared) => ({ ...shared }), undefined);
    expect(store!.stats.roundTrips).toBe(2); // the fold and the read, again in one batch
    expect(state.windowSuccesses).toBe(201);
    expect(state.previousWindowSuccesses).toBe(0);
  });

  it('lets a calm process learn, at its next fold, that another one was refused', async () => {
    const [mine, theirs] = fleet({ syncInterval: 250 });
    const calmOne = new Upstream({ name: 'openai', store: mine! });
    const refused = new Upstream({ name: 'openai', store: theirs! });
    calmOne.recordSuccess(1_000);
    await mine!.apply('openai', () => undefined, undefined);
    refused.record({ now: 1_100, attempt: 1, failure: 'rate-limit', status: 429, firmHint: 2_000, error: new Error('429') });
    await theirs!.apply('openai', () => undefined, undefined);
    calmOne.recordSuccess(1_200); // before its next fold: still calm, no round trip
    expect(calmOne.calm).toBe(true);
    calmOne.recordSuccess(1_250);
    await mine!.apply('openai', () => undefined, undefined);
    expect(calmOne.calm).toBe(false);
  });

  it('fails only the apply whose transition throws, with that very error, and commits the rest of its batch', async () => {
    const [store] = fleet();
    const bug = new Error('a bug in a transition');
    const results = await Promise.allSettled([
      store!.apply('openai', takeSlot, 1),
      store!.apply('openai', () => {
        throw bug;
      }, undefined),
      store!.apply('openai', takeSlot, 1),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect((results[1] as PromiseRejectedResult).reason).toBe(bug);
    expect(results[2]).toEqual({ status: 'fulfilled', value: 2 });
    expect(JSON.parse((await admin.command('HGET', store!.key('openai'), 's')) as string).ticketsIssued).toBe(2);
  });
});

describe('redisStore()', () => {
  it('refuses what is not a Redis client, and options out of range', () => {
    expect(() => redisStore({} as never)).toThrow(new TypeError('redisStore(): client must be an ioredis client or a node-redis client (redis@4 or later), got an object with keys (none)'));
    const client = { evalsha: async () => [1, '1'], eval: async () => [1, '1'] };
    expect(() => redisStore(client, { timeout: -1 })).toThrow(new TypeError('redisStore(): timeout must be a finite number of ms, at least 0, got -1'));
    expect(() => redisStore(client, { ttl: Infinity })).toThrow(new TypeError('redisStore(): ttl must be a finite number of ms, at least 0, got Infinity'));
    expect(() => redisStore(client, { prefix: '' })).toThrow(new TypeError('redisStore(): prefix must be a non-empty string, got ""'));
  });
});
