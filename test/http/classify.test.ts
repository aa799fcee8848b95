import fc from 'fast-check';
import OpenAI from 'openai';
import OpenAI4 from 'openai4';
import { describe, expect, it } from 'vitest';
import { className, isRateLimitError, isRetryableError } from '../../src/http/classify.js';

const withStatus = (status: number, fields: Record<string, unknown> = {}) => Object.assign(new Error(`HTTP ${status}`), { status }, fields);
const withCode = (code: string, fields: Record<string, unknown> = {}) => Object.assign(new Error(code), { code }, fields);

const RETRYABLE_STATUSES = [408, 409, 425, 429, 500, 502, 503, 504, 599];
const FINAL_STATUSES = [400, 401, 403, 404, 405, 410, 413, 422, 451, 499];
const NETWORK_CODES = ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT'];

describe('isRetryableError: statuses (contract 5, 6)', () => {
  it.each(RETRYABLE_STATUSES)('retries status %d', (status) => {
    expect(isRetryableError(withStatus(status))).toBe(true);
  });

  it.each(FINAL_STATUSES)('does not retry status %d', (status) => {
    expect(isRetryableError(withStatus(status))).toBe(false);
  });

  it.each([
    ['statusCode', 503, true],
    ['statusCode', 429, true],
    ['statusCode', 404, false],
    ['statusCode', 400, false],
  ] as const)('reads %s %d → %s', (field, status, expected) => {
    expect(isRetryableError(Object.assign(new Error('x'), { [field]: status }))).toBe(expected);
  });

  it.each([
    [502, true],
    [408, true],
    [401, false],
    [422, false],
  ])('reads response.status %d → %s (axios style)', (status, expected) => {
    expect(isRetryableError(Object.assign(new Error('x'), { response: { status } }))).toBe(expected);
  });

  it('prefers status over statusCode over response.status', () => {
    expect(isRetryableError({ status: 400, statusCode: 503, response: { status: 503 } })).toBe(false);
    expect(isRetryableError({ status: 503, statusCode: 400, response: { status: 400 } })).toBe(true);
    expect(isRetryableError({ statusCode: 400, response: { status: 503 } })).toBe(false);
  });

  it('property: every 5xx is retried, and every 4xx except 408/409/425/429 is not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 400, max: 599 }), (status) => {
        const expected = status >= 500 || [408, 409, 425, 429].includes(status);
        expect(isRetryableError(withStatus(status))).toBe(expected);
        expect(isRetryableError({ statusCode: status })).toBe(expected);
        expect(isRetryableError({ response: { status } })).toBe(expected);
      }),
    );
  });
});

describe('isRetryableError: insufficient_quota', () => {
  it('does not retry a 429 whose code is insufficient_quota', () => {
    expect(isRetryableError(withStatus(429, { code: 'insufficient_quota' }))).toBe(false);
  });

  it('does not retry a 429 whose type is insufficient_quota', () => {
    expect(isRetryableError(withStatus(429, { type: 'insufficient_quota' }))).toBe(false);
  });

  it('does not retry a 429 whose body has error.code or error.type insufficient_quota', () => {
    expect(isRetryableError(withStatus(429, { error: { code: 'insufficient_quota', message: 'quota' } }))).toBe(false);
    expect(isRetryableError(withStatus(429, { error: { type: 'insufficient_quota' } }))).toBe(false);
  });

  it('does not retry insufficient_quota even with x-should-retry: true', () => {
    expect(isRetryableError(withStatus(429, { code: 'insufficient_quota', headers: new Headers({ 'x-should-retry': 'true' }) }))).toBe(false);
  });

  it('retries a 429 with any other code', () => {
    expect(isRetryableError(withStatus(429, { code: 'rate_limit_exceeded', type: 'requests' }))).toBe(true);
    expect(isRetryableError(withStatus(429, { error: { code: 'rate_limit_exceeded' } }))).toBe(true);
    expect(isRetryableError(withStatus(429, { code: null, type: undefined, error: null }))).toBe(true);
  });
});

