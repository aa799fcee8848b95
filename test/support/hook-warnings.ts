import { afterEach, beforeEach, expect, vi } from 'vitest';

export interface HookWarning {
  readonly code: unknown;
  readonly message: string;
}

const HOOK_ERROR = 'RETRYABLE_HOOK_ERROR';

/**
 * Tests that make hooks fail on purpose would print a warning with a stack trace each; this keeps
 * those warnings off stderr and hands them to the test instead. Only RETRYABLE_HOOK_ERROR is held
 * back: any other warning still reaches the console, so a real problem is not hidden. A test must
 * take what its hooks reported: a warning nobody asserted fails the test.
 *
 * Returns `takeHookWarnings()`, which hands over (and forgets) the warnings reported so far.
 */
export function captureHookWarningsPerTest(): () => HookWarning[] {
  let reported: HookWarning[] = [];
  beforeEach(() => {
    reported = [];
    const emitWarning = process.emitWarning.bind(process);
    vi.spyOn(process, 'emitWarning').mockImplementation(((warning: string | Error, options?: unknown, ...rest: unknown[]) => {
      const code = typeof options === 'object' && options !== null ? (options as { code?: unknown }).code : undefined;
      if (code !== HOOK_ERROR) return (emitWarning as (...args: unknown[]) => void)(warning, options, ...rest);
      reported.push({ code, message: typeof warning === 'string' ? warning : warning.message });
    }) as typeof process.emitWarning);
  });
  afterEach(() => {
    vi.mocked(process.emitWarning).mockRestore();
    expect(reported, 'hook warnings the test did not take').toEqual([]);
  });
  return () => reported.splice(0);
}
