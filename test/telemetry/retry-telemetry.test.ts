import { trace } from '@opentelemetry/api';
import { describe, expect, test, vi } from 'vitest';
import { retry, RetryBudget } from '../../src/index.js';
import { useOpenTelemetryPerTest, type SpanRecord } from '../support/opentelemetry.js';
import { rateLimited, serverError } from '../support/openai-like-errors.js';
import { observe } from '../support/scripted.js';
import { useVirtualTimePerTest } from '../support/virtual-time.js';

// What docs/telemetry.md promises, for retry(); test/decorators/telemetry.test.ts does the same for
// both decorator modes. Times are the virtual clock's, in ms from the call's start.

useVirtualTimePerTest();
const otel = useOpenTelemetryPerTest();

const HTTP_SPAN = 'POST /v1/chat/completions';

/** An SDK call that takes 10 ms and opens its own span, as an instrumented HTTP client does. */
function chatCompletion(failures: unknown[]) {
  return async function chatCompletion(): Promise<string> {
    const http = trace.getTracer('http-client').startSpan(HTTP_SPAN);
    await new Promise((resolve) => setTimeout(resolve, 10));
    http.end();
    const failure = failures.shift();
    if (failure !== undefined) throw failure;
    return 'choice';
  };
}

// Coordination off: these tests pin what telemetry reports of the call's own schedule.
const exact = { jitter: 'none', initialDelay: 100, multiplier: 2, maxRetries: 3, upstream: false } as const;

/** Our spans; the HTTP client's spans have the SDK's own (real) times, so only their parent is checked. */
function retryableSpans(): SpanRecord[] {
  return otel.spans().filter((span) => span.name !== HTTP_SPAN);
}

const method = { 'retryable.method': 'chatCompletion' };

describe('retry(): a call retried twice, then successful', () => {
  async function retriedTwice(): Promise<void> {
    const call = observe(retry(chatCompletion([serverError('req_1'), rateLimited('req_2', 250)]), exact));
    await vi.runAllTimersAsync();
    expect(await call).toEqual({ status: 'fulfilled', value: 'choice' });
  }

  test('a call span, an attempt span per attempt, a wait event per wait', async () => {
    await retriedTwice();
    const failed = { code: 2 };
    expect(retryableSpans()).toEqual([
      {
        name: 'chatCompletion attempt', parent: 'chatCompletion', start: 0, end: 10, events: [],
        attributes: { 'retryable.attempt.number': 1, 'http.response.status_code': 503, 'retryable.request_id': 'req_1', 'error.type': 'InternalServerError' },
        status: { ...failed, message: '503 upstream unavailable' },
      },
      {
        name: 'chatCompletion attempt', parent: 'chatCompletion', start: 110, end: 120, events: [],
        attributes: { 'retryable.attempt.number': 2, 'http.request.resend_count': 1, 'http.response.status_code': 429, 'retryable.request_id': 'req_2', 'error.type': 'RateLimitError' },
        status: { ...failed, message: '429 Rate limit reached' },
      },
      {
        name: 'chatCompletion attempt', parent: 'chatCompletion', start: 370, end: 380, events: [],
        attributes: { 'retryable.attempt.number': 3, 'http.request.resend_count': 2 },
        status: { code: 0 },
      },
      {
        name: 'chatCompletion', parent: undefined, start: 0, end: 380, status: { code: 0 },
        attributes: { ...method, 'retryable.outcome': 'success', 'retryable.attempt.count': 3 },
        events: [
          { name: 'retryable.wait', time: 10, attributes: { 'retryable.wait.ms': 100, 'retryable.wait.reason': 'backoff' } },
          { name: 'retryable.wait', time: 120, attributes: { 'retryable.wait.ms': 250, 'retryable.wait.reason': 'server-hint', 'retryable.server_hint.ms': 250 } },
        ],
      },
    ]);
  });

  test("the SDK's own spans nest inside the attempt that made them, also after a wait", async () => {
    await retriedTwice();
    expect(otel.spans().filter((span) => span.name === HTTP_SPAN).map((span) => span.parent)).toEqual(['chatCompletion attempt', 'chatCompletion attempt', 'chatCompletion attempt']);
  });

  test('the retryable meter: attempts, retries, waits and attempts per call', async () => {
    await retriedTwice();
    expect(await otel.points()).toEqual([
      { metric: 'retryable/retryable.attempts', unit: '{attempt}', attributes: { ...method, 'retryable.attempt.outcome': 'failure', 'error.type': 'InternalServerError' }, value: 1 },
      { metric: 'retryable/retryable.attempts', unit: '{attempt}', attributes: { ...method, 'retryable.attempt.outcome': 'failure', 'error.type': 'RateLimitError' }, value: 1 },
      { metric: 'retryable/retryable.attempts', unit: '{attempt}', attributes: { ...method, 'retryable.attempt.outcome': 'success' }, value: 1 },
      { metric: 'retryable/retryable.retries', unit: '{retry}', attributes: method, value: 2 },
      { metric: 'retryable/retryable.wait.duration', unit: 's', attributes: { ...method, 'retryable.wait.reason': 'backoff' }, value: { count: 1, sum: 0.1 } },
      { metric: 'retryable/retryable.wait.duration', unit: 's', attributes: { ...method, 'retryable.wait.reason': 'server-hint' }, value: { count: 1, sum: 0.25 } },
      { metric: 'retryable/retryable.call.attempts', unit: '{attempt}', attributes: { ...method, 'retryable.outcome': 'success' }, value: { count: 1, sum: 3 } },
    ]);
  });
});

