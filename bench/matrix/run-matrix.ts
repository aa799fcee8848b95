/**
 * Runs families of the matrix: every point × peer × seed in virtual time, summarised over seeds
 * and judged against the targets.
 */
import { median, percentile } from '../stats.js';
import type { Aggregate, Family, PointBase, PointSummary } from './family.js';
import { simulate, type SimulationRun } from './simulation.js';
import { judge, type Verdict } from './targets.js';

export interface FamilyResult {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly seeds: number;
  readonly points: readonly string[];
  readonly peers: readonly string[];
  readonly measures: readonly { key: string; label: string; digits: number }[];
  readonly shown: readonly string[];
  readonly summaries: readonly PointSummary[];
  readonly verdicts: readonly Verdict[];
  readonly wallSeconds: number;
}

function aggregate(values: readonly (number | null)[], how: Aggregate): number | null {
  const present = values.filter((value): value is number => value !== null);
  if (present.length === 0) return null;
  if (how === 'median') return median(present);
  if (how === 'p95') return percentile(present, 0.95);
  return how === 'min' ? Math.min(...present) : Math.max(...present);
}

function summarise<P extends PointBase>(family: Family<P>, point: P, peer: string, runs: readonly SimulationRun[]): PointSummary {
  const values: Record<string, number | null> = {};
  const perSeed: Record<string, (number | null)[]> = {};
  for (const measure of family.measures) {
    perSeed[measure.key] = runs.map((run) => measure.perRun(run, point));
    values[measure.key] = aggregate(perSeed[measure.key]!, measure.aggregate ?? 'median');
  }
  return {
    point: point.id,
    peer,
    values,
    perSeed,
    unexpectedErrors: runs.reduce((total, run) => total + run.unexpectedErrors.length, 0),
    leftoverTimers: runs.reduce((total, run) => total + run.leftoverTimers, 0),
  };
}

export async function runFamily<P extends PointBase>(family: Family<P>, quick: boolean, progress: (message: string) => void): Promise<FamilyResult> {
  const startedAt = performance.now();
  const seeds = family.seeds(quick);
  const points = family.points(quick);
  progress(`${family.id}: ${points.length} points × ${family.peers.length} peers × ${seeds.length} seeds`);
  const summaries: PointSummary[] = [];
  for (const point of points) {
    for (const peer of family.peers) {
      const runs: SimulationRun[] = [];
      for (const seed of seeds) {
        runs.push(
          await simulate({
            point,
            peer,
            seed,
            processes: point.processes ?? 1,
            server: (now) => family.server(point, now),
            workload: family.workload(point),
          }),
        );
      }
      summaries.push(summarise(family, point, peer.name, runs));
    }
  }
  return {
    id: family.id,
    title: family.title,
    description: family.description,
    seeds: seeds.length,
    points: points.map((point) => point.id),
    peers: family.peers.map((peer) => peer.name),
    measures: family.measures.map(({ key, label, digits }) => ({ key, label, digits })),
    shown: family.shown ?? family.measures.map((measure) => measure.key),
    summaries,
    verdicts: judge(family, summaries, quick),
    wallSeconds: (performance.now() - startedAt) / 1000,
  };
}
