/**
 * A request body that is a one-shot stream cannot be sent twice. The OpenAI SDK refuses to retry
 * such a request; `retryable` replays whatever the function does, so the README tells users to
 * build the body inside the retried function. These tests pin both halves of that choice.
 */
import { retry, type RetryOptions } from 'retryable';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalOpenAIServer, type LocalOpenAIServer } from '../../examples/local-openai-server.js';
import { FAST, rejectionOf } from './harness.js';

const quiet: RetryOptions = { ...FAST, maxRetries: 1 };
const payload = JSON.stringify({ model: 'local-model', messages: [{ role: 'user', content: 'streamed body' }] });

/** A body that can be read once, as an upload from a file or another response would be. */
function oneShotBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(payload));
      controller.close();
    },
  });
}

describe('a one-shot stream body', () => {
  let server: LocalOpenAIServer;
  beforeAll(async () => {
    server = await startLocalOpenAIServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  const post = (body: ReadableStream<Uint8Array>, signal: AbortSignal) =>
    fetch(`${server.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half', signal } as RequestInit);

  it('built inside the function, each attempt sends a fresh one, and a 503 is retried to success', async () => {
    server.script({ kind: 'service-unavailable' });
    const response = await retry(async ({ signal }) => {
      const res = await post(oneShotBody(), signal);
      if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status, headers: res.headers });
      return res;
    }, quiet);
    expect(response.status).toBe(200);
    expect(server.requests.map((r) => r.status)).toEqual([503, 200]);
    expect(server.requests.map((r) => r.body)).toEqual([JSON.parse(payload), JSON.parse(payload)]);
  });

  it('built once outside, the replay cannot send it: fetch throws a TypeError, which is not retried', async () => {
    server.script({ kind: 'service-unavailable' });
    const body = oneShotBody();
    const error = await rejectionOf(retry(async ({ signal }) => {
      const res = await post(body, signal);
      if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status, headers: res.headers });
      return res;
    }, quiet));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe('Response body object should not be disturbed or locked');
    expect(server.requests.map((r) => r.status)).toEqual([503]);
  });
});
