import type { Counter, Histogram, MeterProvider, Tracer, TracerProvider } from '@opentelemetry/api';
import type { OpenTelemetryApi } from './load-api.js';

/** The instrument and scope names; docs/telemetry.md lists them with their attributes. */
export const SCOPE_NAME = 'retryable';

export interface Instruments {
  readonly attempts: Counter;
  readonly retries: Counter;
  readonly giveUps: Counter;
  readonly waitDuration: Histogram;
  readonly callAttempts: Histogram;
}

// Built once per registered provider and kept: instruments are meant to be long-lived, and an
// application that replaces its provider (tests do, per test) gets new ones on its next call.
let tracerOf: { provider: TracerProvider; tracer: Tracer } | undefined;
let instrumentsOf: { provider: MeterProvider; instruments: Instruments } | undefined;

export function retryableTracer(api: OpenTelemetryApi): Tracer {
  const provider = api.trace.getTracerProvider();
  if (tracerOf?.provider !== provider) tracerOf = { provider, tracer: provider.getTracer(SCOPE_NAME) };
  return tracerOf.tracer;
}

export function retryableInstruments(api: OpenTelemetryApi): Instruments {
  const provider = api.metrics.getMeterProvider();
  if (instrumentsOf?.provider !== provider) instrumentsOf = { provider, instruments: createInstruments(provider) };
  return instrumentsOf.instruments;
}

function createInstruments(provider: MeterProvider): Instruments {
  const meter = provider.getMeter(SCOPE_NAME);
  return {
    attempts: meter.createCounter('retryable.attempts', { unit: '{attempt}', description: 'Attempts that ended, by outcome' }),
    retries: meter.createCounter('retryable.retries', { unit: '{retry}', description: 'Attempts after the first (retries started)' }),
    giveUps: meter.createCounter('retryable.give_ups', { unit: '{call}', description: 'Calls that failed for good, by reason' }),
    waitDuration: meter.createHistogram('retryable.wait.duration', {
      unit: 's',
      description: 'Waits before an attempt, by reason',
      // Waits run from milliseconds (paced) to a minute (rate limits); the SDK's default buckets suit milliseconds.
      advice: { explicitBucketBoundaries: [0, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60] },
    }),
    callAttempts: meter.createHistogram('retryable.call.attempts', {
      unit: '{attempt}',
      description: 'Attempts per call, by outcome',
      advice: { explicitBucketBoundaries: [1, 2, 3, 4, 5, 6, 8, 10] },
    }),
  };
}
