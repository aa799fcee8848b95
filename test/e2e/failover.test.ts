/**
 * Failover over real HTTP: the real SDK, one local server and two models on it ("primary" and
 * "secondary"), faults scripted per model; and two servers, a target per SDK client. Waits are real but short (cool-downs of 400 ms).
 */
import { getEventListeners } from 'node:events';
import type OpenAI from 'openai';
import { currentAttempt, retry, Retryable, Upstream, type RetryOptions } from 'retryable';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalOpenAIServer, type Fault, type LocalOpenAIServer } from '../../examples/local-openai-server.js';
import { drain, rejectionOf, useChatService, type E2E } from './harness.js';
import { sdksUnderTest } from './sdks.js';

const targets = () => [new Upstream({ name: 'primary', target: 'primary' }), new Upstream({ name: 'secondary', target: 'secondary' })];

/** One completion from the attempt's model, or from `model` for a direct call. */
function ask(e2e: E2E, options: RetryOptions, model?: string): Promise<string> {
  return retry(async ({ signal, target }) => {
    const completion = await e2e.client.chat.completions.create({ model: model ?? (target as string), messages: [{ role: 'user', content: 'hi' }] }, { signal });
    return completion.model;
  }, options);
}

/**
 * A streaming chat over its own two targets (fresh ones, so no cool-down crosses tests), as an
 * application writes it. `streamErrors` records what the SDK's stream threw, as it threw it, so a
 * test can compare it with what the caller got.
 */
function streamingChat(client: OpenAI, options: RetryOptions = {}) {
  const streamErrors: unknown[] = [];
  class StreamingChat {
    @Retryable({ targets: targets(), maxRetries: 3, timeout: 5_000, ...options })
    async *stream(prompt: string, _options: { signal?: AbortSignal } = {}): AsyncGenerator<string> {
      const { signal, target } = currentAttempt()!;
      const chunks = await client.chat.completions.create(
        { model: target as string, messages: [{ role: 'user', content: prompt }], stream: true },
        { signal },
      );
      try {
        for await (const chunk of chunks) {
          const text = chunk.choices[0]?.delta?.content;
          if (text) yield text;
        }
      } catch (error) {
        streamErrors.push(error);
        throw error;
      }
    }
  }
  return { chat: new StreamingChat(), streamErrors };
}

/**
 * The real clock, keeping count of the library's timers (it sets every one through its `clock`):
 * exact, where the process's own count also sees the HTTP stack's timers come and go.
 */
function countingClock() {
  const pending = new Set<unknown>();
  let set = 0;
  return {
    pending,
    set: () => set,
    now: () => Date.now(),
    setTimeout(callback: () => void, ms: number): unknown {
      set++;
      const timer = setTimeout(() => {
        pending.delete(timer);
        callback();
      }, ms);
      pending.add(timer);
      return timer;
    },
    clearTimeout(timer: unknown): void {
      pending.delete(timer);
      clearTimeout(timer as NodeJS.Timeout);
    },
  };
}

const modelsAsked = (e2e: E2E) => e2e.server.requests.map((request) => (request.body as { model: string }).model);

