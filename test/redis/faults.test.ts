import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { retry, Upstream } from 'retryable';
import { redisStore, type RedisStore } from 'retryable/redis';
import type { UpstreamState } from '../../src/coordination/upstream-state.js';
import { clientKinds, connect, deleteUnder, fakeRedis, PrivateRedis, uniquePrefix, type TestClient } from './support.js';

const takeSlot = (state: UpstreamState, step: number) => (state.ticketsIssued += step);
/** Redis may add at most this to a decision (the brief's bound), far above the 5 ms timeout. */
const MOST_ADDED_MS = 100;

/** Applies and measures: the result, how long it took, and whether it came synchronously. */
async function timedApply(store: RedisStore, step = 1): Promise<{ value: number; ms: number; sync: boolean }> {
  const started = performance.now();
  const result = store.apply('openai', takeSlot, step);
  const sync = !(result instanceof Promise);
  const value = await result;
  return { value, ms: performance.now() - started, sync };
}

describe.each(clientKinds)('redisStore fails open on %s', (kind) => {
  let server: PrivateRedis;
  let client: TestClient;
  let prefix: string;

  beforeAll(async () => {
    server = await PrivateRedis.start();
    client = await connect(kind, server.port);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    await client.quit();
    await server.stop();
  });

  /** Moves the store's clock (Date.now) past its back-off without sleeping. */
  const pastBackOff = (ms: number) => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + ms);
  };

  it('decides locally at once when the server dies mid-run, then resyncs with the fleet after its restart', async () => {
    prefix = uniquePrefix();
    // A timeout well under the bound, yet above what a loaded machine's loopback may take.
    const store = redisStore(client.client, { prefix, timeout: 50, retryAfter: 1000 });
    expect((await timedApply(store)).value).toBe(1);
    const localBefore = store.stats.local;
    await server.stop();

    const during = await timedApply(store);
    expect(during.value).toBe(2);
    expect(during.ms).toBeLessThan(MOST_ADDED_MS);
    const backedOff = await timedApply(store);
    expect(backedOff).toMatchObject({ value: 3, sync: true }); // no round trip during the back-off
    expect(store.stats.local - localBefore).toBe(2);

    await server.restart();
    await client.ready();
    const other = await connect(kind, server.port);
    try {
      // Another process wrote to the restarted server meanwhile: the next decision starts from its state.
      expect(await redisStore(other.client, { prefix }).apply('openai', takeSlot, 100)).toBe(100);
      pastBackOff(1000);
      const after = await timedApply(store);
      expect(after).toMatchObject({ value: 101, sync: false });
      expect(store.stats.conflicts).toBe(1);
    } finally {
      await deleteUnder(other, prefix);
      await other.quit();
    }
  });

  it('times out a server that stops answering (CLIENT PAUSE) and decides locally', async () => {
    prefix = uniquePrefix();
    const store = redisStore(client.client, { prefix, timeout: 5 });
    expect((await timedApply(store)).value).toBe(1);
    await client.command('CLIENT', 'PAUSE', '100', 'ALL');
    const paused = await timedApply(store);
    expect(paused.value).toBe(2);
    expect(paused.ms).toBeLessThan(MOST_ADDED_MS);
    expect(store.stats.failures).toBe(1);
    await deleteUnder(client, prefix);
  });

  it('reloads its script after SCRIPT FLUSH (NOSCRIPT) without failing open', async () => {
    prefix = uniquePrefix();
    const store = redisStore(client.client, { prefix, timeout: 1000 });
    expect((await timedApply(store)).value).toBe(1);
    await client.command('SCRIPT', 'FLUSH');
    expect((await timedApply(store)).value).toBe(2);
    expect(store.stats).toMatchObject({ roundTrips: 2, local: 0, failures: 0 });
    await deleteUnder(client, prefix);
  });
});

describe.each(clientKinds)('redisStore against a broken server, on %s', (kind) => {
  let shared: TestClient;
  beforeAll(async () => {
    shared = await connect(kind);
  });
  afterAll(async () => shared.quit());

  it.each(['silent', 'nonsense', 'wrong-shape'] as const)('decides locally when the server is %s', async (mode) => {
    const fake = await fakeRedis(mode);
    const client = await connect(kind, fake.port);
    try {
      const store = redisStore(client.client, { timeout: 5 });
      const first = await timedApply(store);
      expect(first.value).toBe(1);
      expect(first.ms).toBeLessThan(MOST_ADDED_MS);
      expect(fake.evals()).toBeGreaterThanOrEqual(1);
      expect(store.stats).toMatchObject({ roundTrips: 1, failures: 1, local: 1 });
      expect(await timedApply(store)).toMatchObject({ value: 2, sync: true });
    } finally {
      await client.quit();
      await fake.close();
    }
  });

  it('decides locally when the key holds another type (WRONGTYPE), and never rejects', async () => {
    const store = redisStore(shared.client, { prefix: uniquePrefix() });
    await shared.command('SET', store.key('openai'), 'not a hash');
    try {
      expect((await timedApply(store)).value).toBe(1);
      expect(store.stats).toMatchObject({ failures: 1, local: 1 });
    } finally {
      await shared.command('DEL', store.key('openai'));
    }
  });

  it('replaces a state that is not one (garbage in the hash) with a fresh one', async () => {
    const store = redisStore(shared.client, { prefix: uniquePrefix(), timeout: 1000 });
    const key = store.key('openai');
    await shared.command('HSET', key, 'v', '7', 's', '{"rate":"fast"}');
    try {
      expect((await timedApply(store)).value).toBe(1);
      expect(await shared.command('HGET', key, 'v')).toBe('8');
      expect(JSON.parse((await shared.command('HGET', key, 's')) as string)).toMatchObject({ ticketsIssued: 1, rate: 0 });
    } finally {
      await shared.command('DEL', key);
    }
  });

  it('adds at most a timeout per decision to a call whose Upstream is busy while Redis never answers', async () => {
    const fake = await fakeRedis('silent');
    const client = await connect(kind, fake.port);
    try {
      // retryAfter 0: every decision tries Redis and waits out the timeout, the worst case.
      const upstream = new Upstream({ name: 'openai', store: redisStore(client.client, { timeout: 5, retryAfter: 0 }) });
      const refused = Object.assign(new Error('429'), { status: 429 });
      let attempts = 0;
      const started = performance.now();
      const value = await retry(async () => {
        if (++attempts === 1) throw refused;
        return 'ok';
      }, { upstream, initialDelay: 10, jitter: 'none', rateLimit: { initialDelay: 10, jitter: 'none' } });
      expect(value).toBe('ok');
      expect(attempts).toBe(2);
      expect(performance.now() - started).toBeLessThan(10 + MOST_ADDED_MS);
    } finally {
      await client.quit();
      await fake.close();
    }
  });
});
