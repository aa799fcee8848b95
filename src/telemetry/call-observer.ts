import type { WaitReason } from '../coordination/coordinator.js';
import type { GiveUpReason, RetryPolicy } from '../policy/options.js';
import { retryableInstruments, retryableTracer } from './instruments.js';
import { openTelemetryApi } from './load-api.js';
import { OpenTelemetryCall, reportTelemetryFault } from './opentelemetry-call.js';
import { openTelemetryRegistrations } from './otel-global.js';

/**
 * What the engine tells telemetry about one call. Created per call only while telemetry is active,
 * so a call without it pays for one global read and nothing else. No method throws: a fault in
 * telemetry is reported and never changes a call's outcome.
 */
export interface CallObserver {
  /**
   * Runs an attempt's synchronous part, where the SDK call is made, with the attempt's span active
   * (so the SDK's own HTTP spans nest inside it), and sees how its promise ends. Returns `run`'s result.
   */
  attempt<A extends unknown[]>(number: number, run: (...args: A) => unknown, ...args: A): unknown;
  /** The engine is about to wait `ms` before an attempt. */
  waiting(ms: number, reason: WaitReason, serverHint: number | undefined): void;
  succeeded(): void;
  gaveUp(reason: GiveUpReason, error: unknown): void;
}

/**
 * An observer for a call of `method`, or undefined when the policy opts out (`telemetry: false`)
 * or no tracer or meter provider is registered. Loads `@opentelemetry/api` on first use.
 */
export function observeCall(policy: RetryPolicy, method: string): CallObserver | undefined {
  const registered = openTelemetryRegistrations();
  const tracing = registered?.trace !== undefined;
  const metering = registered?.metrics !== undefined;
  if (!policy.telemetry || (!tracing && !metering)) return undefined;
  try {
    const api = openTelemetryApi();
    if (api === undefined) return undefined;
    const tracer = tracing ? retryableTracer(api) : undefined;
    const instruments = metering ? retryableInstruments(api) : undefined;
    return new OpenTelemetryCall(api, tracer, instruments, method, upstreamName(policy), policy.clock);
  } catch (fault) {
    reportTelemetryFault(fault);
    return undefined;
  }
}

/** The coordinator's `name`, when it has one (an `Upstream` is named; a `RetryBudget` is not). */
function upstreamName(policy: RetryPolicy): string | undefined {
  const name = (policy.upstream as { readonly name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}
