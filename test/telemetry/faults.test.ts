import { metrics, trace, type Span, type TracerProvider } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, test, vi, type MockInstance } from 'vitest';
import { retry } from '../../src/index.js';
import { useOpenTelemetryPerTest } from '../support/opentelemetry.js';
import { rateLimited, serverError } from '../support/openai-like-errors.js';
import { observe, scripted } from '../support/scripted.js';
import { useVirtualTimePerTest } from '../support/virtual-time.js';

// Infrastructure faults never replace the API's answer: whatever telemetry throws, the caller gets
// the value or the very error the last attempt threw, and the fault is reported as a warning.

useVirtualTimePerTest();
let exporterThrows = false;
const otel = useOpenTelemetryPerTest({
  wrapExporter: (inMemory) => ({
    export: (spans, done) => {
      if (exporterThrows) throw new Error('collector down');
      inMemory.export(spans, done);
    },
    shutdown: async () => {},
  }),
});

let warnings: MockInstance<typeof process.emitWarning>;
beforeEach(() => {
  exporterThrows = false;
  warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
});
afterEach(() => {
  warnings.mockRestore();
});

// Coordination off: these tests pin what telemetry reports of the call's own schedule.
const exact = { jitter: 'none', initialDelay: 100, maxRetries: 1, upstream: false } as const;
const reportedFaults = () => warnings.mock.calls.map(([message]) => String(message).split('\n')[0]);

/** Runs a call that fails once and then gives up or succeeds, and returns what the caller got. */
async function outcomeOf(failures: unknown[]) {
  const call = observe(retry(scripted(failures, 'choice'), exact));
  await vi.runAllTimersAsync();
  return call;
}

describe('faults in telemetry', () => {
  test('an exporter that throws: the SDK contains it, the call is unchanged', async () => {
    exporterThrows = true;
    expect(await outcomeOf([serverError('req_1')])).toEqual({ status: 'fulfilled', value: 'choice' });
    const last = rateLimited('req_3', 10);
    const gaveUp = await outcomeOf([serverError('req_2'), last]);
    expect(gaveUp.status === 'rejected' && gaveUp.reason).toBe(last);
    expect(otel.spans()).toEqual([]);
  });

  test('a tracer whose spans throw on every method: each fault is reported once, the call is unchanged', async () => {
    trace.disable();
    const hostileSpan = new Proxy({}, { get: () => { throw new Error('span broken'); } }) as Span;
    const provider: TracerProvider = { getTracer: () => ({ startSpan: () => hostileSpan, startActiveSpan: () => { throw new Error('unused'); } }) };
    trace.setGlobalTracerProvider(provider);
    const last = rateLimited('req_2', 10);
    const gaveUp = await outcomeOf([serverError('req_1'), last]);
    expect(gaveUp.status === 'rejected' && gaveUp.reason).toBe(last);
    // Two attempt ends, one wait event, one give-up: each reported, none thrown into the call.
    expect(reportedFaults()).toEqual(Array(4).fill('retryable: the telemetry hook threw; the call went on as if it had not. Error: span broken'));
  });

  test('a meter provider that throws: the call runs unobserved and the fault is reported', async () => {
    metrics.disable();
    trace.disable();
    metrics.setGlobalMeterProvider({ getMeter: () => { throw new Error('meter broken'); } });
    expect(await outcomeOf([serverError('req_1')])).toEqual({ status: 'fulfilled', value: 'choice' });
    expect(reportedFaults()).toEqual(['retryable: the telemetry hook threw; the call went on as if it had not. Error: meter broken']);
  });

  test('an attempt that throws a Proxy whose every trap throws: spans still end, the caller gets that very Proxy', async () => {
    const hostile = new Proxy({}, { get: () => { throw new Error('trap'); }, getPrototypeOf: () => { throw new Error('trap'); } });
    const outcome = await outcomeOf([hostile]);
    expect(outcome.status === 'rejected' && outcome.reason).toBe(hostile);
    expect(otel.spans().map(({ name, attributes, status }) => ({ name, attributes, status }))).toEqual([
      { name: 'fn attempt', attributes: { 'retryable.attempt.number': 1, 'error.type': '_OTHER' }, status: { code: 2, message: undefined } },
      { name: 'fn', attributes: { 'retryable.method': 'fn', 'retryable.outcome': 'gave-up', 'retryable.attempt.count': 1, 'retryable.give_up.reason': 'not-retryable' }, status: { code: 2, message: undefined } },
    ]);
    // Only recording the exception failed (the SDK reads its fields); the span ended regardless.
    expect(reportedFaults()).toEqual(['retryable: the telemetry hook threw; the call went on as if it had not. Error: trap']);
  });
});
