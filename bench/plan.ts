/**
 * Every knob that sets how long `npm run bench` takes, in one place. The defaults aim at about
 * two minutes on a 2-core machine; the happy path dominates (p-retry alone takes ~1 s a batch).
 */
import type { PairedTimingPlan } from './paired-timing.js';

/** Fresh processes per paired measurement; their spread is the reported range. */
export const processCount = 5;

// 1e5 awaited calls per batch: long enough (a few ms even for the bare loop) that timer resolution
// and one-off pauses stay small, short enough for a dozen rounds per process in the budget.
export const pairedTimingPlan: PairedTimingPlan = { batchSize: 100_000, rounds: 12, warmupBatches: 3 };

/** Contention runs are cheap in virtual time, so many seeds: the last success is a noisy maximum. */
export const contentionSeeds: readonly number[] = Array.from({ length: 11 }, (_, index) => index + 1);
