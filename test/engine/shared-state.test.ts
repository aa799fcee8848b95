import { expect, test } from 'vitest';
import { shared } from '../../src/engine/shared-state.js';

// The key is a protocol between copies of the library (its ESM and CJS builds, or two installed
// versions): changing it would silently split their state, so it is pinned here.
test('the shared state lives on globalThis under Symbol.for("retryable.shared-state.v1")', () => {
  expect((globalThis as Record<symbol, unknown>)[Symbol.for('retryable.shared-state.v1')]).toBe(shared);
});
