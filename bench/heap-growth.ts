/**
 * Heap growth: memory still held after many decorated calls, with everything collectable
 * collected. A wrapper that keeps per-call state (listeners, timers, maps keyed by call) shows
 * up here as growth proportional to the number of calls. Needs `--expose-gc`.
 */
import { happyPathSubjects } from './happy-path.js';
import type { BatchLoop } from './paired-timing.js';

export const heapGrowthCalls = 1_000_000;

export interface HeapGrowth {
  readonly name: string;
  readonly calls: number;
  readonly growthMiB: number;
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('heap growth needs node --expose-gc');
  // Twice: the first pass can leave objects that only become unreachable after finalisation.
  gc();
  gc();
}

async function heapGrowthOf(name: string, loop: BatchLoop): Promise<HeapGrowth> {
  await loop(10_000);
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  await loop(heapGrowthCalls);
  collectGarbage();
  const after = process.memoryUsage().heapUsed;
  return { name, calls: heapGrowthCalls, growthMiB: (after - before) / 2 ** 20 };
}

export async function measureHeapGrowth(): Promise<HeapGrowth[]> {
  const { baseline, subjects } = happyPathSubjects();
  const measured = [await heapGrowthOf('bare await fn() (control)', baseline)];
  for (const subject of subjects.filter((candidate) => candidate.name === '@Retryable method' || candidate.name === 'retry()')) {
    measured.push(await heapGrowthOf(subject.name, subject.loop));
  }
  return measured;
}
