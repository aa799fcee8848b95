/**
 * Family 1, the lone caller: one call, one refusal, then 200. Nobody else is there, so the only
 * right wait is the shortest the server allows: what a single 429 or 503 costs a user.
 */
import { scriptedServer } from '../../simulated-server.js';
import { seedsFrom, type Family, type Measure, type PointBase } from '../family.js';
import { peersAtDefaults } from '../peers.js';

export interface LonePoint extends PointBase {
  readonly status: 429 | 503;
  readonly headers: Record<string, string>;
  /** The firm hint in seconds, if the refusal carries one. */
  readonly hintSeconds?: number;
}

const points: readonly LonePoint[] = [
  { id: '429, no hint', status: 429, headers: {} },
  { id: '429, retry-after-ms: 200', status: 429, headers: { 'retry-after-ms': '200' }, hintSeconds: 0.2 },
  { id: '429, retry-after: 1', status: 429, headers: { 'retry-after': '1' }, hintSeconds: 1 },
  { id: '429, retry-after: 5', status: 429, headers: { 'retry-after': '5' }, hintSeconds: 5 },
  { id: '503, no hint', status: 503, headers: {} },
];

const timeToSuccess = (aggregate: Measure<LonePoint>['aggregate'], label: string): Measure<LonePoint> => ({
  key: `time ${aggregate}`,
  label,
  aggregate,
  digits: 2,
  perRun: (run) => {
    const [time] = run.groups[0]!.timesToSuccessMs;
    return time === undefined ? null : time / 1000;
  },
});

const isHinted = (point: LonePoint) => point.hintSeconds !== undefined;
const unhinted429 = (point: LonePoint) => point.status === 429 && !isHinted(point);

export const loneCaller: Family<LonePoint> = {
  id: 'lone',
  title: 'Lone caller: one refusal, then 200',
  description: 'One call; the server refuses it once as the point says, then serves everything. Time from the call to its success, over the seeds.',
  seeds: (quick) => seedsFrom(quick ? 25 : 51),
  points: () => points,
  peers: peersAtDefaults,
  server: (point, now) => scriptedServer([{ status: point.status, headers: point.headers }], now),
  workload: () => ({ groups: [{ kind: 'crowd', tag: 'lone', clients: 1, startMs: 0 }] }),
  measures: [
    timeToSuccess('median', 'median (s)'),
    timeToSuccess('p95', 'p95 (s)'),
    timeToSuccess('min', 'min (s)'),
  ],
  targets: [
    { label: 'no hint: median ≤ 1.0 s', measure: 'time median', sense: 'at most', limit: () => 1, applies: unhinted429, subject: 'retryable' },
    { label: 'no hint: p95 ≤ 2.0 s', measure: 'time p95', sense: 'at most', limit: () => 2, applies: unhinted429, subject: 'retryable' },
    { label: 'firm hint h: never before h', measure: 'time min', sense: 'at least', limit: (point) => point.hintSeconds!, applies: isHinted, subject: 'retryable' },
    {
      label: 'firm hint h: median ≤ 1.1·h + 0.1 s',
      measure: 'time median',
      sense: 'at most',
      limit: (point) => 1.1 * point.hintSeconds! + 0.1,
      applies: isHinted,
      subject: 'retryable',
    },
    { label: '503: median ≤ 1.0 s', measure: 'time median', sense: 'at most', limit: () => 1, applies: (point) => point.status === 503, subject: 'retryable' },
  ],
};
