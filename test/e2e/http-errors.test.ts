/**
 * Status errors and broken connections over real HTTP: which are retried, after which waits, and
 * what the caller finally gets (the SDK's own error object, never a wrapper).
 */
import type { Fault } from '../../examples/local-openai-server.js';
import { describe, expect, it } from 'vitest';
import { rejectionOf, useChatService } from './harness.js';
import { sdksUnderTest, type OpenAIConstructor } from './sdks.js';

type ErrorClassOf = (sdk: OpenAIConstructor) => abstract new (...args: never[]) => unknown;

// Under maxRetries: 2 and no jitter, a retryable fault on every attempt means 3 requests, 10 and 20 ms apart.
const retried: [string, Fault, ErrorClassOf][] = [
  ['500 server_error', { kind: 'server-error' }, (sdk) => sdk.InternalServerError],
  ['502 HTML page from a proxy', { kind: 'bad-gateway' }, (sdk) => sdk.InternalServerError],
  ['503 overloaded', { kind: 'service-unavailable' }, (sdk) => sdk.InternalServerError],
  ['408', { kind: 'status', status: 408 }, (sdk) => sdk.APIError],
  ['409', { kind: 'status', status: 409 }, (sdk) => sdk.ConflictError],
  ['400 with x-should-retry: true', { kind: 'status', status: 400, headers: { 'x-should-retry': 'true' } }, (sdk) => sdk.BadRequestError],
  ['a connection dropped before the response', { kind: 'drop-connection' }, (sdk) => sdk.APIConnectionError],
];

// One request each: retrying cannot change the answer.
const notRetried: [string, Fault, ErrorClassOf, number][] = [
  ['400 invalid_request_error', { kind: 'bad-request' }, (sdk) => sdk.BadRequestError, 400],
  ['401 invalid_api_key', { kind: 'invalid-api-key' }, (sdk) => sdk.AuthenticationError, 401],
  ['404 model_not_found', { kind: 'model-not-found' }, (sdk) => sdk.NotFoundError, 404],
  ['422', { kind: 'status', status: 422 }, (sdk) => sdk.UnprocessableEntityError, 422],
  ['503 with x-should-retry: false', { kind: 'service-unavailable', shouldRetry: false }, (sdk) => sdk.InternalServerError, 503],
];

describe.each(sdksUnderTest)('%s: HTTP errors', (_, OpenAISDK) => {
  const e2e = useChatService(OpenAISDK);

  it.each(retried)('%s is retried; once retries run out the caller gets the last error itself', async (_name, fault, errorClass) => {
    e2e.retryWith({ maxRetries: 2 });
    e2e.server.script(fault, fault, fault);
    const error = await rejectionOf(e2e.chat.complete('hello'));
    expect(error).toBeInstanceOf(errorClass(OpenAISDK));
    expect(e2e.sdkErrors()).toHaveLength(3);
    expect(error).toBe(e2e.sdkErrors()[2]);
    expect(e2e.server.requestCount).toBe(3);
    expect(e2e.retries.map((r) => r.delay)).toEqual([10, 20]);
    expect(e2e.retries.map((r) => r.error)).toEqual(e2e.sdkErrors().slice(0, 2));
    expect(e2e.gapBefore(1)).toBeGreaterThanOrEqual(10);
    expect(e2e.gapBefore(2)).toBeGreaterThanOrEqual(20);
    expect(e2e.giveUps).toMatchObject([{ error, attempts: 3, reason: 'retries-exhausted' }]);
  });

  it.each(retried)('%s once, then the retry answers', async (_name, fault) => {
    e2e.server.script(fault);
    await expect(e2e.chat.complete('hello')).resolves.toBe('Echo: hello');
    expect(e2e.server.requestCount).toBe(2);
    expect(e2e.retries).toMatchObject([{ attempt: 1, delay: 10 }]);
  });

  it.each(notRetried)('%s: one request, and the caller gets the error itself', async (_name, fault, errorClass, status) => {
    e2e.server.script(fault);
    const error = await rejectionOf(e2e.chat.complete('hello'));
    expect(error).toBeInstanceOf(errorClass(OpenAISDK));
    expect(error).toMatchObject({ status });
    expect(error).toBe(e2e.sdkErrors()[0]);
    expect(e2e.server.requestCount).toBe(1);
    expect(e2e.retries).toEqual([]);
    expect(e2e.giveUps).toMatchObject([{ error, attempts: 1, reason: 'not-retryable' }]);
  });

  it('a JSON body cut halfway is retried (the connection failed, not the request)', async () => {
    e2e.server.script({ kind: 'drop-mid-stream', afterChunks: 0 });
    await expect(e2e.chat.complete('hello')).resolves.toBe('Echo: hello');
    expect(e2e.server.requestCount).toBe(2);
    // openai v5+ (fetch) reports `TypeError: terminated`; v4 (node-fetch) a FetchError "Premature close".
    expect(e2e.retries[0]!.error).not.toBeInstanceOf(OpenAISDK.APIError);
  });
});
