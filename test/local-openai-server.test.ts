import OpenAI from 'openai';
import OpenAI4 from 'openai4';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  defaultDemoFaults,
  exampleFor,
  startLocalOpenAIServer,
  type Fault,
  type LocalOpenAIServer,
} from '../examples/local-openai-server.js';

let server: LocalOpenAIServer;
let lines: string[];

beforeEach(async () => {
  lines = [];
  server = await startLocalOpenAIServer({ log: (line) => lines.push(line) });
});
afterEach(async () => {
  await server.close();
});

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello world' }] };

function post(body: unknown = chat, init: RequestInit = {}) {
  return fetch(`${server.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...init,
  });
}

/** Reads a body chunk by chunk, returning what arrived and the error that ended it, if any. */
async function readAll(res: Response): Promise<{ text: string; error: unknown }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, error: undefined };
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

const dataLines = (text: string) => text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));

describe('plain fetch', () => {
  it('answers a chat completion with an echo and the standard headers', async () => {
    const res = await post();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const xHeaders: Record<string, string> = {};
    res.headers.forEach((value, name) => { if (name.startsWith('x-')) xHeaders[name] = value; });
    expect(xHeaders).toEqual({
      'x-request-id': 'req_1',
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '499',
      'x-ratelimit-reset-requests': '120ms',
      'x-ratelimit-limit-tokens': '30000',
      'x-ratelimit-remaining-tokens': '29950',
      'x-ratelimit-reset-tokens': '100ms',
    });
    const body = await res.json();
    expect(body).toMatchObject({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Echo: hello world' }, finish_reason: 'stop' }],
    });
    expect(server.requestCount).toBe(1);
    expect(server.requests[0]).toMatchObject({
      index: 1, method: 'POST', path: '/v1/chat/completions', body: chat, stream: false, fault: null, status: 200,
    });
    expect(lines).toEqual(['[server] #1 POST /v1/chat/completions -> 200 ok']);
  });

  it('streams SSE chunks then [DONE]', async () => {
    const res = await post({ ...chat, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-request-id')).toBe('req_1');
    const data = dataLines(await res.text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('Echo: hello world');
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop');
    expect(server.requests[0].stream).toBe(true);
  });

  it('answers json_schema output with a value valid for the schema', async () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string' }, age: { type: 'integer' }, ok: { type: 'boolean' }, tags: { type: 'array', items: { type: 'string' } },
        mood: { type: 'string', enum: ['calm', 'angry'] }, where: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        optional: { type: 'string' },
      },
      required: ['name', 'age', 'ok', 'tags', 'mood', 'where'],
    };
    const res = await post({ ...chat, response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } });
    const content = (await res.json()).choices[0].message.content;
    expect(JSON.parse(content)).toEqual({ name: 'example', age: 1, ok: true, tags: [], mood: 'calm', where: { city: 'example' } });
    expect(exampleFor({ type: 'number' })).toBe(1);
  });

  it('gives other paths a 404 in OpenAI error shape without using a fault', async () => {
    server.script({ kind: 'server-error' });
    const res = await fetch(`${server.url}/models`);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('req_1');
    expect(await res.json()).toEqual({
      error: { message: expect.stringContaining('GET /v1/models'), type: 'invalid_request_error', code: 'unknown_url', param: null },
    });
    expect(server.pendingFaults).toEqual([{ kind: 'server-error' }]);
    expect(server.requestCount).toBe(1);
  });

  const errorCases: Array<[Fault, number, Record<string, string | null>, Record<string, unknown>]> = [
    [{ kind: 'rate-limit', retryAfterMs: 250 }, 429, { 'retry-after-ms': '250', 'retry-after': null },
      { type: 'requests', code: 'rate_limit_exceeded', param: null }],
    [{ kind: 'rate-limit-seconds', retryAfterSeconds: 2 }, 429, { 'retry-after': '2', 'retry-after-ms': null },
      { type: 'requests', code: 'rate_limit_exceeded' }],
    [{ kind: 'rate-limit-reset', exhausted: 'tokens', resetTokens: '20ms' }, 429,
      { 'retry-after': null, 'retry-after-ms': null, 'x-ratelimit-reset-tokens': '20ms', 'x-ratelimit-remaining-tokens': '0',
        'x-ratelimit-reset-requests': '6m0s', 'x-ratelimit-remaining-requests': '499' },
      { code: 'rate_limit_exceeded' }],
    [{ kind: 'rate-limit-reset', exhausted: 'requests' }, 429,
      { 'x-ratelimit-reset-requests': '6m0s', 'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-tokens': '1.5s', 'x-ratelimit-remaining-tokens': '29950' },
      { code: 'rate_limit_exceeded' }],
    [{ kind: 'insufficient-quota' }, 429, { 'retry-after': null },
      { type: 'insufficient_quota', code: 'insufficient_quota', param: null }],
    [{ kind: 'server-error' }, 500, {}, { type: 'server_error', code: null }],
    [{ kind: 'service-unavailable' }, 503, { 'x-should-retry': null }, { type: 'server_error', code: null }],
    [{ kind: 'service-unavailable', shouldRetry: false }, 503, { 'x-should-retry': 'false' }, { type: 'server_error' }],
    [{ kind: 'bad-request' }, 400, {}, { type: 'invalid_request_error', code: 'invalid_value', param: 'messages' }],
    [{ kind: 'invalid-api-key' }, 401, {}, { type: 'invalid_request_error', code: 'invalid_api_key' }],
    [{ kind: 'model-not-found' }, 404, {}, { type: 'invalid_request_error', code: 'model_not_found' }],
    [{ kind: 'status', status: 408, headers: { 'x-should-retry': 'true' } }, 408, { 'x-should-retry': 'true' }, { type: 'server_error' }],
  ];

  it.each(errorCases)('%o gives %i with its headers and an OpenAI error body', async (fault, status, headers, error) => {
    server.script(fault);
    const res = await post();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-request-id')).toBe('req_1');
    for (const [name, value] of Object.entries(headers)) expect(res.headers.get(name), name).toBe(value);
    const body = await res.json();
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(body.error).toMatchObject(error);
    expect(server.requests[0]).toMatchObject({ fault, status });
  });

  it('sends retry-after as an HTTP date', async () => {
    server.script({ kind: 'rate-limit-date', retryAfterSeconds: 3 });
    const before = Date.now();
    const res = await post();
    expect(res.status).toBe(429);
    const date = res.headers.get('retry-after')!;
    expect(date).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    const wait = Date.parse(date) - before;
    expect(wait).toBeGreaterThan(1000);
    expect(wait).toBeLessThanOrEqual(3000);
  });

  it('sends a 502 as an HTML page', async () => {
    server.script({ kind: 'bad-gateway' });
    const res = await post();
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(res.headers.get('x-request-id')).toBe('req_1');
    expect(await res.text()).toContain('<h1>502 Bad Gateway</h1>');
  });

  it('drops the connection before the response', async () => {
    server.script({ kind: 'drop-connection' });
    const error = await post().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe('fetch failed');
    expect(server.requests[0]).toMatchObject({ status: null, outcome: 'dropped connection (drop-connection)' });
  });

  it('drops a stream after N chunks', async () => {
    server.script({ kind: 'drop-mid-stream', afterChunks: 2 });
    const res = await post({ ...chat, stream: true });
    expect(res.status).toBe(200);
    const { text, error } = await readAll(res);
    expect(dataLines(text).map((d) => JSON.parse(d).choices[0].delta.content)).toEqual(['Echo:', ' hello']);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe('terminated');
  });

  it('a fault with a model is taken only by a request for that model; others pass it by', async () => {
    server.script({ kind: 'drop-mid-stream', afterChunks: 1, model: 'primary' }, { kind: 'service-unavailable', model: 'secondary' });
    expect((await post({ ...chat, model: 'secondary' })).status).toBe(503);
    expect((await post({ ...chat, model: 'other' })).status).toBe(200);
    expect(server.pendingFaults).toEqual([{ kind: 'drop-mid-stream', afterChunks: 1, model: 'primary' }]);
    const { text, error } = await readAll(await post({ ...chat, model: 'primary', stream: true }));
    expect(dataLines(text).map((d) => JSON.parse(d).choices[0].delta.content)).toEqual(['Echo:']);
    expect((error as Error).message).toBe('terminated');
    expect(server.pendingFaults).toEqual([]);
    expect(server.requests.map((r) => [(r.body as { model: string }).model, r.status])).toEqual([['secondary', 503], ['other', 200], ['primary', 200]]);
  });

  it('drops a non-streaming reply halfway through its body', async () => {
    server.script({ kind: 'drop-mid-stream', afterChunks: 0 });
    const res = await post();
    expect(res.status).toBe(200);
    const { text, error } = await readAll(res);
    expect(text.startsWith('{"id":"chatcmpl-1"')).toBe(true);
    expect((error as Error).message).toBe('terminated');
  });

  it('answers a slow request after the delay', async () => {
    server.script({ kind: 'slow', delayMs: 40 });
    const start = performance.now();
    const res = await post();
    expect(performance.now() - start).toBeGreaterThanOrEqual(35);
    expect((await res.json()).choices[0].message.content).toBe('Echo: hello world');
    expect(lines).toEqual(['[server] #1 POST /v1/chat/completions -> 200 slow (40ms)']);
  });

  it('stops a slow reply when the client goes away, and closes at once', async () => {
    server.script({ kind: 'slow', delayMs: 60_000 });
    await expect(post(chat, { signal: AbortSignal.timeout(20) })).rejects.toThrow();
    await vi.waitFor(() => expect(server.requests[0].outcome).toBe('client closed during slow (60000ms)'), { timeout: 500, interval: 5 });
    const start = performance.now();
    await server.close();
    expect(performance.now() - start).toBeLessThan(100);
  });

  it('closes promptly with a slow reply in flight and keep-alive sockets open', async () => {
    await (await post()).json();
    server.script({ kind: 'slow', delayMs: 60_000 });
    const pending = post().catch((e: unknown) => e);
    await vi.waitFor(() => expect(server.requestCount).toBe(2), { timeout: 500, interval: 5 });
    await server.close();
    expect(await pending).toBeInstanceOf(TypeError);
    await expect(post()).rejects.toThrow('fetch failed');
    await server.close(); // idempotent
  });

  it('serves faults in queue order, then succeeds, and logs each request', async () => {
    server.script({ kind: 'rate-limit', retryAfterMs: 250 }, { kind: 'service-unavailable', shouldRetry: false });
    server.script({ kind: 'server-error' });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post()).status);
    expect(statuses).toEqual([429, 503, 500, 200]);
    expect(server.requestCount).toBe(4);
    expect(server.pendingFaults).toEqual([]);
    expect(lines).toEqual([
      '[server] #1 POST /v1/chat/completions -> 429 rate-limit (retry-after-ms: 250)',
      '[server] #2 POST /v1/chat/completions -> 503 service-unavailable (x-should-retry: false)',
      '[server] #3 POST /v1/chat/completions -> 500 server-error',
      '[server] #4 POST /v1/chat/completions -> 200 ok',
    ]);
    server.reset();
    expect(server.requestCount).toBe(0);
    expect(server.requests).toEqual([]);
    expect((await post()).headers.get('x-request-id')).toBe('req_1');
  });

  it('takes its initial queue from options; defaultDemoFaults is a fresh plain list', async () => {
    const demo = defaultDemoFaults();
    expect(demo.map((f) => f.kind)).toEqual(['rate-limit', 'service-unavailable', 'drop-mid-stream', 'insufficient-quota']);
    expect(defaultDemoFaults()).not.toBe(demo);
    const other = await startLocalOpenAIServer({ faults: demo });
    try {
      expect(other.url).toBe(`http://127.0.0.1:${other.port}/v1`);
      expect(other.pendingFaults).toEqual(demo);
    } finally {
      await other.close();
    }
  });
});

