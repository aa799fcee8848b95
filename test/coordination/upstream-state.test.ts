import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { initialUpstreamState, recordFailure, recordSuccess, recordSuccesses, type UpstreamState } from '../../src/coordination/upstream-state.js';
import type { FailureKind } from '../../src/coordination/coordinator.js';

/** A state after a few failures: calm, contended (429s), or down (server errors from several calls). */
function stateAfter(failures: readonly { at: number; failure: FailureKind; attempt: number }[]): UpstreamState {
  const state = initialUpstreamState();
  for (const { at, failure, attempt } of failures) recordFailure(state, { now: at, attempt, failure, status: undefined, firmHint: undefined, error: undefined });
  return state;
}

describe('recordSuccesses', () => {
  test('folds n successes into the state exactly as n calls of recordSuccess would, calm, contended or down', () => {
    const failure = fc.record({ at: fc.integer({ min: 0, max: 3000 }), failure: fc.constantFrom<FailureKind>('rate-limit', 'server', 'network'), attempt: fc.integer({ min: 1, max: 3 }) });
    fc.assert(fc.property(fc.array(failure, { maxLength: 8 }), fc.integer({ min: 0, max: 8000 }), fc.integer({ min: 0, max: 200 }), (failures, now, count) => {
      const sorted = [...failures].sort((a, b) => a.at - b.at);
      const oneByOne = stateAfter(sorted);
      const folded = stateAfter(sorted);
      for (let i = 0; i < count; i++) recordSuccess(oneByOne, now);
      recordSuccesses(folded, now, count);
      expect(folded).toEqual(oneByOne);
    }));
  });
});