describe('isRetryableError: x-should-retry', () => {
  const forms = [
    ['Headers', (h: Record<string, string>) => new Headers(h)],
    ['plain object', (h: Record<string, string>) => h],
    ['plain object, other case', (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toUpperCase(), v]))],
  ] as const;

  it.each(forms)('retries a 400 marked x-should-retry: true (%s)', (_, make) => {
    expect(isRetryableError(withStatus(400, { headers: make({ 'x-should-retry': 'true' }) }))).toBe(true);
  });

  it.each(forms)('does not retry a 503 marked x-should-retry: false (%s)', (_, make) => {
    expect(isRetryableError(withStatus(503, { headers: make({ 'x-should-retry': 'false' }) }))).toBe(false);
  });

  it.each(forms)('does not retry a network error marked x-should-retry: false (%s)', (_, make) => {
    expect(isRetryableError(withCode('ECONNRESET', { headers: make({ 'x-should-retry': 'false' }) }))).toBe(false);
  });

  it('reads x-should-retry on error.response.headers', () => {
    expect(isRetryableError({ response: { status: 404, headers: { 'x-should-retry': 'true' } } })).toBe(true);
    expect(isRetryableError({ response: { status: 500, headers: new Headers({ 'x-should-retry': 'false' }) } })).toBe(false);
  });

  it('ignores other values and falls back to the status', () => {
    for (const value of ['TRUE', 'yes', '1', '', 'maybe']) {
      expect(isRetryableError(withStatus(400, { headers: { 'x-should-retry': value } })), value).toBe(false);
      expect(isRetryableError(withStatus(503, { headers: { 'x-should-retry': value } })), value).toBe(true);
    }
  });
});

describe('isRetryableError: network failures', () => {
  it.each(NETWORK_CODES)('retries code %s on the error', (code) => {
    expect(isRetryableError(withCode(code))).toBe(true);
  });

  it.each(NETWORK_CODES)('retries code %s on a TypeError', (code) => {
    expect(isRetryableError(Object.assign(new TypeError('network'), { code }))).toBe(true);
  });

  it.each(NETWORK_CODES)('retries a TypeError whose cause has code %s', (code) => {
    expect(isRetryableError(new TypeError('network', { cause: withCode(code) }))).toBe(true);
    expect(isRetryableError(new TypeError('network', { cause: { code } }))).toBe(true);
  });

  it.each(NETWORK_CODES)("retries a TypeError whose cause's cause has code %s", (code) => {
    expect(isRetryableError(new TypeError('network', { cause: new Error('outer', { cause: { code } }) }))).toBe(true);
  });

  it("retries undici's TypeError('fetch failed') and TypeError('terminated') with cause UND_ERR_SOCKET", () => {
    expect(isRetryableError(new TypeError('fetch failed'))).toBe(true);
    expect(isRetryableError(new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }))).toBe(true);
    expect(isRetryableError(new TypeError('terminated', { cause: { code: 'UND_ERR_SOCKET' } }))).toBe(true);
    expect(isRetryableError(new TypeError('terminated'))).toBe(true);
  });

  it('retries a real fetch failure from undici', async () => {
    // Port 1 on localhost refuses at once; no timer involved.
    const error = await fetch('http://127.0.0.1:1/').then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(isRetryableError(error)).toBe(true);
  });
});

