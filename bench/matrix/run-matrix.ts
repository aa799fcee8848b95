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

/** Every `count`-th point of a family, from `index`: the share of one child process. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Runs one shard of a family's points (all of them by default): every peer × seed at each. */
export async function summariseShard<P extends PointBase>(family: Family<P>, quick: boolean, shard: Shard = { index: 0, count: 1 }): Promise<PointSummary[]> {
  const seeds = family.seeds(quick);
  const summaries: PointSummary[] = [];
  for (const [pointIndex, point] of family.points(quick).entries()) {
    if (pointIndex % shard.count !== shard.index) continue;
    for (const peer of family.peers) {
      const runs: SimulationRun[] = [];
      for (const seed of seeds) {
        const server = (now: () => number) => family.server(point, now);
        runs.push(await simulate({ point, peer, seed, processes: point.processes ?? 1, server, workload: family.workload(point) }));
      }
      summaries.push(summarise(family, point, peer.name, runs));
    }
  }
  return summaries;
}

/** The family's result from the summaries of all its shards, in any order. */
export function familyResult<P extends PointBase>(family: Family<P>, quick: boolean, summaries: readonly PointSummary[], wallSeconds: number): FamilyResult {
  const points = family.points(quick);
  const position = (summary: PointSummary) =>
    points.findIndex((point) => point.id === summary.point) * family.peers.length + family.peers.findIndex((peer) => peer.name === summary.peer);
  const ordered = [...summaries].sort((a, b) => position(a) - position(b));
  return {
    id: family.id,
    title: family.title,
    description: family.description,
    seeds: family.seeds(quick).length,
    points: points.map((point) => point.id),
    peers: family.peers.map((peer) => peer.name),
    measures: family.measures.map(({ key, label, digits }) => ({ key, label, digits })),
    shown: family.shown ?? family.measures.map((measure) => measure.key),
    summaries: ordered,
    verdicts: judge(family, ordered, quick),
    wallSeconds,
  };
}
