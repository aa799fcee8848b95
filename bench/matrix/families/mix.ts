/**
 * Family 7, a mix: a batch of 1000 requests through 50 workers runs from t = 0 against 10/s
 * (burst 10), and a crowd of 100 arrives at t = 10 s. No target yet: it shows who pays for whom.
 */
import { tokenBucketServer, type RetryAfterStyle } from '../../simulated-server.js';
import { seedsFrom, type Family, type Measure, type PointBase } from '../family.js';
import { group } from '../measures.js';
import type { GroupResult, SimulationRun } from '../simulation.js';
import { peersAtDefaults } from '../peers.js';
import { hintLabel } from './crowds.js';

export interface MixPoint extends PointBase {
  readonly hint: RetryAfterStyle;
}

const refusalsOf = (run: SimulationRun, tag: string) => run.requests.filter((request) => request.tag === tag && request.status === 429).length;

function measuresOf(tag: 'batch' | 'crowd'): Measure<MixPoint>[] {
  const of = (run: SimulationRun): GroupResult => group(run, tag);
  return [
    { key: `${tag} done`, label: `${tag}: last success (s)`, digits: 1, perRun: (run) => (of(run).lastSuccessMs ?? Number.NaN) / 1000 },
    { key: `${tag} failed`, label: `${tag}: failed`, digits: 0, perRun: (run) => of(run).calls - of(run).succeeded },
    { key: `${tag} 429s`, label: `${tag}: 429s`, digits: 0, perRun: (run) => refusalsOf(run, tag) },
  ];
}

export const mix: Family<MixPoint> = {
  id: 'mix',
  title: 'Mix: a crowd of 100 arrives at t = 10 s while a batch of 1000 runs through 50 workers, 10/s burst 10',
  description: 'Both groups\' completion and 429s, with a bare 429 and with `retry-after` in whole seconds. The floor for everything is 1100/10 = 110 s. No target yet.',
  seeds: (quick) => seedsFrom(quick ? 2 : 5),
  points: () => (['none', 'seconds'] as RetryAfterStyle[]).map((hint) => ({ id: hintLabel[hint], hint })),
  peers: peersAtDefaults,
  server: (point, now) => tokenBucketServer({ ratePerSecond: 10, burst: 10, retryAfterHint: point.hint }, now),
  workload: () => ({
    groups: [
      { kind: 'batch', tag: 'batch', requests: 1000, workers: 50, startMs: 0 },
      { kind: 'crowd', tag: 'crowd', clients: 100, startMs: 10_000 },
    ],
  }),
  measures: [...measuresOf('batch'), ...measuresOf('crowd')],
  targets: [],
};
