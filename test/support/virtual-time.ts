import { afterEach, beforeEach, expect, vi } from 'vitest';

/**
 * Runs each test of the calling file on fake timers from t = 0, and fails a test that leaves a
 * timer behind: once a call has settled, the library must hold none.
 */
export function useVirtualTimePerTest(): void {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });
}
