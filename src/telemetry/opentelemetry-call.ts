import type { Attributes, Context, Exception, Span, Tracer } from '@opentelemetry/api';
import type { WaitReason } from '../coordination/coordinator.js';
import { reportHookError } from '../engine/hooks.js';
import { isPromiseLike } from '../engine/promise-like.js';
import type { GiveUpReason, RetryClock } from '../policy/options.js';
import type { CallObserver } from './call-observer.js';
import { describeError } from './error-attributes.js';
import type { Instruments } from './instruments.js';
import type { OpenTelemetryApi } from './load-api.js';

/** Reported like a hook's failure: as a process warning, and the call goes on. */
export function reportTelemetryFault(fault: unknown): void {
  reportHookError('telemetry', fault);
}

/**
 * The engine's time as a `Date`: the SDK reads a bare number no later than `performance.now()` as a
 * performance timestamp, which a virtual clock that starts at 0 would be.
 */
function timestamp(clock: RetryClock): Date {
  return new Date(clock.now());
}

function safely(report: () => void): void {
  try {
    report();
  } catch (fault) {
    reportTelemetryFault(fault);
  }
}

/**
 * One call as OpenTelemetry sees it: a span for the call with a child span per attempt and an event
 * per wait, and the `retryable` meter's instruments. Either half may be off (only a tracer or only a
 * meter provider registered). Timestamps come from the engine's clock, so that spans agree with the
 * waits the engine made (and tests can give exact durations).
 */
export class OpenTelemetryCall implements CallObserver {
  private readonly span: Span | undefined;
  /** The caller's context with the call span in it: the parent of every attempt span. */
  private readonly callContext: Context;
  /** `retryable.method` and, when known, `retryable.upstream`: on the call span and every metric point. */
  private readonly attributes: Attributes;
  private attempts = 0;

  constructor(
    private readonly api: OpenTelemetryApi,
    private readonly tracer: Tracer | undefined,
    private readonly instruments: Instruments | undefined,
    private readonly method: string,
    upstream: string | undefined,
    private readonly clock: RetryClock,
  ) {
    this.attributes = upstream === undefined ? { 'retryable.method': method } : { 'retryable.method': method, 'retryable.upstream': upstream };
    const parent = api.context.active();
    this.span = tracer?.startSpan(method, { kind: api.SpanKind.INTERNAL, startTime: timestamp(clock), attributes: this.attributes }, parent);
    this.callContext = this.span === undefined ? parent : api.trace.setSpan(parent, this.span);
  }

  attempt<A extends unknown[]>(number: number, run: (...args: A) => unknown, ...args: A): unknown {
    let span: Span | undefined;
    let context: Context | undefined;
    try {
      this.attempts = number;
      if (number > 1) this.instruments?.retries.add(1, this.attributes);
      // `http.request.resend_count` only on retries, as the HTTP semantic conventions ask.
      const attributes: Attributes = number > 1 ? { 'retryable.attempt.number': number, 'http.request.resend_count': number - 1 } : { 'retryable.attempt.number': 1 };
      span = this.tracer?.startSpan(`${this.method} attempt`, { kind: this.api.SpanKind.INTERNAL, startTime: timestamp(this.clock), attributes }, this.callContext);
      if (span !== undefined) context = this.api.trace.setSpan(this.callContext, span);
    } catch (fault) {
      reportTelemetryFault(fault);
    }
    let result: unknown;
    try {
      result = context === undefined ? run(...args) : this.api.context.with(context, run, undefined, ...args);
    } catch (error) {
      this.attemptEnded(span, true, error);
      throw error;
    }
    // A method that returns no promise is a failure: the engine ends the call with a TypeError.
    if (!isPromiseLike(result)) this.attemptEnded(span, true, undefined);
    else result.then(() => this.attemptEnded(span, false, undefined), (error: unknown) => this.attemptEnded(span, true, error));
    return result;
  }

  waiting(ms: number, reason: WaitReason, serverHint: number | undefined): void {
    safely(() => {
      const attributes: Attributes = { 'retryable.wait.ms': ms, 'retryable.wait.reason': reason };
      if (serverHint !== undefined) attributes['retryable.server_hint.ms'] = serverHint;
      this.span?.addEvent('retryable.wait', attributes, timestamp(this.clock));
    });
    safely(() => this.instruments?.waitDuration.record(ms / 1000, { ...this.attributes, 'retryable.wait.reason': reason }));
  }

  succeeded(): void {
    this.ended('success', undefined, undefined);
  }

  gaveUp(reason: GiveUpReason, error: unknown): void {
    this.ended('gave-up', reason, error);
  }

  private attemptEnded(span: Span | undefined, failed: boolean, error: unknown): void {
    const described = failed ? describeError(error) : undefined;
    safely(() => {
      if (span === undefined) return;
      try {
        if (described === undefined) return;
        if (described.status !== undefined) span.setAttribute('http.response.status_code', described.status);
        if (described.requestId !== undefined) span.setAttribute('retryable.request_id', described.requestId);
        span.setAttribute('error.type', described.type);
        span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: described.message });
      } finally {
        span.end(timestamp(this.clock));
      }
    });
    safely(() => this.instruments?.attempts.add(1, described === undefined
      ? { ...this.attributes, 'retryable.attempt.outcome': 'success' }
      : { ...this.attributes, 'retryable.attempt.outcome': 'failure', 'error.type': described.type }));
  }

  private ended(outcome: 'success' | 'gave-up', reason: GiveUpReason | undefined, error: unknown): void {
    safely(() => {
      const span = this.span;
      if (span === undefined) return;
      const now = timestamp(this.clock);
      try {
        span.setAttributes({ 'retryable.outcome': outcome, 'retryable.attempt.count': this.attempts });
        if (reason === undefined) return;
        span.setAttribute('retryable.give_up.reason', reason);
        span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: describeError(error).message });
        span.recordException(error as Exception, now);
      } finally {
        span.end(now);
      }
    });
    safely(() => {
      if (this.instruments === undefined) return;
      this.instruments.callAttempts.record(this.attempts, { ...this.attributes, 'retryable.outcome': outcome });
      if (reason !== undefined) this.instruments.giveUps.add(1, { ...this.attributes, 'retryable.give_up.reason': reason });
    });
  }
}
