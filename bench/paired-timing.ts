/**
 * Paired, interleaved timing. A single ns/op figure drifts with CPU frequency, thermal state and
 * neighbours on a shared machine; the ratio of two batches timed back to back does not drift
 * nearly as much. So every subject batch is paired with a baseline batch next to it, and the
 * ratio of the pair is the sample.
 */

import { median, spreadOf, type Spread } from './stats.js';

/** Runs `n` awaited calls of one subject. Each subject needs its own loop function (see happy-path.ts). */
export type BatchLoop = (n: number) => Promise<void>;

export interface PairedSubject {
  readonly name: string;
  readonly loop: BatchLoop;
}

export interface PairedSamples {
  readonly name: string;
  /** ns per call of the baseline batch of each pair. */
  readonly baselineNsPerOp: number[];
  /** ns per call of the subject batch of each pair. */
  readonly subjectNsPerOp: number[];
  /** subject / baseline, one per round. */
  readonly ratios: number[];
}

export interface PairedTimingPlan {
  readonly batchSize: number;
  readonly rounds: number;
  readonly warmupBatches: number;
}

// With --expose-gc, each batch starts on a clean heap, so no batch pays for the garbage of the
// batch before it (which would charge a wasteful subject's GC to the baseline next to it).
const collectGarbage = (globalThis as { gc?: () => void }).gc ?? (() => {});

/**
 * With `BENCH_CLOCK=cpu`, a batch is timed by the CPU time the process spent on it rather than by
 * the wall clock: on a machine shared with other work, time spent descheduled then counts for
 * neither side of a pair. (Helper threads' CPU time, GC and compilers, counts in.)
 */
const cpuClock = process.env['BENCH_CLOCK'] === 'cpu';
const nowNs = cpuClock
  ? () => { const { user, system } = process.cpuUsage(); return (user + system) * 1000; }
  : () => Number(process.hrtime.bigint());

export async function nsPerOp(loop: BatchLoop, n: number): Promise<number> {
  collectGarbage();
  const start = nowNs();
  await loop(n);
  return (nowNs() - start) / n;
}

export async function timePaired(
  baseline: BatchLoop,
  subjects: readonly PairedSubject[],
  plan: PairedTimingPlan,
): Promise<PairedSamples[]> {
  // Let the JIT reach its optimised tiers before anything counts.
  for (let i = 0; i < plan.warmupBatches; i++) {
    await baseline(plan.batchSize);
    for (const subject of subjects) await subject.loop(plan.batchSize);
  }

  const samples = subjects.map((subject) => ({
    name: subject.name,
    baselineNsPerOp: [] as number[],
    subjectNsPerOp: [] as number[],
    ratios: [] as number[],
  }));

  // Rounds on the outside, so a slow spell of the machine lands on every subject alike; the
  // order inside a pair alternates, so neither side always runs right after a GC-heavy batch.
  for (let round = 0; round < plan.rounds; round++) {
    for (const [index, subject] of subjects.entries()) {
      let baselineNs: number;
      let subjectNs: number;
      if (round % 2 === 0) {
        baselineNs = await nsPerOp(baseline, plan.batchSize);
        subjectNs = await nsPerOp(subject.loop, plan.batchSize);
      } else {
        subjectNs = await nsPerOp(subject.loop, plan.batchSize);
        baselineNs = await nsPerOp(baseline, plan.batchSize);
      }
      const sample = samples[index]!;
      sample.baselineNsPerOp.push(baselineNs);
      sample.subjectNsPerOp.push(subjectNs);
      sample.ratios.push(subjectNs / baselineNs);
    }
  }
  return samples;
}

export interface PairedSummary {
  readonly name: string;
  /** Median ns per call of the subject, over every batch of every process. */
  readonly subjectNsPerOp: number;
  /** Median ns per call of the baseline batches it was paired with. */
  readonly baselineNsPerOp: number;
  /**
   * Each process's median ratio, then the median and range of those: a process is one
   * independent sample of JIT and heap luck, the rounds inside it are not.
   */
  readonly ratio: Spread;
  readonly ratioPerProcess: number[];
}

export function summarisePaired(processes: readonly (readonly PairedSamples[])[]): PairedSummary[] {
  const names = processes[0]?.map((samples) => samples.name) ?? [];
  return names.map((name, index) => {
    const runs = processes.map((samples) => samples[index]!);
    const ratioPerProcess = runs.map((run) => median(run.ratios));
    return {
      name,
      subjectNsPerOp: median(runs.flatMap((run) => run.subjectNsPerOp)),
      baselineNsPerOp: median(runs.flatMap((run) => run.baselineNsPerOp)),
      ratio: spreadOf(ratioPerProcess),
      ratioPerProcess,
    };
  });
}

/**
 * `subject` as a multiple of `base`, both from the same processes: each process's median ratio to
 * the baseline divided by the other's, then the median and range of those quotients.
 */
export function relativeSpread(subject: PairedSummary, base: PairedSummary): Spread {
  return spreadOf(subject.ratioPerProcess.map((ratio, index) => ratio / base.ratioPerProcess[index]!));
}