describe('isRetryableError: programming errors and aborts', () => {
  it('does not retry a plain TypeError, ReferenceError or SyntaxError', () => {
    expect(isRetryableError(new TypeError("Cannot read properties of undefined (reading 'choices')"))).toBe(false);
    expect(isRetryableError(new TypeError('fetch failed!'))).toBe(false);
    expect(isRetryableError(new TypeError('x', { cause: { code: 'ENOENT' } }))).toBe(false);
    expect(isRetryableError(new ReferenceError('client is not defined'))).toBe(false);
    expect(isRetryableError(new SyntaxError('Unexpected token < in JSON'))).toBe(false);
  });

  it('does not retry real programming errors thrown by the engine', () => {
    const caught = (fn: () => unknown) => { try { fn(); } catch (e) { return e; } throw new Error('did not throw'); };
    expect(isRetryableError(caught(() => (undefined as unknown as { a: number }).a))).toBe(false);
    expect(isRetryableError(caught(() => JSON.parse('<html>')))).toBe(false);
    expect(isRetryableError(caught(() => (globalThis as unknown as { eval: (s: string) => unknown }).eval('notDefinedAnywhere')))).toBe(false);
  });

  it('does not retry a DOMException AbortError', () => {
    expect(isRetryableError(new DOMException('This operation was aborted', 'AbortError'))).toBe(false);
    const controller = new AbortController();
    controller.abort();
    expect(isRetryableError(controller.signal.reason)).toBe(false);
  });

  it('does not retry any error named AbortError, or a class named AbortError', () => {
    expect(isRetryableError(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe(false);
    class AbortError extends Error {}
    expect(isRetryableError(new AbortError('aborted'))).toBe(false);
    expect(isRetryableError(Object.assign(new Error('aborted'), { name: 'AbortError', status: 503 }))).toBe(false);
  });

  it('retries a DOMException TimeoutError (AbortSignal.timeout), which is not an abort by the caller', () => {
    expect(isRetryableError(new DOMException('The operation timed out.', 'TimeoutError'))).toBe(true);
  });
});

describe('isRetryableError: values without a status', () => {
  it('retries an error that carries no status', () => {
    expect(isRetryableError(new Error('socket hang up'))).toBe(true);
    expect(isRetryableError({ message: 'upstream unhappy' })).toBe(true);
    expect(isRetryableError(Object.assign(Object.create(null) as object, { message: 'x' }))).toBe(true);
  });

  it.each([['a string', 'boom'], ['undefined', undefined], ['null', null], ['a number', 42], ['0', 0], ['false', false], ['a symbol', Symbol('x')], ['a bigint', 1n]])(
    'retries a thrown non-object: %s',
    (_, value) => {
      expect(isRetryableError(value)).toBe(true);
    },
  );

  it('ignores a status that is not a number', () => {
    expect(isRetryableError({ status: '404' })).toBe(true);
    expect(isRetryableError(Object.assign(new TypeError('bad'), { status: '503' }))).toBe(false);
  });
});

describe('isRetryableError: hostile and frozen errors', () => {
  it('returns false, without throwing, when a getter it needs throws (the error would otherwise be retried)', () => {
    for (const field of ['status', 'code', 'type', 'error', 'name', 'constructor']) {
      const error = withStatus(503);
      Object.defineProperty(error, field, { get() { throw new Error(`boom: ${field}`); } });
      expect(() => isRetryableError(error), field).not.toThrow();
      expect(isRetryableError(error), field).toBe(false);
    }
    for (const field of ['statusCode', 'response', 'message', 'cause']) {
      const error = new Error('no status');
      Object.defineProperty(error, field, { get() { throw new Error(`boom: ${field}`); } });
      if (field === 'message' || field === 'cause') Object.setPrototypeOf(error, TypeError.prototype);
      expect(() => isRetryableError(error), field).not.toThrow();
      expect(isRetryableError(error), field).toBe(false);
    }
    const fetchFailed = new TypeError('fetch failed');
    Object.defineProperty(fetchFailed, 'code', { get() { throw new Error('boom'); } });
    expect(isRetryableError(fetchFailed)).toBe(false);
  });

  it('treats headers whose getter throws as absent, and judges by the status', () => {
    for (const status of [503, 400]) {
      const error = withStatus(status);
      Object.defineProperty(error, 'headers', { get() { throw new Error('boom'); } });
      expect(isRetryableError(error), String(status)).toBe(status === 503);
    }
    const getThrows = withStatus(503, { headers: { get(): string { throw new Error('boom'); } } });
    expect(isRetryableError(getThrows)).toBe(true);
  });

  it('returns false, without throwing, for a Proxy that throws on every read', () => {
    const trap = () => { throw new Error('boom'); };
    const hostile = new Proxy({}, { get: trap, getPrototypeOf: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap });
    expect(isRetryableError(hostile)).toBe(false);
  });

  it('judges a frozen error without mutating it', () => {
    const retryable = Object.freeze(withStatus(503, { headers: Object.freeze({ 'retry-after': '1' }) }));
    const final = Object.freeze(withStatus(404));
    const network = Object.freeze(new TypeError('fetch failed', { cause: Object.freeze({ code: 'UND_ERR_SOCKET' }) }));
    const snapshot = JSON.stringify(Object.getOwnPropertyDescriptors(retryable));
    expect(isRetryableError(retryable)).toBe(true);
    expect(isRetryableError(final)).toBe(false);
    expect(isRetryableError(network)).toBe(true);
    expect(isRetryableError(Object.freeze(new ReferenceError('x')))).toBe(false);
    expect(JSON.stringify(Object.getOwnPropertyDescriptors(retryable))).toBe(snapshot);
  });

  it('property: never throws for any value', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, withMap: true, withSet: true, withBigInt: true }), (value) => {
        expect(typeof isRetryableError(value)).toBe('boolean');
      }),
    );
  });
});

