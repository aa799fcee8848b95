/**
 * The matrix line-up: every peer at its own defaults, as a team would first write it, plus the
 * variants of ours that the targets name. A peer builds one retrier per simulated process;
 * only ours keeps state across calls (an `Upstream`), the others retry each call on its own.
 */
import { ExponentialBackoff, handleAll, retry as cockatielRetry } from 'cockatiel';
import pRetry from 'p-retry';
import { createUpstream, retry as ourRetry, supported, upstreamFetch, type OurOptions } from '../adapters/retryable.js';
import { naiveLoop, openAiSdkRetrying, simulatedFetch, type RetryingCall } from '../peers.js';
import { SimulatedHttpError, type RequestLoad } from '../simulated-server.js';

export interface PeerRun<P> {
  /** The run's seeded source (the runner also puts it in `Math.random` for peers that read that). */
  readonly random: () => number;
  /** How many independent processes share the server; the runner asks for retrier 0 … processes − 1. */
  readonly processes: number;
  readonly point: P;
}

export interface MatrixPeer<P = unknown> {
  readonly name: string;
  /** Fresh per run: returns the retrier of each process. */
  setUp(run: PeerRun<P>): (process: number) => RetryingCall;
}

/** A peer with no state shared between calls: every process retries alike. */
function stateless(name: string, retrying: () => RetryingCall): MatrixPeer<any> {
  return {
    name,
    setUp() {
      const shared = retrying();
      return () => shared;
    },
  };
}

/** p-retry 7 with no options: 10 retries, 1 s × 2, no cap, no randomisation. */
export const pRetryDefaults = stateless('p-retry', () => (call) => pRetry(call));

/**
 * cockatiel 3 as its README writes it: `retry(handleAll, { maxAttempts: 3, backoff: new
 * ExponentialBackoff() })` (128 ms × 2, 30 s cap, decorrelated jitter). Its bare defaults
 * (unlimited attempts, no delay) would spin for ever in virtual time against a rate limit.
 */
export const cockatielReadme = stateless('cockatiel', () => {
  const policy = cockatielRetry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() });
  return (call) => policy.execute(() => call());
});

/** The OpenAI SDK's own retries at its default `maxRetries: 2` (0.5 s to 8 s, honours hints). */
export const openAiSdkDefaults = stateless('OpenAI SDK', () => openAiSdkRetrying(undefined));

/** A hand-written loop: 3 retries, 1 s × 2, no jitter. */
export const naiveLoopDefaults = stateless('naive loop', () => naiveLoop(3));

/**
 * Ours with the options `optionsFor(point)`. Each process gets its own options object, hence its own
 * automatic `Upstream` once the core has one; a process's calls share its hoisted object, as a
 * decorated method's calls do.
 */
export function ours<P>(name: string, optionsFor: (point: P) => OurOptions = () => ({})): MatrixPeer<P> {
  return {
    name,
    setUp({ random, processes, point }) {
      const retriers = Array.from({ length: processes }, (): RetryingCall => {
        const options = supported({ ...optionsFor(point), random });
        return (call) => ourRetry(call, options);
      });
      return (process) => retriers[process]!;
    },
  };
}

export const ourDefaults = ours('retryable');
export const ourEightRetries = ours('retryable maxRetries: 8', () => ({ maxRetries: 8 }));
export const ourUncoordinated = ours('retryable upstream: false', () => ({ upstream: false }));

/**
 * A chat request body whose estimate (`estimateRequestTokens`) is the tokens the simulated server
 * charges: `max_tokens` 256, 4 tokens for the message, and 4 characters a token for the rest.
 */
function chatBody(load: RequestLoad | undefined): string {
  const tokens = load?.tokens;
  if (tokens === undefined) return JSON.stringify({ model: 'sim', messages: [{ role: 'user', content: 'hi' }] });
  const content = 'x'.repeat(Math.max(0, tokens - 256 - 4) * 4);
  return JSON.stringify({ model: 'sim', max_tokens: 256, messages: [{ role: 'user', content }] });
}

/**
 * Ours as an SDK client would use it: one `Upstream` per process, passed to `retry()` and wrapping
 * the client's fetch (`upstream.fetch()`), so that every response's rate-limit headers reach it and
 * every request is admitted with its token estimate.
 */
export function oursThroughFetch(name: string): MatrixPeer<any> {
  return {
    name,
    setUp({ random, processes }) {
      const retriers = Array.from({ length: processes }, (): RetryingCall => {
        const upstream = createUpstream();
        const options = supported({ random, upstream });
        return (call, load) => {
          const fetchThrough = upstreamFetch(upstream, simulatedFetch(call));
          const body = chatBody(load);
          return ourRetry(async () => {
            const response = await fetchThrough('http://sim/v1/chat/completions', { method: 'POST', body });
            if (!response.ok) throw new SimulatedHttpError(response.status, response.headers);
            return response;
          }, options);
        };
      });
      return (process) => retriers[process]!;
    },
  };
}

/** Everyone at their defaults, ours last: the columns of most families. */
export const peersAtDefaults: readonly MatrixPeer<any>[] = [pRetryDefaults, cockatielReadme, openAiSdkDefaults, naiveLoopDefaults, ourDefaults];

export const isOurs = (peer: MatrixPeer<any>) => peer.name.startsWith('retryable');
