/**
 * `ChatService.stream` over real SSE: retried until its first chunk reaches the caller, and never
 * after, since replaying would repeat text the caller already has.
 */
import { describe, expect, it } from 'vitest';
import { drain, useChatService } from './harness.js';
import { sdksUnderTest } from './sdks.js';

const words = ['Echo:', ' one', ' two', ' three'];

describe.each(sdksUnderTest)('%s: streaming', (label, OpenAI) => {
  const e2e = useChatService(OpenAI);
  const major = Number(/^openai@(\d+)/.exec(label)![1]);

  it('streams the answer chunk by chunk, as one stream: true request', async () => {
    await expect(drain(e2e.chat.stream('one two three'))).resolves.toEqual({ pieces: words, error: undefined });
    expect(e2e.server.requests).toMatchObject([
      { stream: true, body: { model: 'local-model', stream: true, messages: [{ role: 'user', content: 'one two three' }] } },
    ]);
  });

  it('a drop before the first chunk is retried, and the caller sees one clean stream', async () => {
    e2e.server.script({ kind: 'drop-mid-stream', afterChunks: 0 });
    await expect(drain(e2e.chat.stream('one two three'))).resolves.toEqual({ pieces: words, error: undefined });
    expect(e2e.server.requestCount).toBe(2);
    expect(e2e.server.requests.map((r) => r.stream)).toEqual([true, true]);
    expect(e2e.retries).toMatchObject([{ attempt: 1, delay: 10, method: 'ChatService.stream' }]);
    expect(e2e.gapBefore(1)).toBeGreaterThanOrEqual(10);
  });

  it('a 429 before the stream starts is retried after the server hint', async () => {
    e2e.server.script({ kind: 'rate-limit', retryAfterMs: 40 });
    await expect(drain(e2e.chat.stream('one two three'))).resolves.toEqual({ pieces: words, error: undefined });
    expect(e2e.server.requestCount).toBe(2);
    expect(e2e.retries).toMatchObject([{ delay: 40, serverHint: 40 }]);
    expect(e2e.retries[0]!.error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(e2e.retries[0]!.error).toBe(e2e.sdkErrors()[0]);
    expect(e2e.gapBefore(1)).toBeGreaterThanOrEqual(40);
  });

  it('a drop after two chunks reaches the caller as the SDK\'s error, after those chunks, with no retry', async () => {
    e2e.server.script({ kind: 'drop-mid-stream', afterChunks: 2 });
    const { pieces, error } = await drain(e2e.chat.stream('one two three'));
    expect(pieces).toEqual(['Echo:', ' one']);
    // The error is the HTTP layer's, exactly as the SDK's stream threw it: fetch (v5+) or node-fetch (v4).
    if (major >= 5) expect(error).toMatchObject({ constructor: TypeError, message: 'terminated', cause: { code: 'UND_ERR_SOCKET' } });
    else expect(error).toMatchObject({ message: 'Premature close', code: 'ERR_STREAM_PREMATURE_CLOSE' });
    expect(error).not.toBeInstanceOf(OpenAI.APIError);
    expect(e2e.server.requestCount).toBe(1);
    expect(e2e.retries).toEqual([]);
    expect(e2e.giveUps).toEqual([]);
  });

  it('a stream that drops before its first chunk on every attempt fails with the last drop', async () => {
    e2e.retryWith({ maxRetries: 1 });
    e2e.server.script({ kind: 'drop-mid-stream', afterChunks: 0 }, { kind: 'drop-mid-stream', afterChunks: 0 });
    const { pieces, error } = await drain(e2e.chat.stream('one two three'));
    expect(pieces).toEqual([]);
    expect(e2e.server.requestCount).toBe(2);
    expect(e2e.giveUps).toMatchObject([{ error, attempts: 2, reason: 'retries-exhausted', method: 'ChatService.stream' }]);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBe(e2e.retries[0]!.error);
  });
});
