import { createRequire } from 'node:module';
import { expect, test, vi } from 'vitest';
import { retry } from '../../src/index.js';
import { resolvePolicy } from '../../src/policy/policy.js';
import { observeCall } from '../../src/telemetry/call-observer.js';
import { OPENTELEMETRY_API_KEY, openTelemetryRegistrations } from '../../src/telemetry/otel-global.js';
import { serverError } from '../support/openai-like-errors.js';
import { observe, scripted } from '../support/scripted.js';
import { useVirtualTimePerTest } from '../support/virtual-time.js';

// This file never imports @opentelemetry/api, so the process has no OpenTelemetry registered: the
// state of an application that does not use it.

useVirtualTimePerTest();

const requireHere = createRequire(import.meta.url);
const apiDirectory = requireHere.resolve('@opentelemetry/api').replace(/build\/src\/index\.js$/, '');
const apiLoaded = () => Object.keys(requireHere.cache).some((path) => path.startsWith(apiDirectory));

test('with no SDK registered, no observer is made and @opentelemetry/api is never loaded', async () => {
  expect(openTelemetryRegistrations()).toBeUndefined();
  expect(observeCall(resolvePolicy({}, {}, 'test'), 'fn')).toBeUndefined();
  const call = observe(retry(scripted([serverError('req_1')], 'choice'), { initialDelay: 100, jitter: 'none' }));
  await vi.runAllTimersAsync();
  expect(await call).toEqual({ status: 'fulfilled', value: 'choice' });
  expect(apiDirectory).toMatch(/@opentelemetry\/api\/$/);
  expect(apiLoaded()).toBe(false);
});

test('the key the API registers under is held as a hidden undefined, so that the per-call read stays cheap', () => {
  expect(OPENTELEMETRY_API_KEY).toBe(Symbol.for('opentelemetry.js.api.1'));
  expect(Object.getOwnPropertyDescriptor(globalThis, OPENTELEMETRY_API_KEY)).toEqual({ value: undefined, writable: true, enumerable: false, configurable: true });
});
