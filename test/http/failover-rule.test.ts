import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { shouldFailOver } from '../../src/http/classify.js';

const withStatus = (status: number, fields: Record<string, unknown> = {}) => Object.assign(new Error(`HTTP ${status}`), { status }, fields);

describe('shouldFailOver: the default failoverIf', () => {
  it.each([429, 500, 502, 503, 504, 408])('fails over on status %d: the upstream limits us or fails', (status) => {
    expect(shouldFailOver(withStatus(status))).toBe(true);
  });

  it.each([400, 401, 403, 404, 409, 422])('never fails over on %d: another target would refuse the same request', (status) => {
    expect(shouldFailOver(withStatus(status))).toBe(false);
  });

  it('fails over on insufficient_quota, in the SDK\'s shape or wrapped: another account may have credit', () => {
    const quota = new OpenAI.RateLimitError(429, { code: 'insufficient_quota', type: 'insufficient_quota', message: 'quota' }, 'quota', new Headers());
    expect(shouldFailOver(quota)).toBe(true);
    expect(shouldFailOver(new Error('wrapped', { cause: quota }))).toBe(true);
    // Not only as a 429 (which fails over anyway): a gateway may send it as a 402 or 403.
    expect(shouldFailOver(withStatus(402, { code: 'insufficient_quota' }))).toBe(true);
    expect(shouldFailOver(withStatus(403, { error: { type: 'insufficient_quota' } }))).toBe(true);
    expect(shouldFailOver(withStatus(402))).toBe(false);
  });

  it('fails over on a 400 context_length_exceeded: a model with a longer context may serve it', () => {
    const tooLong = new OpenAI.BadRequestError(400, { code: 'context_length_exceeded', type: 'invalid_request_error', message: 'too long' }, 'too long', new Headers());
    expect(shouldFailOver(tooLong)).toBe(true);
    expect(shouldFailOver(withStatus(400, { code: 'invalid_value' }))).toBe(false);
  });

  it('fails over on network failures and the SDK\'s connection errors, not on aborts or plain errors', () => {
    expect(shouldFailOver(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(shouldFailOver(new TypeError('fetch failed'))).toBe(true);
    expect(shouldFailOver(new OpenAI.APIConnectionTimeoutError())).toBe(true);
    expect(shouldFailOver(new OpenAI.APIUserAbortError())).toBe(false);
    expect(shouldFailOver(new DOMException('stop', 'AbortError'))).toBe(false);
    expect(shouldFailOver(new Error('the model gave no JSON'))).toBe(false);
  });

  it('says no for values that are not errors, and for an error whose getters throw', () => {
    expect(shouldFailOver(undefined)).toBe(false);
    expect(shouldFailOver('503')).toBe(false);
    const hostile = new Proxy({}, { get: () => { throw new Error('trap'); }, getPrototypeOf: () => { throw new Error('trap'); } });
    expect(shouldFailOver(hostile)).toBe(false);
  });
});
