/**
 * The only file in bench/ that knows our library's API. Every benchmark reaches `retryable`
 * through here, so an API change means editing one file, not the harness.
 */
// The package by its own name: Node resolves it to the built dist/ that users run (`npm run bench`
// builds it first); the type checker reads src/ through the root tsconfig's `paths`.
import * as retryable from 'retryable';

/** The options our `retry()` and `@Retryable()` take, as far as the bench uses them. */
export interface OurOptions {
  maxRetries?: number;
  initialDelay?: number;
  multiplier?: number;
  maxDelay?: number;
  jitter?: 'none' | 'full' | 'equal' | 'decorrelated';
  random?: () => number;
  budget?: unknown;
  timeout?: number;
  /** An `Upstream`, or `false` to turn coordination off. Dropped by `supported()` while the core has none. */
  upstream?: unknown;
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

const UpstreamClass = library['Upstream'] as (new (options?: { name?: string }) => unknown) | undefined;

/** Whether the core exports `Upstream` yet; until it does, the bench runs our peers without one. */
export const hasUpstream = typeof UpstreamClass === 'function';

/** A fresh `Upstream` (one upstream limit's shared state), or undefined while the core has none. */
export function createUpstream(name?: string): unknown | undefined {
  return hasUpstream ? new UpstreamClass!(name === undefined ? {} : { name }) : undefined;
}

/** The options as the core of today accepts them: without `upstream` until it exports `Upstream`. */
export function supported(options: OurOptions): OurOptions {
  if (hasUpstream || !('upstream' in options)) return options;
  const { upstream: _unsupported, ...rest } = options;
  return rest;
}

type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** `upstream.fetch(baseFetch)`: a fetch admitted by the Upstream and reporting every response's headers to it. */
export function upstreamFetch(upstream: unknown, baseFetch: FetchLike): FetchLike {
  return (upstream as { fetch(base: FetchLike): FetchLike }).fetch(baseFetch);
}
