/**
 * The end-to-end setup: the real `openai` SDK talking loopback HTTP to the local fault server, with
 * `ChatService` from the examples on top. Nothing of the SDK is stubbed; `create` is only spied on
 * (calls pass through) so a test can compare what the caller got with what the SDK threw.
 *
 * Waits are real but short: `initialDelay: 10`, `maxDelay: 200`, no jitter, and hints of tens of ms.
 */
import type OpenAI from 'openai';
import { resetRetryDefaults, setRetryDefaults, Upstream, type GiveUpEvent, type RetryEvent, type RetryOptions } from 'retryable';
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import { ChatService } from '../../examples/chat-service.js';
import { startLocalOpenAIServer, type LocalOpenAIServer } from '../../examples/local-openai-server.js';
import type { OpenAIConstructor } from './sdks.js';

/** Fast and deterministic: with `jitter: 'none'` the waits are 10, 20, 40 ms, or exactly the hint. */
export const FAST: RetryOptions = { maxRetries: 3, initialDelay: 10, multiplier: 2, maxDelay: 200, jitter: 'none' };

export interface E2E {
  server: LocalOpenAIServer;
  client: OpenAI;
  chat: ChatService;
  /** What `onRetry` and `onGiveUp` saw, in order. */
  retries: RetryEvent[];
  giveUps: GiveUpEvent[];
  /** The errors `client.chat.completions.create` rejected with, in order. */
  sdkErrors(): unknown[];
  /** Replaces the application retry defaults: `FAST`, the recording hooks, then `options`. */
  retryWith(options?: RetryOptions): void;
  /** Milliseconds between the arrivals of server requests `i - 1` and `i` (0-based). */
  gapBefore(i: number): number;
}

/** Registers the hooks of one describe block and returns its (refreshed before each test) state. */
export function useChatService(OpenAI: OpenAIConstructor): E2E {
  const e2e = { retries: [], giveUps: [] } as unknown as E2E;
  beforeAll(async () => {
    e2e.server = await startLocalOpenAIServer();
  });
  afterAll(async () => {
    await e2e.server.close();
  });
  beforeEach(() => {
    e2e.server.reset();
    e2e.retries = [];
    e2e.giveUps = [];
    e2e.client = new OpenAI({ baseURL: e2e.server.url, apiKey: 'test-key', maxRetries: 0 });
    e2e.chat = new ChatService(e2e.client, 'local-model');
    const create = vi.spyOn(e2e.client.chat.completions, 'create');
    e2e.sdkErrors = () => create.mock.settledResults.filter((r) => r.type === 'rejected').map((r) => r.value);
    e2e.retryWith = (options = {}) =>
      setRetryDefaults({
        ...FAST,
        // Each test its own upstream state: one test's outage must not hold the next one's calls.
        upstream: new Upstream(),
        onRetry: (event) => { e2e.retries.push(event); },
        onGiveUp: (event) => { e2e.giveUps.push(event); },
        ...options,
      });
    e2e.gapBefore = (i) => e2e.server.requests[i]!.time - e2e.server.requests[i - 1]!.time;
    e2e.retryWith();
  });
  afterEach(() => {
    resetRetryDefaults();
  });
  return e2e;
}

/** The error `promise` rejects with; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return expect.unreachable('expected the call to fail');
}

/** Everything a stream yields, and the error that ended it, if any. */
export async function drain(stream: AsyncIterable<string>): Promise<{ pieces: string[]; error: unknown }> {
  const pieces: string[] = [];
  try {
    for await (const piece of stream) pieces.push(piece);
    return { pieces, error: undefined };
  } catch (error) {
    return { pieces, error };
  }
}