describe('isRetryableError with real openai v6 errors (Headers)', () => {
  const headers = (h: Record<string, string> = {}) => new Headers(h);
  const quotaBody = { code: 'insufficient_quota', type: 'insufficient_quota', message: 'You exceeded your current quota' };

  it('does not retry RateLimitError insufficient_quota, built directly or through APIError.generate', () => {
    const direct = new OpenAI.RateLimitError(429, quotaBody, 'x', headers());
    expect(direct.code).toBe('insufficient_quota');
    expect(isRetryableError(direct)).toBe(false);
    const generated = OpenAI.APIError.generate(429, { error: quotaBody }, undefined, headers({ 'retry-after': '1' }));
    expect(generated).toBeInstanceOf(OpenAI.RateLimitError);
    expect(isRetryableError(generated)).toBe(false);
    const typeOnly = new OpenAI.RateLimitError(429, { type: 'insufficient_quota', message: 'x' }, 'x', headers());
    expect(isRetryableError(typeOnly)).toBe(false);
  });

  it('retries an ordinary RateLimitError', () => {
    const error = OpenAI.APIError.generate(429, { error: { code: 'rate_limit_exceeded', type: 'requests', message: 'slow down' } }, undefined, headers({ 'retry-after-ms': '200' }));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(isRetryableError(error)).toBe(true);
  });

  it('retries InternalServerError and ConflictError, and honours x-should-retry', () => {
    expect(isRetryableError(new OpenAI.InternalServerError(500, undefined, 'x', headers()))).toBe(true);
    expect(isRetryableError(OpenAI.APIError.generate(503, undefined, 'overloaded', headers()))).toBe(true);
    expect(isRetryableError(OpenAI.APIError.generate(503, undefined, 'x', headers({ 'x-should-retry': 'false' })))).toBe(false);
    expect(isRetryableError(new OpenAI.ConflictError(409, undefined, 'x', headers()))).toBe(true);
  });

  it('does not retry the other 4xx classes, unless x-should-retry: true', () => {
    expect(isRetryableError(new OpenAI.BadRequestError(400, { message: 'bad' }, 'bad', headers()))).toBe(false);
    expect(isRetryableError(new OpenAI.AuthenticationError(401, undefined, 'x', headers()))).toBe(false);
    expect(isRetryableError(new OpenAI.PermissionDeniedError(403, undefined, 'x', headers()))).toBe(false);
    expect(isRetryableError(new OpenAI.NotFoundError(404, undefined, 'x', headers()))).toBe(false);
    expect(isRetryableError(new OpenAI.UnprocessableEntityError(422, undefined, 'x', headers()))).toBe(false);
    expect(isRetryableError(new OpenAI.BadRequestError(400, undefined, 'x', headers({ 'x-should-retry': 'true' })))).toBe(true);
  });

  it('retries APIConnectionError and APIConnectionTimeoutError', () => {
    expect(isRetryableError(new OpenAI.APIConnectionError({ cause: new TypeError('fetch failed') }))).toBe(true);
    expect(isRetryableError(new OpenAI.APIConnectionError({ message: 'Connection error.' }))).toBe(true);
    expect(isRetryableError(new OpenAI.APIConnectionTimeoutError())).toBe(true);
    expect(isRetryableError(OpenAI.APIError.generate(undefined, new Error('socket hang up'), undefined, undefined))).toBe(true);
  });

  it('does not retry APIUserAbortError', () => {
    const error = new OpenAI.APIUserAbortError();
    expect(error.name).toBe('Error'); // so the check must go by class, not by name
    expect(isRetryableError(error)).toBe(false);
  });
});

