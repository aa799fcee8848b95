/**
 * Family 6, fully independent callers: 100 clients, each its own process with its own Upstream
 * (ours with `maxRetries: 8`), so nothing is shared but the server. Without shared state the floors
 * are out of reach; the targets are what jitter alone can get near.
 */
import { outageServer, tokenBucketServer, type RetryAfterStyle } from '../../simulated-server.js';
import { seedsFrom, type Family, type PointBase } from '../family.js';
import { failed, lastSuccessOver, requestsPerCall } from '../measures.js';
import { ours, peersAtDefaults, isOurs } from '../peers.js';

export interface IndependentPoint extends PointBase {
  readonly server: 'bucket' | 'outage';
  readonly hint: RetryAfterStyle;
  /** N/r for the bucket, D for the outage. */
  readonly yardstickMs: number;
  readonly calls: number;
  readonly bound: number;
}

const clients = 100;
const points: readonly IndependentPoint[] = [
  { id: '10/s burst 10, bare 429', server: 'bucket', hint: 'none', yardstickMs: 10_000, calls: 3, bound: 1.35, processes: clients },
  { id: '10/s burst 10, retry-after s', server: 'bucket', hint: 'seconds', yardstickMs: 10_000, calls: 2.5, bound: 1.3, processes: clients },
  { id: '60 s outage', server: 'outage', hint: 'none', yardstickMs: 60_000, calls: Number.POSITIVE_INFINITY, bound: 1.2, processes: clients },
];

const ourIndependent = ours<IndependentPoint>('retryable maxRetries: 8, an Upstream per client', () => ({ maxRetries: 8 }));
const isBucket = (point: IndependentPoint) => point.server === 'bucket';

export const independent: Family<IndependentPoint> = {
  id: 'independent',
  title: 'Fully independent callers: 100 clients, each its own process',
  description: 'Against 10/s burst 10 (bare 429, and `retry-after` in whole seconds) and a 60 s outage (503). Yardstick: N/r = 10 s, or D = 60 s.',
  seeds: (quick) => seedsFrom(quick ? 5 : 11),
  points: () => points,
  peers: [...peersAtDefaults.filter((peer) => !isOurs(peer)), ourIndependent],
  server: (point, now) =>
    point.server === 'outage' ? outageServer(point.yardstickMs, now) : tokenBucketServer({ ratePerSecond: 10, burst: 10, retryAfterHint: point.hint }, now),
  workload: () => ({ groups: [{ kind: 'crowd', tag: 'crowd', clients, startMs: 0 }] }),
  measures: [
    { key: 'calls', label: 'calls / client', digits: 2, perRun: (run) => requestsPerCall(run) },
    { key: 'failed', label: 'failed clients', digits: 0, perRun: (run) => failed(run) },
    { key: 'last/yardstick', label: 'last success / yardstick', digits: 2, perRun: (run, point) => lastSuccessOver(run, point.yardstickMs) },
  ],
  targets: [
    { label: '100/100 succeed', measure: 'failed', sense: 'at most', limit: () => 0, subject: ourIndependent.name },
    { label: 'calls / client ≤ 3.0 (bare), 2.5 (retry-after)', measure: 'calls', sense: 'at most', limit: (point) => point.calls, applies: isBucket, subject: ourIndependent.name },
    { label: 'last success ≤ 1.35× (bare), 1.3× (retry-after), 1.2× (outage)', measure: 'last/yardstick', sense: 'at most', limit: (point) => point.bound, subject: ourIndependent.name },
  ],
};
