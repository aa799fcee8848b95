import http from 'node:http';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalOpenAIServer, type LocalOpenAIServer, type RateLimitOptions } from '../examples/local-openai-server.js';
import { readRateLimits, refillPerMs } from '../src/http/rate-limit-headers.js';
import { parseGoDuration } from '../src/http/server-hints.js';
import { estimateRequestTokens } from '../src/http/token-estimate.js';

let server: LocalOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(limits: RateLimitOptions) {
  server = await startLocalOpenAIServer({ limits });
  return { server, client: new OpenAI({ baseURL: server.url, apiKey: 'test', maxRetries: 0 }) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const hello = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hello world' }] };
// 'hello world': ceil(11 / 4) + 4 for the message = 7 tokens; with max_tokens 400, 407.
const HELLO_TOKENS = 7;
const rejection = (promise: Promise<unknown>) => promise.then(() => { throw new Error('expected a rejection'); }, (e: any) => e);
function rateLimitHeaders(headers: Headers): Record<string, string> {
  const found: Record<string, string> = {};
  headers.forEach((value, name) => { if (name.startsWith('x-ratelimit-') || name.startsWith('retry-after')) found[name] = value; });
  return found;
}

describe('limits: headers', () => {
  it('describes each bucket after charging, and reads back as the refill rate', async () => {
    // 50 requests/s with room for 3; 1000 tokens/s with room for 1000.
    const { server, client } = await start({ requestsPerMinute: 3000, burst: 3, tokensPerMinute: 60_000, tokenBurst: 1000 });
    const { response } = await client.chat.completions.create(hello).withResponse();
    expect(estimateRequestTokens(server.requests[0]!.body)).toBe(HELLO_TOKENS);
    expect(rateLimitHeaders(response.headers)).toEqual({
      'x-ratelimit-limit-requests': '3',
      'x-ratelimit-remaining-requests': '2',
      'x-ratelimit-reset-requests': '20ms', // one request at 0.05/ms
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '993',
      'x-ratelimit-reset-tokens': '7ms', // seven tokens at 1/ms
    });
    const snapshot = readRateLimits(response.headers, Date.now())!;
    expect(refillPerMs(snapshot.requests!)).toBe(0.05);
    expect(refillPerMs(snapshot.tokens!)).toBe(1);
    expect(server.requests[0]).toMatchObject({ status: 200, rateLimited: null, levels: { requests: 2, tokens: 993 } });
  });

  it('sends them on a 429, a scripted fault, a 404 and a stream; a 429 does not use up a fault', async () => {
    const { server, client } = await start({ requestsPerMinute: 60, burst: 2 });
    const stream = await client.chat.completions.create({ ...hello, stream: true }).withResponse();
    for await (const _ of stream.data); // drain
    expect(stream.response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    server.script({ kind: 'server-error' });
    const fault = await rejection(client.chat.completions.create(hello));
    expect(fault).toBeInstanceOf(OpenAI.InternalServerError);
    expect(fault.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    server.script({ kind: 'server-error' });
    const limited = await rejection(client.chat.completions.create(hello));
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(server.pendingFaults).toEqual([{ kind: 'server-error' }]);
    const notFound = await fetch(`${server.url}/models`);
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    // Token headers only for a configured token limit; never the fixed defaults.
    expect(notFound.headers.get('x-ratelimit-limit-tokens')).toBeNull();
    expect(server.requests.map((r) => [r.status, r.rateLimited])).toEqual([[200, null], [500, null], [429, 'requests'], [404, null]]);
  });

  it('leaves out x-ratelimit-* with headers: false, and retry-after* with retryAfter: false', async () => {
    const { server, client } = await start({ requestsPerMinute: 60, burst: 1, headers: false, retryAfter: false });
    const { response } = await client.chat.completions.create(hello).withResponse();
    expect(rateLimitHeaders(response.headers)).toEqual({});
    const limited = await rejection(client.chat.completions.create(hello));
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(rateLimitHeaders(limited.headers)).toEqual({});
    expect(server.requests.filter((r) => r.status === 429)).toHaveLength(1);
  });
});

describe('limits: the request bucket', () => {
  it('refuses exactly the requests beyond the burst, with OpenAI 429 bodies', async () => {
    // One request back every 2 s: 12 requests sent at once all arrive long before a refill.
    const { server, client } = await start({ requestsPerMinute: 30, burst: 5 });
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => client.chat.completions.create(hello)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(server.requests.filter((r) => r.status === 429)).toHaveLength(7);
    for (const result of results) {
      if (result.status === 'fulfilled') continue;
      const error = result.reason;
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error).toMatchObject({ status: 429, type: 'requests', code: 'rate_limit_exceeded', param: null });
      const [, wait] = /^Rate limit reached for gpt-4o-mini in organization org-local on requests per min \(RPM\): Limit 5, Used 5, Requested 1\. Please try again in (\S+)\.$/
        .exec(error.error.message)!;
      expect(parseGoDuration(wait!)).toBe(Number(error.headers.get('retry-after-ms')));
    }
  });

  it('refills over real time, and retry-after-ms is the time to the next request', async () => {
    // 20/s: a request comes back every 50 ms, far longer than 4 concurrent requests take to arrive.
    const { server, client } = await start({ requestsPerMinute: 1200, burst: 3 });
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => client.chat.completions.create(hello)));
    const limited = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(limited).toHaveLength(1);
    const refused = server.requests.find((r) => r.status === 429)!;
    const level = refused.levels!.requests!;
    const retryAfterMs = Number(limited[0].headers.get('retry-after-ms'));
    expect(retryAfterMs).toBe(Math.ceil((1 - level) / 0.02));
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(50);
    expect(limited[0].headers.get('retry-after')).toBe('1');
    const snapshot = readRateLimits(limited[0].headers, Date.now())!;
    expect(snapshot.requests).toEqual({ limit: 3, remaining: 0, resetMs: Math.ceil((3 - level) / 0.02) });
    expect(refillPerMs(snapshot.requests!)).toBeCloseTo(0.02, 2);

    // Timers run on whole-ms loop time; 2 ms of slack keeps this exact wait from landing early.
    await sleep(retryAfterMs + 2);
    await client.chat.completions.create(hello);
    await sleep(160); // longer than the 150 ms an empty bucket takes to fill
    const { response } = await client.chat.completions.create(hello).withResponse();
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('2');
    expect(server.requests.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('serves 2000 concurrent requests in a second or so, refusing all but the burst', { timeout: 15_000 }, async () => {
    // One request back every 10 s, so the count stays exact even on a machine busy with other tests.
    const { server } = await start({ requestsPerMinute: 6, burst: 50 });
    // A pool of 100 keep-alive sockets, as a busy client has; 2000 fresh fetch connections would
    // measure the TCP handshakes of this machine, not the server.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });
    const body = JSON.stringify(hello);
    const post = () => new Promise<number>((resolve, reject) => {
      const req = http.request(`${server.url}/chat/completions`, { method: 'POST', agent }, (res) => {
        res.resume().on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject).end(body);
    });
    const started = performance.now();
    const statuses = await Promise.all(Array.from({ length: 2000 }, post)).finally(() => agent.destroy());
    // About 0.7 s alone on 2 cores; the bound leaves room for parallel test files, not for a stall.
    expect(performance.now() - started).toBeLessThan(5000);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(server.requests.filter((r) => r.status === 429)).toHaveLength(1950);
  });

  it('refills on reset()', async () => {
    const { server, client } = await start({ requestsPerMinute: 60, burst: 1 });
    await client.chat.completions.create(hello);
    await expect(client.chat.completions.create(hello)).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    server.reset();
    await client.chat.completions.create(hello);
    expect(server.requests).toHaveLength(1);
  });
});

describe('limits: the token bucket', () => {
  // 10 tokens/s with room for 1000; requests are plentiful, so tokens bind first.
  const limits = { requestsPerMinute: 6000, burst: 100, tokensPerMinute: 600, tokenBurst: 1000 };
  const big = { ...hello, max_tokens: 400 };

  it('charges max_tokens plus the prompt, and refuses with type tokens', async () => {
    const { server, client } = await start(limits);
    await client.chat.completions.create(big);
    await client.chat.completions.create(big);
    const limited = await rejection(client.chat.completions.create(big));
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited).toMatchObject({ status: 429, type: 'tokens', code: 'rate_limit_exceeded' });
    expect(limited.error.message).toMatch(/ on tokens per min \(TPM\): Limit 1000, Used 81\d, Requested 407\. Please try again in 2\d\.\d+s\.$/);
    const level = server.requests[2]!.levels!.tokens!;
    expect(level).toBeGreaterThanOrEqual(1000 - 2 * 407);
    const retryAfterMs = Number(limited.headers.get('retry-after-ms'));
    expect(retryAfterMs).toBe(Math.ceil((407 - level) / 0.01));
    expect(limited.headers.get('retry-after')).toBe(String(Math.ceil(retryAfterMs / 1000)));
    expect(readRateLimits(limited.headers, Date.now())).toMatchObject({
      requests: { limit: 100 },
      tokens: { limit: 1000, remaining: Math.floor(level), resetMs: Math.ceil((1000 - level) / 0.01) },
    });
    expect(server.requests.map((r) => r.rateLimited)).toEqual([null, null, 'tokens']);
  });

  it('refuses a request larger than the bucket for good, with no retry hint', async () => {
    const { client } = await start(limits);
    const tooLarge = await rejection(client.chat.completions.create({ ...hello, max_tokens: 5000 }));
    expect(tooLarge).toMatchObject({ status: 429, type: 'tokens', code: 'rate_limit_exceeded' });
    expect(tooLarge.error.message).toBe('Request too large for gpt-4o-mini in organization org-local on tokens per min (TPM): '
      + 'Limit 1000, Requested 5007. The input or output tokens must be reduced in order to run successfully.');
    expect(tooLarge.headers.get('retry-after-ms')).toBeNull();
    expect(tooLarge.headers.get('x-ratelimit-remaining-tokens')).toBe('1000');
  });
});

describe('limits: options', () => {
  it.each([
    [{ requestsPerMinute: 0 }, 'limits.requestsPerMinute must be a positive number, got 0'],
    [{ tokensPerMinute: -5 }, 'limits.tokensPerMinute must be a positive number, got -5'],
    [{ requestsPerMinute: 60, burst: Number.NaN }, 'limits.burst must be a positive number, got NaN'],
  ])('rejects %o', async (limits, message) => {
    const error = await rejection(startLocalOpenAIServer({ limits }));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe(message);
  });
});