// openai v4 exposes headers as a plain object, v5+ as a WHATWG Headers.
const header = (err: any, name: string): string | null | undefined =>
  err.headers instanceof Headers ? err.headers.get(name) : err.headers?.[name];

// How each SDK reports a socket cut: v6 runs on undici (global fetch), v4 on node-fetch.
const sdks = [
  { name: 'openai v6', SDK: OpenAI, dropCause: 'UND_ERR_SOCKET', cut: { name: 'TypeError', message: 'terminated' } },
  {
    name: 'openai v4', SDK: OpenAI4 as unknown as typeof OpenAI, dropCause: 'ECONNRESET',
    cut: { name: 'Error', message: 'Premature close', code: 'ERR_STREAM_PREMATURE_CLOSE' },
  },
];

describe.each(sdks)('$name against the server', ({ SDK, dropCause, cut }) => {
  const client = (timeout?: number) => new SDK({ baseURL: server.url, apiKey: 'test', maxRetries: 0, timeout });
  const create = (options: { timeout?: number } = {}) =>
    client(options.timeout).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello world' }] });
  const failure = async (fault: Fault, options: { timeout?: number } = {}) => {
    server.script(fault);
    const error = await create(options).then(() => undefined, (e: any) => e);
    expect(error).toBeDefined();
    expect(server.requestCount).toBe(1);
    return error;
  };

  it('completes a chat', async () => {
    const res = await create();
    expect(res.choices[0].message.content).toBe('Echo: hello world');
    expect(server.requestCount).toBe(1);
  });

  it('streams a chat', async () => {
    const stream = await client().chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi there' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Echo: hi there');
  });

  it('rate-limit: RateLimitError carrying retry-after-ms', async () => {
    const err = await failure({ kind: 'rate-limit', retryAfterMs: 250 });
    expect(err).toBeInstanceOf(SDK.RateLimitError);
    expect(err).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'requests' });
    expect(header(err, 'retry-after-ms')).toBe('250');
    expect(err.requestID ?? err.request_id).toBe('req_1');
  });

  it('rate-limit-seconds and rate-limit-date: retry-after', async () => {
    const seconds = await failure({ kind: 'rate-limit-seconds', retryAfterSeconds: 2 });
    expect(seconds).toBeInstanceOf(SDK.RateLimitError);
    expect(header(seconds, 'retry-after')).toBe('2');
    server.reset();
    const date = await failure({ kind: 'rate-limit-date', retryAfterSeconds: 2 });
    expect(Number.isNaN(Date.parse(header(date, 'retry-after')!))).toBe(false);
  });

  it('rate-limit-reset: only x-ratelimit-* hints', async () => {
    const err = await failure({ kind: 'rate-limit-reset', exhausted: 'tokens', resetTokens: '20ms' });
    expect(err).toBeInstanceOf(SDK.RateLimitError);
    expect(header(err, 'retry-after')).toBeFalsy();
    expect(header(err, 'retry-after-ms')).toBeFalsy();
    expect(header(err, 'x-ratelimit-remaining-tokens')).toBe('0');
    expect(header(err, 'x-ratelimit-reset-tokens')).toBe('20ms');
    expect(header(err, 'x-ratelimit-reset-requests')).toBe('6m0s');
  });

  it('insufficient-quota: RateLimitError with code insufficient_quota', async () => {
    const err = await failure({ kind: 'insufficient-quota' });
    expect(err).toBeInstanceOf(SDK.RateLimitError);
    expect(err).toMatchObject({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota' });
  });

  it.each([
    [{ kind: 'server-error' } as Fault, 500],
    [{ kind: 'bad-gateway' } as Fault, 502],
    [{ kind: 'service-unavailable' } as Fault, 503],
  ])('%o: InternalServerError %i', async (fault, status) => {
    const err = await failure(fault);
    expect(err).toBeInstanceOf(SDK.InternalServerError);
    expect(err.status).toBe(status);
    expect(header(err, 'x-request-id')).toBe('req_1');
  });

  it('service-unavailable with shouldRetry false: x-should-retry reaches the error', async () => {
    const err = await failure({ kind: 'service-unavailable', shouldRetry: false });
    expect(err).toBeInstanceOf(SDK.InternalServerError);
    expect(header(err, 'x-should-retry')).toBe('false');
  });

  it.each([
    [{ kind: 'bad-request' } as Fault, 'BadRequestError', 400, 'invalid_value'],
    [{ kind: 'invalid-api-key' } as Fault, 'AuthenticationError', 401, 'invalid_api_key'],
    [{ kind: 'model-not-found' } as Fault, 'NotFoundError', 404, 'model_not_found'],
  ] as const)('%o: %s', async (fault, errorClass, status, code) => {
    const err = await failure(fault);
    expect(err).toBeInstanceOf(SDK[errorClass]);
    expect(err).toMatchObject({ status, code, type: 'invalid_request_error' });
  });

  it('status 408: a plain APIError', async () => {
    const err = await failure({ kind: 'status', status: 408 });
    expect(err).toBeInstanceOf(SDK.APIError);
    expect(err.status).toBe(408);
  });

  it('drop-connection: APIConnectionError, not a timeout', async () => {
    const err = await failure({ kind: 'drop-connection' });
    expect(err).toBeInstanceOf(SDK.APIConnectionError);
    expect(err).not.toBeInstanceOf(SDK.APIConnectionTimeoutError);
    expect(err.cause.code ?? err.cause.cause?.code).toBe(dropCause);
  });

  it('slow past the client timeout: APIConnectionTimeoutError, and the server stops waiting', async () => {
    const err = await failure({ kind: 'slow', delayMs: 60_000 }, { timeout: 30 });
    expect(err).toBeInstanceOf(SDK.APIConnectionTimeoutError);
    await vi.waitFor(() => expect(server.requests[0].outcome).toBe('client closed during slow (60000ms)'), { timeout: 500, interval: 5 });
    expect(server.requests[0].status).toBeNull();
  });

  it.each([0, 2])('drop-mid-stream after %i chunks: the chunks, then a terminated error', async (afterChunks) => {
    server.script({ kind: 'drop-mid-stream', afterChunks });
    const stream = await client().chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hello world' }] });
    const pieces: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) pieces.push(chunk.choices[0]?.delta.content ?? '');
    })().then(() => undefined, (e: unknown) => e);
    expect(pieces).toEqual(['Echo:', ' hello'].slice(0, afterChunks));
    // Not an APIConnectionError: the SDK lets the raw socket error through once the 200 arrived.
    expect(error).not.toBeInstanceOf(SDK.OpenAIError);
    expect(error).toMatchObject(cut);
    expect((error as Error).constructor.name).toBe(cut.name);
    expect(server.requestCount).toBe(1);
  });

  it('drop-mid-stream on a non-streaming call: create() rejects with the raw socket error', async () => {
    const err = await failure({ kind: 'drop-mid-stream', afterChunks: 0 });
    expect(err).not.toBeInstanceOf(SDK.OpenAIError);
    expect(err.message).toContain(cut.message);
  });
});