describe('retry(): giving up', () => {
  test('the call span is an error with the exception recorded; the caller gets the very error', async () => {
    const last = rateLimited('req_2', 50);
    const call = observe(retry(chatCompletion([serverError('req_1'), last]), { ...exact, maxRetries: 1 }));
    await vi.runAllTimersAsync();
    expect(await call).toEqual({ status: 'rejected', reason: last });
    expect((await call as { reason: unknown }).reason).toBe(last);
    const callSpan = retryableSpans().at(-1)!;
    expect(callSpan).toEqual({
      name: 'chatCompletion', parent: undefined, start: 0, end: 120,
      attributes: { ...method, 'retryable.outcome': 'gave-up', 'retryable.attempt.count': 2, 'retryable.give_up.reason': 'retries-exhausted' },
      status: { code: 2, message: '429 Rate limit reached' },
      events: [
        { name: 'retryable.wait', time: 10, attributes: { 'retryable.wait.ms': 100, 'retryable.wait.reason': 'backoff' } },
        { name: 'exception', time: 120, attributes: { 'exception.type': 'Error', 'exception.message': '429 Rate limit reached', 'exception.stacktrace': last.stack } },
      ],
    });
    expect((await otel.points()).filter((point) => /give_ups|call\.attempts/.test(point.metric))).toEqual([
      { metric: 'retryable/retryable.give_ups', unit: '{call}', attributes: { ...method, 'retryable.give_up.reason': 'retries-exhausted' }, value: 1 },
      { metric: 'retryable/retryable.call.attempts', unit: '{attempt}', attributes: { ...method, 'retryable.outcome': 'gave-up' }, value: { count: 1, sum: 2 } },
    ]);
  });
});

describe('retry(): where the spans go', () => {
  test("a first attempt that succeeds: one attempt span under the call span, under the caller's span", async () => {
    const outcome = observe(trace.getTracer('app').startActiveSpan('GET /chat', (request) => retry(chatCompletion([]), exact).finally(() => request.end())));
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ status: 'fulfilled', value: 'choice' });
    expect(otel.spans().map(({ name, parent, start, end }) => ({ name, parent, ...(name.startsWith('chatCompletion') ? { start, end } : {}) }))).toEqual([
      { name: HTTP_SPAN, parent: 'chatCompletion attempt' },
      { name: 'chatCompletion attempt', parent: 'chatCompletion', start: 0, end: 10 },
      { name: 'chatCompletion', parent: 'GET /chat', start: 0, end: 10 },
      { name: 'GET /chat', parent: undefined },
    ]);
  });

  test('with only a meter provider registered: metrics, and no span is started', async () => {
    trace.disable();
    const startSpan = vi.spyOn(trace.getTracer('any'), 'startSpan');
    const call = observe(retry(chatCompletion([serverError('req_1')]), exact));
    await vi.runAllTimersAsync();
    expect(await call).toEqual({ status: 'fulfilled', value: 'choice' });
    expect(startSpan).not.toHaveBeenCalled();
    expect((await otel.points()).map((point) => [point.metric, point.value])).toEqual([
      ['retryable/retryable.attempts', 1], ['retryable/retryable.attempts', 1], ['retryable/retryable.retries', 1],
      ['retryable/retryable.wait.duration', { count: 1, sum: 0.1 }], ['retryable/retryable.call.attempts', { count: 1, sum: 2 }],
    ]);
  });

  test('telemetry: false keeps a call out of both', async () => {
    const call = observe(retry(chatCompletion([serverError('req_1')]), { ...exact, telemetry: false }));
    await vi.runAllTimersAsync();
    expect(await call).toEqual({ status: 'fulfilled', value: 'choice' });
    expect(otel.spans().map((span) => [span.name, span.parent])).toEqual([[HTTP_SPAN, undefined], [HTTP_SPAN, undefined]]);
    expect(await otel.points()).toEqual([]);
  });

  test('telemetry: false keeps the fast path too: a call that succeeds at once never reads the clock', async () => {
    const readAt: number[] = [];
    const clock = { now: () => (readAt.push(Date.now()), Date.now()), setTimeout, clearTimeout };
    const value = await retry(async () => 'choice', { ...exact, clock, telemetry: false });
    expect(value).toBe('choice');
    expect(readAt).toEqual([]);
    // Observed, the same call reads it: the span's times come from it.
    await retry(async () => 'choice', { ...exact, clock });
    expect(readAt.length).toBeGreaterThan(0);
    await vi.runAllTimersAsync(); // the SDK's own export timers
  });

  test("a coordinator's hold before a first attempt is a wait event too, with its reason", async () => {
    const budget = new RetryBudget();
    const shared = { ...exact, budget, random: () => 0 };
    const first = observe(retry(chatCompletion([rateLimited('req_1', 500)]), shared));
    await vi.advanceTimersByTimeAsync(10);
    const held = observe(retry(async function heldCall() { return 'held'; }, shared));
    await vi.runAllTimersAsync();
    expect([await first, await held]).toEqual([{ status: 'fulfilled', value: 'choice' }, { status: 'fulfilled', value: 'held' }]);
    // The 429 at 10 ms asked for 500 ms: the call started then waits out the shared cool-down.
    expect(retryableSpans().filter((span) => span.name.startsWith('heldCall'))).toEqual([
      { name: 'heldCall attempt', parent: 'heldCall', start: 510, end: 510, attributes: { 'retryable.attempt.number': 1 }, status: { code: 0 }, events: [] },
      {
        name: 'heldCall', parent: undefined, start: 10, end: 510, status: { code: 0 },
        attributes: { 'retryable.method': 'heldCall', 'retryable.outcome': 'success', 'retryable.attempt.count': 1 },
        events: [{ name: 'retryable.wait', time: 10, attributes: { 'retryable.wait.ms': 500, 'retryable.wait.reason': 'cool-down' } }],
      },
    ]);
  });
});
