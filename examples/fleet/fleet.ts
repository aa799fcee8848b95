/**
 * A fleet against one rate limit: the local OpenAI server limits requests to `rate` per second
 * (bucket of `burst`, x-ratelimit-* headers on), and `processes` worker processes each send
 * `calls` concurrent calls at the same moment. With Redis, their Upstreams share one state (one
 * learned rate, one pacing schedule); without it, each process learns alone.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startLocalOpenAIServer } from '../local-openai-server.js';
import type { RedisStoreOptions } from 'retryable/redis';
import type { WorkerConfig, WorkerReport } from './worker.js';

export interface FleetOptions {
  processes: number;
  calls: number;
  /** Requests per second the server serves, and its bucket. */
  rate: number;
  burst: number;
  redis: boolean;
  /** The compiled worker, and the Node flags to run it with. */
  worker: string;
  execArgv?: string[];
  storeOptions?: RedisStoreOptions;
}

export interface FleetResult {
  readonly reports: readonly WorkerReport[];
  /** ms from the start signal to each worker's last success, and to the fleet's. */
  readonly lastSuccessMs: readonly number[];
  readonly totalLastSuccessMs: number;
  /** The least time any client could take: (N − burst) / rate. */
  readonly floorMs: number;
}

export async function runFleet(options: FleetOptions): Promise<FleetResult> {
  const { processes, calls, rate, burst } = options;
  const server = await startLocalOpenAIServer({ limits: { requestsPerMinute: rate * 60, burst, headers: true } });
  const redisPrefix = options.redis ? `retryable-fleet-${randomUUID()}` : undefined;
  try {
    const workers = Array.from({ length: processes }, (_, index) => {
      const config: WorkerConfig = { index, calls, baseURL: server.url, redisPrefix, storeOptions: options.storeOptions };
      return fork(options.worker, [], { env: { ...process.env, FLEET_CONFIG: JSON.stringify(config) }, execArgv: options.execArgv ?? [] });
    });
    const message = (worker: (typeof workers)[number], key: 'ready' | 'report') =>
      new Promise<unknown>((resolve, reject) => {
        const onMessage = (received: Record<string, unknown>) => {
          if (!(key in received)) return;
          worker.off('message', onMessage);
          resolve(received[key]);
        };
        worker.on('message', onMessage);
        worker.once('exit', (code) => reject(new Error(`fleet worker exited with ${code} before sending ${key}`)));
      });
    await Promise.all(workers.map((worker) => message(worker, 'ready')));
    const reports = workers.map((worker) => message(worker, 'report') as Promise<WorkerReport>);
    const startedAt = Date.now();
    for (const worker of workers) worker.send({ go: true });
    const done = await Promise.all(reports);
    const lastSuccessMs = done.map((report) => report.lastSuccessAt - startedAt);
    return { reports: done, lastSuccessMs, totalLastSuccessMs: Math.max(...lastSuccessMs), floorMs: ((processes * calls - burst) / rate) * 1000 };
  } finally {
    await server.close();
    if (redisPrefix !== undefined) await deleteKeys(redisPrefix);
  }
}

/** Keys expire by themselves (TTL); a finished run removes them at once. */
async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}

/** The table `npm run example:fleet` prints. */
export function formatFleet(result: FleetResult, options: Pick<FleetOptions, 'redis' | 'calls'>): string[] {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const row = (cells: (string | number)[]) => cells.map((cell, i) => String(cell).padStart(i === 0 ? 8 : 13)).join('');
  const lines = [`fleet ${options.redis ? 'with Redis (one shared Upstream state)' : 'without Redis (--no-redis: an Upstream per process)'}`];
  lines.push(row(['process', 'calls', 'succeeded', 'attempts', '429s', 'last success', 'round trips', 'local']));
  result.reports.forEach((report, i) => {
    lines.push(row([report.index, options.calls, report.succeeded, report.attempts, report.refused, seconds(result.lastSuccessMs[i]!), report.roundTrips, report.local]));
  });
  const sum = (pick: (report: WorkerReport) => number) => result.reports.reduce((total, report) => total + pick(report), 0);
  const calls = result.reports.length * options.calls;
  lines.push(row(['total', calls, sum((r) => r.succeeded), sum((r) => r.attempts), sum((r) => r.refused), seconds(result.totalLastSuccessMs), sum((r) => r.roundTrips), sum((r) => r.local)]));
  lines.push(
    `floor ${seconds(result.floorMs)}; last success at ${(result.totalLastSuccessMs / result.floorMs).toFixed(2)}× the floor; ` +
      `${(sum((r) => r.attempts) / calls).toFixed(2)} requests per call; 429s ${((100 * sum((r) => r.refused)) / sum((r) => r.attempts)).toFixed(0)}% of requests` +
      (options.redis ? `; ${(sum((r) => r.roundTrips) / sum((r) => r.attempts)).toFixed(2)} Redis round trips per request` : ''),
  );
  const giveUps = result.reports.flatMap((report) => Object.entries(report.giveUps).map(([reason, count]) => `${count} ${reason}`));
  if (giveUps.length > 0) lines.push(`gave up: ${giveUps.join(', ')}`);
  return lines;
}