describe('isRetryableError with real openai v4 errors (plain-object headers)', () => {
  const quotaBody = { code: 'insufficient_quota', type: 'insufficient_quota', message: 'You exceeded your current quota' };

  it('does not retry RateLimitError insufficient_quota', () => {
    expect(isRetryableError(new OpenAI4.RateLimitError(429, quotaBody, 'x', {}))).toBe(false);
    const generated = OpenAI4.APIError.generate(429, { error: quotaBody }, undefined, { 'retry-after': '1' });
    expect(generated).toBeInstanceOf(OpenAI4.RateLimitError);
    expect(isRetryableError(generated)).toBe(false);
  });

  it('retries an ordinary RateLimitError and InternalServerError', () => {
    expect(isRetryableError(new OpenAI4.RateLimitError(429, { code: 'rate_limit_exceeded', message: 'x' }, 'x', { 'retry-after': '2' }))).toBe(true);
    expect(isRetryableError(new OpenAI4.InternalServerError(502, undefined, 'x', {}))).toBe(true);
  });

  it('honours x-should-retry in a plain-object header bag, in any case', () => {
    expect(isRetryableError(new OpenAI4.InternalServerError(503, undefined, 'x', { 'x-should-retry': 'false' }))).toBe(false);
    expect(isRetryableError(new OpenAI4.InternalServerError(503, undefined, 'x', { 'X-Should-Retry': 'false' }))).toBe(false);
    expect(isRetryableError(new OpenAI4.BadRequestError(400, undefined, 'x', { 'x-should-retry': 'true' }))).toBe(true);
  });

  it('does not retry the other 4xx classes', () => {
    expect(isRetryableError(new OpenAI4.BadRequestError(400, undefined, 'x', {}))).toBe(false);
    expect(isRetryableError(new OpenAI4.AuthenticationError(401, undefined, 'x', {}))).toBe(false);
    expect(isRetryableError(new OpenAI4.NotFoundError(404, undefined, 'x', {}))).toBe(false);
  });

  it('retries connection errors and does not retry APIUserAbortError', () => {
    expect(isRetryableError(new OpenAI4.APIConnectionError({ cause: new TypeError('fetch failed') }))).toBe(true);
    expect(isRetryableError(new OpenAI4.APIConnectionTimeoutError())).toBe(true);
    expect(isRetryableError(new OpenAI4.APIUserAbortError())).toBe(false);
  });
});

// Cases the mutation run showed were not pinned down.
describe('isRetryableError: edges', () => {
  it.each(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET'])(
    'retries a TypeError whose code, cause.code or cause.cause.code is %s, and not one without',
    (code) => {
      expect(isRetryableError(Object.assign(new TypeError('x'), { code }))).toBe(true);
      expect(isRetryableError(new TypeError('x', { cause: { code } }))).toBe(true);
      expect(isRetryableError(new TypeError('x', { cause: { cause: { code } } }))).toBe(true);
      expect(isRetryableError(Object.assign(new TypeError('x'), { code: `${code}_NOT` }))).toBe(code.startsWith('UND_ERR_'));
    },
  );

  it('does not retry statuses past 599, which are not server errors', () => {
    for (const status of [600, 999]) expect(isRetryableError(withStatus(status))).toBe(false);
  });

  it('reads the cause only when it is an object', () => {
    const functionWithCode = Object.assign(() => {}, { code: 'ECONNRESET' });
    expect(isRetryableError(new TypeError('x', { cause: functionWithCode }))).toBe(false);
    expect(isRetryableError(new TypeError('x', { cause: 'ECONNRESET' }))).toBe(false);
    expect(isRetryableError(new TypeError('x', { cause: null }))).toBe(false);
  });
});

describe('isRateLimitError', () => {
  it('is true for an object with status 429, by any of the status fields', () => {
    expect(isRateLimitError(withStatus(429))).toBe(true);
    expect(isRateLimitError({ statusCode: 429 })).toBe(true);
    expect(isRateLimitError({ response: { status: 429 } })).toBe(true);
  });

  it('is false for other statuses and for anything that is not an object, even carrying a 429', () => {
    for (const value of [withStatus(503), withStatus(400), null, undefined, 429, '429', Object.assign(() => {}, { status: 429 })]) {
      expect(isRateLimitError(value)).toBe(false);
    }
  });

  it('is false, not undefined and without throwing, when a getter it needs throws', () => {
    const hostile = Object.defineProperty(new Error('x'), 'status', { get() { throw new Error('getter'); } });
    expect(isRateLimitError(hostile)).toBe(false);
  });
});

describe('className', () => {
  it('is the constructor\'s name when that is a string, else undefined', () => {
    expect(className(new TypeError('x'))).toBe('TypeError');
    expect(className(Object.create(null) as object)).toBeUndefined();
    expect(className({ constructor: { name: 42 } })).toBeUndefined();
  });
});
