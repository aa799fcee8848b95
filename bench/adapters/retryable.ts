/**
 * The only file in bench/ that knows our library's API. Every benchmark reaches `retryable`
 * through here, so an API change means editing one file, not the harness.
 */
import * as retryable from '../../src/index.js';

/** The options our `retry()` and `@Retryable()` take, as far as the bench uses them. */
export interface OurOptions {
  maxRetries?: number;
  initialDelay?: number;
  multiplier?: number;
  maxDelay?: number;
  jitter?: 'none' | 'full' | 'equal' | 'decorrelated';
  random?: () => number;
  budget?: unknown;
}

type OurRetry = <T>(fn: (attempt: { attempt: number; signal: AbortSignal }) => Promise<T>, options?: OurOptions) => Promise<T>;
type OurDecorator = (options?: OurOptions) => MethodDecorator;

// Read through a loosely typed view: the core is still growing, and the bench must compile
// whichever of these it exports today.
const library = retryable as unknown as Record<string, unknown>;

export const retry = library['retry'] as OurRetry;
export const Retryable = library['Retryable'] as OurDecorator;

/** A fresh `RetryBudget` shared by all clients of one run, or undefined while the core has none. */
export function createSharedBudget(): unknown | undefined {
  const RetryBudget = library['RetryBudget'] as (new () => unknown) | undefined;
  return typeof RetryBudget === 'function' ? new RetryBudget() : undefined;
}
