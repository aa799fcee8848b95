/**
 * Runs the matrix on every core: each family is cut into shards of points (the big ones into
 * several), and a pool of child processes, one per core, takes the shards longest-first. Virtual
 * time makes the runs deterministic, so where a shard runs changes nothing in its numbers.
 */
import os from 'node:os';
import { runInChild } from '../child-process.js';
import type { Family, PointBase, PointSummary } from './family.js';
import { familyResult, type FamilyResult, type Shard } from './run-matrix.js';

/** Shards per family, roughly by cost; the rest run whole. */
const shardCounts: Record<string, number> = { crowds: 6, batch: 8, mix: 2 };

export interface ShardTask {
  readonly family: string;
  readonly quick: boolean;
  readonly shard: Shard;
}

export async function runMatrix(families: readonly Family<PointBase>[], quick: boolean, progress: (message: string) => void): Promise<FamilyResult[]> {
  const tasks: ShardTask[] = families.flatMap((family) => {
    const count = shardCounts[family.id] ?? 1;
    return Array.from({ length: count }, (_, index) => ({ family: family.id, quick, shard: { index, count } }));
  });
  // The sharded families are the slow ones: start them first so no core idles at the end.
  tasks.sort((a, b) => b.shard.count - a.shard.count);
  const summaries = new Map<string, PointSummary[]>(families.map((family) => [family.id, []]));
  const wallSeconds = new Map<string, number>(families.map((family) => [family.id, 0]));
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      const startedAt = performance.now();
      const shard = await runInChild<PointSummary[]>('matrix-shard', [], [JSON.stringify(task)]);
      summaries.get(task.family)!.push(...shard);
      wallSeconds.set(task.family, wallSeconds.get(task.family)! + (performance.now() - startedAt) / 1000);
      progress(`matrix: ${++done}/${tasks.length} shards (${task.family} ${task.shard.index + 1}/${task.shard.count})`);
    }
  };
  const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  progress(`matrix: ${families.map((family) => family.id).join(', ')} in ${tasks.length} shards on ${cores} processes${quick ? ' (--quick)' : ''}`);
  await Promise.all(Array.from({ length: Math.min(cores, tasks.length) }, worker));
  return families.map((family) => familyResult(family, quick, summaries.get(family.id)!, wallSeconds.get(family.id)!));
}
