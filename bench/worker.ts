/**
 * Entry point of the child processes that main.ts forks: runs one measurement and sends the
 * result back over IPC. Not meant to be run by hand.
 */
import { alsCostSubjects } from './als-cost.js';
import type { WorkerRole } from './child-process.js';
import { happyPathSubjects } from './happy-path.js';
import { measureHeapGrowth } from './heap-growth.js';
import { families } from './matrix/families/index.js';
import type { ShardTask } from './matrix/parallel.js';
import { summariseShard } from './matrix/run-matrix.js';
import { timePaired } from './paired-timing.js';
import { pairedTimingPlan } from './plan.js';

async function measure(role: WorkerRole): Promise<unknown> {
  switch (role) {
    case 'happy-path': {
      const { baseline, subjects } = happyPathSubjects();
      return timePaired(baseline, subjects, pairedTimingPlan);
    }
    case 'als-cost': {
      const { baseline, subjects } = alsCostSubjects();
      return timePaired(baseline, subjects, pairedTimingPlan);
    }
    case 'heap-growth':
      return measureHeapGrowth();
    case 'matrix-shard': {
      const task = JSON.parse(process.argv[3]!) as ShardTask;
      const family = families.find((candidate) => candidate.id === task.family)!;
      return summariseShard(family, task.quick, task.shard);
    }
  }
}

const role = process.argv[2] as WorkerRole;
const result = await measure(role);
process.send!(result, () => process.disconnect());
