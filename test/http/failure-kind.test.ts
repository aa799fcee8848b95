import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { errorStatus, failureKind, shouldFailOver } from '../../src/http/classify.js';

const withStatus = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status });
const hostile = () => new Proxy({}, { get: () => { throw new Error('trap'); }, getPrototypeOf: () => { throw new Error('trap'); } });

describe('failureKind: what a failure says about the upstream', () => {
  it.each([
    [429, 'rate-limit'], [500, 'server'], [503, 'server'], [599, 'server'], [408, 'server'],
    [400, 'other'], [404, 'other'], [409, 'other'], [499, 'other'],
  ] as const)('status %i is %s', (status, kind) => {
    expect(failureKind(withStatus(status), false)).toBe(kind);
  });

  it('an attempt cut by attemptTimeout is a timeout, whatever it threw', () => {
    expect(failureKind(withStatus(429), true)).toBe('timeout');
    expect(failureKind(undefined, true)).toBe('timeout');
  });

  it('network failures: errno codes, undici codes, fetch\'s TypeError and openai\'s connection errors', () => {
    expect(failureKind(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), false)).toBe('network');
    expect(failureKind(new TypeError('fetch failed', { cause: { code: 'UND_ERR_SOCKET' } }), false)).toBe('network');
    expect(failureKind(new OpenAI.APIConnectionError({ message: 'refused' }), false)).toBe('network');
    expect(failureKind(new OpenAI.APIConnectionTimeoutError(), false)).toBe('network');
  });

  it('openai\'s connection error is "network" whatever its cause says: null, or an error with no code and no cause', () => {
    expect(failureKind(Object.assign(new OpenAI.APIConnectionError({ message: 'refused' }), { cause: null }), false)).toBe('network');
    expect(failureKind(new OpenAI.APIConnectionError({ message: 'refused', cause: new Error('socket hang up') }), false)).toBe('network');
  });

  it('anything else, a non-object, or an error whose fields throw, is "other"', () => {
    expect(failureKind(new Error('plain'), false)).toBe('other');
    expect(failureKind('text', false)).toBe('other');
    expect(failureKind(null, false)).toBe('other');
    expect(failureKind(Object.assign(() => {}, { code: 'ECONNRESET' }), false)).toBe('other');
    expect(failureKind(hostile(), false)).toBe('other');
  });
});

describe('errorStatus', () => {
  it('reads status, statusCode and response.status; undefined for anything without one', () => {
    expect(errorStatus(withStatus(503))).toBe(503);
    expect(errorStatus(Object.assign(new Error('x'), { statusCode: 502 }))).toBe(502);
    expect(errorStatus(Object.assign(new Error('x'), { response: { status: 429 } }))).toBe(429);
    expect(errorStatus(Object.assign(new Error('x'), { status: '503' }))).toBeUndefined();
    expect(errorStatus(null)).toBeUndefined();
    expect(errorStatus(42)).toBeUndefined();
    expect(errorStatus(hostile())).toBeUndefined();
  });
});

describe('shouldFailOver on what is not an error object', () => {
  it('never fails over on a non-object or an error whose fields throw', () => {
    expect(shouldFailOver(undefined)).toBe(false);
    expect(shouldFailOver('503')).toBe(false);
    expect(shouldFailOver(hostile())).toBe(false);
  });
});
