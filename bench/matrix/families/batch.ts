/**
 * Family 3, batches: M requests drained by a pool of C workers, each taking the next request and
 * awaiting its retried call, against a limit of r/s. The floor is M/r with no refusal at all, if
 * admission knew the limit; the "headers" and "tokens bind" servers tell it on every response.
 */
import { tokenBucketServer } from '../../simulated-server.js';
import { seedsFrom, type Family, type PointBase } from '../family.js';
import { failed, refusals } from '../measures.js';
import { cockatielReadme, naiveLoopDefaults, openAiSdkDefaults, oursThroughFetch, pRetryDefaults } from '../peers.js';

export type BatchServerShape = 'bare 429' | 'retry-after s' | 'x-ratelimit headers' | 'tokens bind';

export interface BatchPoint extends PointBase {
  readonly requests: number;
  readonly workers: number;
  readonly ratePerSecond: number;
  readonly shape: BatchServerShape;
  /** M/r, or the time the token bucket needs for every request's tokens when tokens bind. */
  readonly floorMs: number;
}

/**
 * "Tokens bind": each request is charged `max_tokens` (256) plus its prompt / 4, prompts of 800 to
 * 3,200 characters, against 3,000 tokens/s (burst 1 s of it): about 4 requests/s, below the
 * 10 requests/s limit.
 */
const maxTokens = 256;
export const tokensOf = (index: number) => maxTokens + Math.ceil((800 + ((index * 7919) % 2401)) / 4);
const tokensPerSecond = 3000;

function batchPoint(requests: number, workers: number, ratePerSecond: number, shape: BatchServerShape): BatchPoint {
  let floorMs = (requests / ratePerSecond) * 1000;
  if (shape === 'tokens bind') {
    let tokens = 0;
    for (let index = 0; index < requests; index++) tokens += tokensOf(index);
    floorMs = Math.max(floorMs, ((tokens - tokensPerSecond) / tokensPerSecond) * 1000);
  }
  return { id: `M=${requests} C=${workers} r=${ratePerSecond} ${shape}`, requests, workers, ratePerSecond, shape, floorMs };
}

const announces = (point: BatchPoint) => point.shape === 'x-ratelimit headers' || point.shape === 'tokens bind';

const shapes: readonly BatchServerShape[] = ['bare 429', 'retry-after s', 'x-ratelimit headers', 'tokens bind'];

function points(quick: boolean): BatchPoint[] {
  const result: BatchPoint[] = [];
  for (const shape of shapes) {
    for (const workers of quick ? [10, 50, 200] : [10, 20, 50, 100, 200]) result.push(batchPoint(quick ? 1000 : 2000, workers, 10, shape));
  }
  return result;
}

export const batch: Family<BatchPoint> = {
  id: 'batch',
  title: 'Batch: M requests through a pool of C workers against r = 10/s (burst r)',
  description:
    'C ∈ {10, 20, 50, 100, 200}, M = 2000 (1000 with --quick). Servers: bare 429; `retry-after` in whole seconds; OpenAI `x-ratelimit-*` headers on every response (no `retry-after`); and "tokens bind": the same headers with a token bucket of 3,000/s charged `max_tokens` + prompt/4 (~760 a request), so tokens run out before requests. Floor: M/r, or the tokens\' time when they bind.',
  seeds: (quick) => seedsFrom(quick ? 2 : 5),
  points,
  // Ours wraps the client's fetch with `upstream.fetch()`, as the README shows for SDK clients.
  peers: [pRetryDefaults, cockatielReadme, openAiSdkDefaults, naiveLoopDefaults, oursThroughFetch('retryable')],
  server: (point, now) =>
    tokenBucketServer(
      {
        ratePerSecond: point.ratePerSecond,
        burst: point.ratePerSecond,
        retryAfterHint: point.shape === 'retry-after s' ? 'seconds' : 'none',
        rateLimitHeaders: point.shape === 'x-ratelimit headers' || point.shape === 'tokens bind',
        tokenLimit: point.shape === 'tokens bind' ? { tokensPerSecond, burst: tokensPerSecond } : undefined,
      },
      now,
    ),
  workload: (point) => ({
    groups: [{ kind: 'batch', tag: 'batch', requests: point.requests, workers: point.workers, startMs: 0 }],
    tokensOf: point.shape === 'tokens bind' ? tokensOf : undefined,
  }),
  measures: [
    { key: 'failed', label: 'failed requests', digits: 0, perRun: (run) => failed(run) },
    // Done when the last request settles, served or not: giving up early is not finishing early.
    { key: 'time/floor', label: 'total time / floor', digits: 2, perRun: (run, point) => run.groups[0]!.lastSettledMs / point.floorMs },
    { key: '429s/M', label: '429s / M', digits: 2, perRun: (run, point) => refusals(run) / point.requests },
  ],
  targets: [
    { label: '0 failures', measure: 'failed', sense: 'at most', limit: () => 0, subject: 'retryable' },
    // Issue 12: with the limit announced, admission reaches the floor without refusals; without, pacing comes near it.
    { label: 'headers: total time ≤ 1.05× floor', measure: 'time/floor', sense: 'at most', limit: () => 1.05, subject: 'retryable', applies: (point) => announces(point) },
    { label: 'headers: 429s ≤ 1% of M', measure: '429s/M', sense: 'at most', limit: () => 0.01, subject: 'retryable', applies: (point) => announces(point) },
    { label: 'no headers: total time ≤ 1.1× floor', measure: 'time/floor', sense: 'at most', limit: () => 1.1, subject: 'retryable', applies: (point) => !announces(point) },
    { label: 'no headers: 429s ≤ 5% of M', measure: '429s/M', sense: 'at most', limit: () => 0.05, subject: 'retryable', applies: (point) => !announces(point) },
    // Issue 11 (its C ∈ {20, 100}, and the points between): at C = 200 the first instant alone
    // refuses C − b = 190 requests, 9.5% of M, before any answer has come back.
    { label: 'issue 11, no headers, C ≤ 100: total time ≤ 1.05× M/r', measure: 'time/floor', sense: 'at most', limit: () => 1.05, subject: 'retryable', applies: (point) => !announces(point) && point.workers <= 100 },
    { label: 'issue 11, no headers, C ≤ 100: 429s ≤ 10% of M', measure: '429s/M', sense: 'at most', limit: () => 0.1, subject: 'retryable', applies: (point) => !announces(point) && point.workers <= 100 },
  ],
};
