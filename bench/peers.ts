/**
 * The retry implementations we compare, each behind one shape: give it a call, it retries that
 * call its own way. The scenario runner and the happy-path benchmark know nothing else about them.
 */
import pRetry from 'p-retry';
import { ExponentialBackoff, handleAll, retry as cockatielRetry } from 'cockatiel';
import OpenAI from 'openai';
import { createSharedBudget, retry as ourRetry, type OurOptions } from './adapters/retryable.js';
import { SimulatedHttpError, type RequestLoad } from './simulated-server.js';

/** Runs `call`, retrying it on failure; settles like the final attempt. */
export type RetryingCall = (call: () => Promise<unknown>, load?: RequestLoad) => Promise<unknown>;

export interface Peer {
  readonly name: string;
  /**
   * Builds the retrier for one run (fresh per run, so shared state such as a budget never leaks
   * between runs). `random` is the run's seeded source, for peers that accept one; the others read
   * `Math.random`, which the scenario runner replaces with the same seeded source.
   */
  setUp(random: () => number): RetryingCall;
}

/** "Configured alike": the settings every configurable peer gets. */
export const alike = { retries: 8, initialDelayMs: 1000, multiplier: 2, maxDelayMs: 32_000 } as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What people write by hand: exponential backoff with no jitter, so equal clients stay in lockstep. */
export function naiveLoop(retries: number): RetryingCall {
  return async (call) => {
    for (let retry = 0; ; retry++) {
      try {
        return await call();
      } catch (error) {
        if (retry >= retries) throw error;
        await sleep(Math.min(alike.maxDelayMs, alike.initialDelayMs * alike.multiplier ** retry));
      }
    }
  };
}

export const naiveRetry = naiveLoop(alike.retries) as <T>(call: () => Promise<T>) => Promise<T>;

export const naiveLoopPeer: Peer = {
  name: 'naive loop (exponential, no jitter)',
  setUp: () => naiveRetry,
};

export const pRetryPeer: Peer = {
  name: 'p-retry 7',
  setUp() {
    const options = {
      retries: alike.retries,
      minTimeout: alike.initialDelayMs,
      factor: alike.multiplier,
      maxTimeout: alike.maxDelayMs,
      randomize: true,
    };
    return (call) => pRetry(call, options);
  },
};

export const cockatielPeer: Peer = {
  name: 'cockatiel 3 (decorrelated jitter)',
  setUp() {
    // ExponentialBackoff's default generator is decorrelated jitter; exponent 2 is the ×2.
    const policy = cockatielRetry(handleAll, {
      maxAttempts: alike.retries,
      backoff: new ExponentialBackoff({ initialDelay: alike.initialDelayMs, maxDelay: alike.maxDelayMs, exponent: alike.multiplier }),
    });
    return (call) => policy.execute(() => call());
  },
};

const jsonHeaders = (extra?: Headers) => {
  const headers = new Headers(extra);
  headers.set('content-type', 'application/json');
  return headers;
};

const simulatedCompletion = {
  id: 'chatcmpl-sim',
  object: 'chat.completion',
  created: 0,
  model: 'sim',
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'ok' } }],
};

/**
 * A `fetch` for the OpenAI SDK that answers from the simulated server, so the SDK's own retry code
 * (status checks, Retry-After parsing, its internal backoff) runs unchanged.
 */
export function simulatedFetch(call: () => Promise<unknown>) {
  return async (): Promise<Response> => {
    try {
      const reply = (await call()) as { headers?: Headers } | undefined;
      return new Response(JSON.stringify(simulatedCompletion), { status: 200, headers: jsonHeaders(reply?.headers) });
    } catch (error) {
      if (!(error instanceof SimulatedHttpError)) throw error;
      const body = { error: { message: error.message, type: 'simulated', code: null } };
      return new Response(JSON.stringify(body), { status: error.status, headers: jsonHeaders(error.headers) });
    }
  };
}

/**
 * The OpenAI SDK's own retries around `call`; `maxRetries` undefined keeps the SDK's default (2).
 * A client per call, because the fetch has to reach this client's own simulated call. The SDK
 * keeps no retry state between requests, so this changes nothing about its behaviour.
 */
export function openAiSdkRetrying(maxRetries: number | undefined): RetryingCall {
  return (call) => {
    const client = new OpenAI({ apiKey: 'x', baseURL: 'http://sim/v1', fetch: simulatedFetch(call), ...(maxRetries === undefined ? {} : { maxRetries }) });
    return client.chat.completions.create({ model: 'sim', messages: [{ role: 'user', content: 'hi' }] });
  };
}

export const openAiSdkPeer: Peer = {
  name: 'OpenAI SDK 6 (maxRetries: 8)',
  setUp: () => openAiSdkRetrying(alike.retries),
};

function ourPeer(name: string, options: (random: () => number) => OurOptions): Peer {
  return {
    name,
    setUp(random) {
      // One options object per run: the library validates a hoisted options object once.
      const hoisted = options(random);
      return (call) => ourRetry(call, hoisted);
    },
  };
}

const ourAlikeOptions = {
  maxRetries: alike.retries,
  initialDelay: alike.initialDelayMs,
  multiplier: alike.multiplier,
  maxDelay: alike.maxDelayMs,
};

export const ourDefaultsPeer = ourPeer('retryable (defaults)', (random) => ({ random }));
export const ourAlikePeer = ourPeer('retryable (8 / 1 s / ×2 / 32 s)', (random) => ({ ...ourAlikeOptions, random }));
const ourBudgetPeer = ourPeer('retryable (8 / 1 s / ×2 / 32 s) + shared RetryBudget', (random) => ({
  ...ourAlikeOptions,
  random,
  budget: createSharedBudget(),
}));

const ourDefaultsBudgetPeer = ourPeer('retryable (defaults) + shared RetryBudget', (random) => ({ random, budget: createSharedBudget() }));

/** The contention line-up. The budget rows appear once the core exports `RetryBudget`. */
export function contentionPeers(): Peer[] {
  const peers = [naiveLoopPeer, pRetryPeer, cockatielPeer, openAiSdkPeer, ourDefaultsPeer, ourAlikePeer];
  if (createSharedBudget() !== undefined) peers.push(ourDefaultsBudgetPeer, ourBudgetPeer);
  return peers;
}
