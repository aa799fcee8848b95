import { expect, test } from 'vitest';
import { shared } from '../../src/engine/shared-state.js';

// The key is a protocol between copies of the library (its ESM and CJS builds, or two installed
// versions): changing it would silently split their state, so it is pinned here. The version in it
// changes with the state's shape (v2: a first attempt with no context yet is its maxRetries in
// `running`), so that copies that read it differently never share it.
test('the shared state lives on globalThis under Symbol.for("retryable.shared-state.v2")', () => {
  expect((globalThis as Record<symbol, unknown>)[Symbol.for('retryable.shared-state.v2')]).toBe(shared);
});
