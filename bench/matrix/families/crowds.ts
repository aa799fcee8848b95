/**
 * Family 2, crowds at t = 0: N clients call at once against a token bucket of rate r and burst b.
 * Within what a call may wait (N/r ≤ 20 s) everyone should be served near the floor (N − b)/r;
 * beyond it (N/r of 30 s and 100 s) not everyone can be, and what matters is that the crowd
 * neither returns in waves nor leaves the limit idle.
 */
import { tokenBucketServer, type RetryAfterStyle } from '../../simulated-server.js';
import { seedsFrom, type Family, type Measure, type PointBase, type Target } from '../family.js';
import { busyFraction, failed, lastSuccessOver, peakArrivals, requestsPerCall } from '../measures.js';
import { peersAtDefaults } from '../peers.js';

export interface CrowdPoint extends PointBase {
  readonly ratePerSecond: number;
  readonly clients: number;
  readonly burst: number;
  readonly hint: RetryAfterStyle;
  /** `within`: N/r ≤ 20 s, everyone can be served; `beyond`: longer than a call may wait. */
  readonly horizon: 'within' | 'beyond';
  /** (N − b)/r, and at least 1 s when the server rounds its hints up to whole seconds. */
  readonly floorMs: number;
}

export const hintLabel: Record<RetryAfterStyle, string> = { none: 'bare 429', seconds: 'retry-after s', ms: 'retry-after-ms' };

export function crowdPoint(ratePerSecond: number, clients: number, burst: number, hint: RetryAfterStyle, horizon: CrowdPoint['horizon']): CrowdPoint {
  const floorMs = Math.max(((clients - burst) / ratePerSecond) * 1000, hint === 'seconds' ? 1000 : 0);
  const id = `r=${ratePerSecond} N=${clients} b=${burst} ${hintLabel[hint]}`;
  return { id, ratePerSecond, clients, burst, hint, horizon, floorMs };
}

const hints: readonly RetryAfterStyle[] = ['none', 'seconds', 'ms'];

function points(quick: boolean): CrowdPoint[] {
  const result: CrowdPoint[] = [];
  for (const hint of hints) {
    for (const rate of quick ? [2, 10] : [2, 10, 50]) {
      for (const seconds of quick ? [1, 5, 20] : [1, 2, 5, 10, 20]) {
        const clients = rate * seconds;
        const bursts = [...new Set([1, Math.max(1, Math.round(rate / 2)), rate, 2 * rate])].filter((burst) => burst < clients);
        for (const burst of bursts) result.push(crowdPoint(rate, clients, burst, hint, 'within'));
      }
    }
    for (const clients of quick ? [300] : [300, 1000]) result.push(crowdPoint(10, clients, 10, hint, 'beyond'));
  }
  return result;
}

export const crowdMeasures: readonly Measure<CrowdPoint>[] = [
  { key: 'last/floor', label: 'last success / floor', digits: 2, perRun: (run, point) => lastSuccessOver(run, point.floorMs) },
  { key: 'calls', label: 'calls / client', digits: 2, perRun: (run) => requestsPerCall(run) },
  { key: 'failed', label: 'failed clients', digits: 0, perRun: (run) => failed(run) },
  { key: 'peak/s', label: 'peak arrivals in 1 s after t = 2 s', digits: 0, perRun: (run) => peakArrivals(run, 2000) },
  { key: 'busy', label: 'successes / (r × last success)', digits: 2, perRun: (run, point) => busyFraction(run, point.ratePerSecond) },
];

const within = (point: CrowdPoint) => point.horizon === 'within';
const beyond = (point: CrowdPoint) => point.horizon === 'beyond';

export const crowdTargets: readonly Target<CrowdPoint>[] = [
  { label: 'N/r ≤ 20 s: all succeed', measure: 'failed', sense: 'at most', limit: () => 0, applies: within, subject: 'retryable' },
  { label: 'N/r ≤ 20 s: last success ≤ 1.15× floor', measure: 'last/floor', sense: 'at most', limit: () => 1.15, applies: within, subject: 'retryable' },
  { label: 'N/r ≤ 20 s: ≤ 2.1 calls / client', measure: 'calls', sense: 'at most', limit: () => 2.1, applies: within, subject: 'retryable' },
  { label: 'N/r ≥ 30 s: ≤ 2.2 calls / client', measure: 'calls', sense: 'at most', limit: () => 2.2, applies: beyond, subject: 'retryable' },
  { label: 'N/r ≥ 30 s: no wave (≤ 3·r in any 1 s after 2 s)', measure: 'peak/s', sense: 'at most', limit: (point) => 3 * point.ratePerSecond, applies: beyond, subject: 'retryable' },
  { label: 'N/r ≥ 30 s: limit busy (≥ 90%)', measure: 'busy', sense: 'at least', limit: () => 0.9, applies: beyond, subject: 'retryable' },
];

export const crowds: Family<CrowdPoint> = {
  id: 'crowds',
  title: 'Crowds at t = 0: N clients against a token bucket (rate r, burst b)',
  description:
    'Every point N/r ∈ {1, 2, 5, 10, 20} s for r ∈ {2, 10, 50}/s and b ∈ {1, r/2, r, 2r} (b < N), plus 300 and 1000 clients against 10/s; each with a bare 429, `retry-after` in whole seconds (rounded up) and the exact `retry-after-ms`. Floor: (N − b)/r, at least 1 s with whole-second hints.',
  seeds: (quick) => seedsFrom(quick ? 3 : 5),
  points,
  peers: peersAtDefaults,
  server: (point, now) => tokenBucketServer({ ratePerSecond: point.ratePerSecond, burst: point.burst, retryAfterHint: point.hint }, now),
  workload: (point) => ({ groups: [{ kind: 'crowd', tag: 'crowd', clients: point.clients, startMs: 0 }] }),
  measures: crowdMeasures,
  targets: crowdTargets,
};
