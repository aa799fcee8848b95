/**
 * Family 4, outages: 100 clients call at t = 0 while the service answers 503 (no hint) for D s.
 * At the defaults a call should not hammer a dead service; asked to outlast it (`maxRetries: 8`,
 * or a `timeout` of 2·D), everyone should be served soon after it ends, having probed little.
 */
import { outageServer } from '../../simulated-server.js';
import { seedsFrom, type Family, type PointBase, type Target } from '../family.js';
import { failed, lastSuccessOver, requestsBeforePerCall, requestsPerCall } from '../measures.js';
import { ourEightRetries, ours, peersAtDefaults } from '../peers.js';

export interface OutagePoint extends PointBase {
  readonly outageMs: number;
  readonly clients: number;
}

const ourTimeoutTwiceOutage = ours<OutagePoint>('retryable timeout: 2·D', (point) => ({ timeout: 2 * point.outageMs }));

/**
 * 8 retries wait 1 + 2 + … + 16 + 3 × 30 = 121 s at most, and a call waits for probes that long: an
 * outage that ends later than that, less a probe gap (3 s), outlasts the calls by their own schedule.
 */
const withinEightRetries = (point: OutagePoint) => point.outageMs + 3000 <= 121_000;

const outlasting = (subject: string, applies?: (point: OutagePoint) => boolean): Target<OutagePoint>[] => [
  { label: `${subject}: 100/100 succeed`, measure: 'failed', sense: 'at most', limit: () => 0, subject, forOtherPeers: false, applies },
  { label: `${subject}: last success ≤ 1.05× D`, measure: 'last/D', sense: 'at most', limit: () => 1.05, subject, forOtherPeers: false, applies },
  { label: `${subject}: ≤ 1.5 calls / client during the outage`, measure: 'calls in outage', sense: 'at most', limit: () => 1.5, subject, forOtherPeers: false },
];

export const outage: Family<OutagePoint> = {
  id: 'outage',
  title: 'Outage: 503 without hint for D s, 100 clients at t = 0',
  description: 'D ∈ {10, 30, 60, 120} s, then healthy. Ours at its defaults, with `maxRetries: 8`, and with `timeout: 2·D`.',
  seeds: (quick) => seedsFrom(quick ? 3 : 5),
  points: () => [10, 30, 60, 120].map((seconds) => ({ id: `D=${seconds} s`, outageMs: seconds * 1000, clients: 100 })),
  peers: [...peersAtDefaults, ourEightRetries, ourTimeoutTwiceOutage],
  server: (point, now) => outageServer(point.outageMs, now),
  workload: (point) => ({ groups: [{ kind: 'crowd', tag: 'crowd', clients: point.clients, startMs: 0 }] }),
  measures: [
    { key: 'calls', label: 'calls / client', digits: 2, perRun: (run) => requestsPerCall(run) },
    { key: 'calls in outage', label: 'calls / client during the outage', digits: 2, perRun: (run, point) => requestsBeforePerCall(run, point.outageMs) },
    { key: 'failed', label: 'failed clients', digits: 0, perRun: (run) => failed(run) },
    { key: 'last/D', label: 'last success / D', digits: 2, perRun: (run, point) => lastSuccessOver(run, point.outageMs) },
  ],
  targets: [
    { label: 'defaults: ≤ 2.0 calls / client in all', measure: 'calls', sense: 'at most', limit: () => 2, subject: 'retryable' },
    ...outlasting(ourEightRetries.name, withinEightRetries),
    ...outlasting(ourTimeoutTwiceOutage.name),
  ],
};
