/**
 * One process of the fleet (`fleet.ts` forks it): `calls` concurrent chat completions through the
 * real `openai` SDK (its own retries off), half through a `@Retryable` method and half through
 * `retry()`, all sharing one `Upstream` named 'openai' whose state is on Redis (or in this
 * process with `FLEET_REDIS` unset). It reports what it saw to the parent and exits.
 */
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { retry, Retryable, Upstream, type RetryOptions } from 'retryable';
import { redisStore, type RedisStore, type RedisStoreOptions } from 'retryable/redis';

/** What the parent sends in FLEET_CONFIG. */
export interface WorkerConfig {
  readonly index: number;
  readonly calls: number;
  readonly baseURL: string;
  /** Key prefix on Redis; absent: the Upstream's state stays in this process. */
  readonly redisPrefix?: string;
  /** `--timeout`, `--sync-interval`: the store's options, to see what they change. */
  readonly storeOptions?: RedisStoreOptions;
}

/** What a worker reports back. */
export interface WorkerReport {
  readonly index: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Requests sent (attempts), and how many of them the server refused with a 429. */
  readonly attempts: number;
  readonly refused: number;
  /** Date.now() of the last success. */
  readonly lastSuccessAt: number;
  /** The store's counts (Redis runs only): round trips, and decisions made locally (Redis slow or away). */
  readonly roundTrips: number;
  readonly local: number;
  /** Why the calls that failed gave up, counted by reason. */
  readonly giveUps: Record<string, number>;
}

const config = JSON.parse(process.env.FLEET_CONFIG ?? '{}') as WorkerConfig;
const redis = config.redisPrefix === undefined ? undefined : new Redis({ host: '127.0.0.1', port: 6379 });
const store: RedisStore | undefined = redis && redisStore(redis, { prefix: config.redisPrefix, ...config.storeOptions });
const upstream = new Upstream({ name: 'openai', store });
const openai = new OpenAI({ baseURL: config.baseURL, apiKey: 'fleet', maxRetries: 0 });
const giveUps: Record<string, number> = {};
// Enough retries that a call outlasts the crowd; pacing, not the retry count, decides the timing.
const options: RetryOptions = { upstream, maxRetries: 20, onGiveUp: ({ reason }) => void (giveUps[reason] = (giveUps[reason] ?? 0) + 1) };

let attempts = 0;
let refused = 0;
let lastSuccessAt = 0;

/** One request: what both the decorated method and the `retry()` call run per attempt. */
async function ask(question: string): Promise<string> {
  attempts++;
  try {
    const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: question }] });
    lastSuccessAt = Date.now();
    return completion.choices[0]?.message.content ?? '';
  } catch (error) {
    if ((error as { status?: unknown }).status === 429) refused++;
    throw error;
  }
}

class Chat {
  @Retryable(options)
  complete(question: string): Promise<string> {
    return ask(question);
  }
}

async function run(): Promise<WorkerReport> {
  const chat = new Chat();
  const results = await Promise.allSettled(Array.from({ length: config.calls }, (_, i) => {
    const question = `worker ${config.index}, call ${i}`;
    return i % 2 === 0 ? chat.complete(question) : retry(() => ask(question), options);
  }));
  const succeeded = results.filter((result) => result.status === 'fulfilled').length;
  const stats = store?.stats;
  return {
    index: config.index, succeeded, failed: results.length - succeeded, attempts, refused, lastSuccessAt,
    roundTrips: stats?.roundTrips ?? 0, local: stats?.local ?? 0, giveUps,
  };
}

// Ready once Redis answers, so that every worker starts on the parent's one signal.
const connected = redis === undefined ? Promise.resolve() : redis.ping().then(() => undefined);
void connected.then(() => process.send!({ ready: config.index }));
process.once('message', () => {
  void run().then(async (report) => {
    process.send!({ report });
    await redis?.quit();
    process.disconnect();
  });
});