for (const [sdkName, OpenAI] of sdksUnderTest) {
  describe(`failover across two models (${sdkName})`, () => {
    const e2e = useChatService(OpenAI);

    it('a 429 "retry after 400 ms" on the primary: every call is served by the secondary, the primary sees one probe per cool-down', async () => {
      const options = { targets: targets(), maxRetries: 3 };
      const refusals: Fault[] = Array.from({ length: 20 }, () => ({ kind: 'rate-limit', retryAfterMs: 400, model: 'primary' }));
      e2e.server.script(...refusals);
      const answers: string[] = [];
      const started = Date.now();
      while (Date.now() - started < 1000) answers.push(await ask(e2e, options));
      expect(new Set(answers)).toEqual(new Set(['secondary']));
      const primaryTimes = e2e.server.requests.filter((r) => (r.body as { model: string }).model === 'primary').map((r) => r.time);
      // The first call, then one probe per cool-down of 400 ms (each refused and cooling again).
      expect(primaryTimes.length).toBeLessThanOrEqual(1 + Math.ceil(1000 / 400));
      for (let i = 1; i < primaryTimes.length; i++) expect(primaryTimes[i]! - primaryTimes[i - 1]!).toBeGreaterThanOrEqual(400);
    });

    it('adds at most 50 ms over a direct call to the secondary while the primary cools down', async () => {
      const options = { targets: targets() };
      e2e.server.script({ kind: 'rate-limit-seconds', retryAfterSeconds: 20, model: 'primary' });
      await ask(e2e, options);
      const time = async (run: () => Promise<unknown>) => {
        const start = performance.now();
        for (let i = 0; i < 20; i++) await run();
        return (performance.now() - start) / 20;
      };
      const direct = await time(() => ask(e2e, { upstream: false }, 'secondary'));
      const failedOver = await time(() => ask(e2e, options));
      expect(failedOver - direct).toBeLessThanOrEqual(50);
      expect(modelsAsked(e2e).filter((model) => model === 'primary')).toEqual(['primary']);
    });

    it('both models down: the caller gets the SDK\'s error of the last attempt, within its timeout', async () => {
      e2e.server.script(...Array.from({ length: 20 }, (): Fault => ({ kind: 'service-unavailable' })));
      const started = Date.now();
      const error = await rejectionOf(ask(e2e, { targets: targets(), maxRetries: 10, timeout: 300 }));
      expect(Date.now() - started).toBeLessThan(300 + 50);
      expect(error).toBe(e2e.sdkErrors().at(-1));
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    });

    it('retryOnResult: an answer judged a failure is asked again with backoff (no failover), and the last one returned when attempts run out', async () => {
      const answers: unknown[] = [];
      const answer = await retry(async ({ signal, target }) => {
        const completion = await e2e.client.chat.completions.create({ model: target as string, messages: [{ role: 'user', content: 'a long story' }] }, { signal });
        answers.push(completion);
        return completion;
      }, { targets: targets(), maxRetries: 2, retryOnResult: () => true });
      expect(answers).toHaveLength(3);
      expect(answer).toBe(answers[2]);
      expect(modelsAsked(e2e)).toEqual(['primary', 'primary', 'primary']);
      expect([e2e.gapBefore(1), e2e.gapBefore(2)].map((gap) => gap >= 10)).toEqual([true, true]);
    });

    it('both models down with a fallback: the fallback\'s answer, called once with the last error', async () => {
      e2e.server.script(...Array.from({ length: 4 }, (): Fault => ({ kind: 'server-error' })));
      const seen: unknown[] = [];
      const answer = await retry(async ({ signal, target }) => {
        await e2e.client.chat.completions.create({ model: target as string, messages: [{ role: 'user', content: 'hi' }] }, { signal });
        return 'live';
      }, { targets: targets(), fallback: (error) => { seen.push(error); return 'cached'; } });
      expect(answer).toBe('cached');
      expect(seen).toEqual([e2e.sdkErrors().at(-1)]);
      expect(seen[0]).toBe(e2e.sdkErrors().at(-1));
      expect(modelsAsked(e2e)).toEqual(['primary', 'secondary', 'primary', 'secondary']);
    });

    describe('two deployments: a target per SDK client, each on its own server', () => {
      let other: LocalOpenAIServer;
      beforeAll(async () => { other = await startLocalOpenAIServer(); });
      afterAll(async () => { await other.close(); });
      beforeEach(() => { other.reset(); });

      /** Targets that carry the client to call: the harness's server first, `other` second. */
      const deployments = () => {
        const second = new OpenAI({ baseURL: other.url, apiKey: 'other-key', maxRetries: 0 });
        return [new Upstream({ name: 'first', target: e2e.client }), new Upstream({ name: 'second', target: second })];
      };
      const askDeployment = (options: RetryOptions) => retry(async ({ signal, target }) => {
        const completion = await (target as OpenAI).chat.completions.create({ model: 'local-model', messages: [{ role: 'user', content: 'hi' }] }, { signal });
        return completion.choices[0]!.message.content;
      }, options);

      it('the first answers 429 "retry after 20 s": every call goes to the second server, the first sees one request', async () => {
        const options = { targets: deployments() };
        e2e.server.script({ kind: 'rate-limit-seconds', retryAfterSeconds: 20 });
        for (let i = 0; i < 5; i++) await expect(askDeployment(options)).resolves.toBe('Echo: hi');
        expect(e2e.server.requests).toHaveLength(1);
        expect(other.requests).toHaveLength(5);
        expect(e2e.retries).toHaveLength(1);
        expect(e2e.retries[0]!.error).toBe(e2e.sdkErrors()[0]);
      });

      it('both servers down: the caller gets the second client\'s own error of the last attempt', async () => {
        e2e.server.script(...Array.from({ length: 4 }, (): Fault => ({ kind: 'server-error' })));
        other.script(...Array.from({ length: 4 }, (): Fault => ({ kind: 'server-error' })));
        const thrown: unknown[] = [];
        const error = await rejectionOf(retry(async ({ signal, target }) => {
          try {
            return await (target as OpenAI).chat.completions.create({ model: 'local-model', messages: [{ role: 'user', content: 'hi' }] }, { signal });
          } catch (sdkError) {
            thrown.push(sdkError);
            throw sdkError;
          }
        }, { targets: deployments(), maxRetries: 3 }));
        expect(thrown).toHaveLength(4);
        expect(error).toBe(thrown[3]);
        expect(error).toBeInstanceOf(OpenAI.InternalServerError);
        expect([e2e.server.requests.length, other.requests.length]).toEqual([2, 2]);
      });
    });

    describe('streams (an async generator method with targets)', () => {
      const words = ['Echo:', ' one', ' two', ' three'];

      it.each<[string, Fault]>([
        ['a 429 with retry-after: 20', { kind: 'rate-limit-seconds', retryAfterSeconds: 20, model: 'primary' }],
        ['a 503', { kind: 'service-unavailable', model: 'primary' }],
      ])('%s on the primary before the first chunk: the secondary streams the answer, at once', async (_, fault) => {
        const clock = countingClock();
        const { chat, streamErrors } = streamingChat(e2e.client, { clock, attemptTimeout: 5_000 });
        e2e.server.script(fault);
        const controller = new AbortController();
        const started = Date.now();
        await expect(drain(chat.stream('one two three', { signal: controller.signal }))).resolves.toEqual({ pieces: words, error: undefined });
        expect(Date.now() - started).toBeLessThan(1_000);
        expect(modelsAsked(e2e)).toEqual(['primary', 'secondary']);
        expect(e2e.server.requests.map((r) => r.stream)).toEqual([true, true]);
        expect(e2e.retries).toHaveLength(1);
        expect(e2e.retries[0]).toMatchObject({ attempt: 1, delay: 0 });
        expect(e2e.retries[0]!.error).toBe(e2e.sdkErrors()[0]);
        expect(e2e.sdkErrors()).toHaveLength(1);
        expect(streamErrors).toEqual([]);
        // The deadline, and one attemptTimeout per attempt; none left.
        expect(clock.set()).toBe(3);
        expect(clock.pending.size).toBe(0);
        expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      });

      it('while the primary cools down after its 429, the next stream goes straight to the secondary', async () => {
        const { chat } = streamingChat(e2e.client);
        e2e.server.script({ kind: 'rate-limit-seconds', retryAfterSeconds: 20, model: 'primary' });
        await expect(drain(chat.stream('one two three'))).resolves.toEqual({ pieces: words, error: undefined });
        await expect(drain(chat.stream('one two three'))).resolves.toEqual({ pieces: words, error: undefined });
        expect(modelsAsked(e2e)).toEqual(['primary', 'secondary', 'secondary']);
      });

      it('a stream that breaks after its first chunk is neither failed over nor retried: the chunk, then the SDK\'s own error', async () => {
        const clock = countingClock();
        const { chat, streamErrors } = streamingChat(e2e.client, { clock, attemptTimeout: 5_000 });
        e2e.server.script({ kind: 'drop-mid-stream', afterChunks: 1, model: 'primary' });
        const controller = new AbortController();
        const pieces: string[] = [];
        const timersWhileStreaming: number[] = [];
        const error = await rejectionOf((async () => {
          for await (const piece of chat.stream('one two three', { signal: controller.signal })) {
            pieces.push(piece);
            timersWhileStreaming.push(clock.pending.size);
          }
        })());
        expect(pieces).toEqual(['Echo:']);
        // The timeouts bound the time to the first chunk only: once it is out, no timer runs.
        expect(timersWhileStreaming).toEqual([0]);
        expect(streamErrors).toHaveLength(1);
        expect(error).toBe(streamErrors[0]);
        expect(error).toBeInstanceOf(Error);
        expect(modelsAsked(e2e)).toEqual(['primary']);
        expect(e2e.retries).toEqual([]);
        expect(e2e.giveUps).toEqual([]);
        expect(clock.set()).toBe(2);
        expect(clock.pending.size).toBe(0);
        expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      });

      it('after a failover, a break of the secondary\'s stream after its first chunk reaches the caller as it is', async () => {
        const { chat, streamErrors } = streamingChat(e2e.client);
        e2e.server.script({ kind: 'service-unavailable', model: 'primary' }, { kind: 'drop-mid-stream', afterChunks: 2, model: 'secondary' });
        const { pieces, error } = await drain(chat.stream('one two three'));
        expect(pieces).toEqual(['Echo:', ' one']);
        expect(error).toBe(streamErrors[0]);
        expect(streamErrors).toHaveLength(1);
        expect(modelsAsked(e2e)).toEqual(['primary', 'secondary']);
        expect(e2e.retries).toHaveLength(1);
        expect(e2e.giveUps).toEqual([]);
      });
    });
  });
}
