import { expect, test, vi } from 'vitest';
import { Retryable } from '../../src/index.js';
import { decoratorMode } from '../support/decorator-mode.js';
import { useOpenTelemetryPerTest } from '../support/opentelemetry.js';
import { serverError } from '../support/openai-like-errors.js';
import { observe, scripted } from '../support/scripted.js';
import { useVirtualTimePerTest } from '../support/virtual-time.js';

// Runs in both decorator modes (see vitest.config.ts): spans are named `Class.method` either way,
// though a TC39 decorator learns its class only from `this`. The full list of names and values is
// pinned by test/telemetry/retry-telemetry.test.ts.

useVirtualTimePerTest();
const otel = useOpenTelemetryPerTest();

const complete = scripted([serverError('req_1')], 'choice');
const quiet = scripted([serverError('req_2')], 'quiet');

class ChatService {
  @Retryable({ jitter: 'none', initialDelay: 100 })
  complete(): Promise<string> {
    return complete();
  }

  @Retryable({ jitter: 'none', initialDelay: 100, telemetry: false })
  quiet(): Promise<string> {
    return quiet();
  }
}

test(`${decoratorMode}: a decorated method's call span is Class.method, with a child span per attempt`, async () => {
  const call = observe(new ChatService().complete());
  await vi.runAllTimersAsync();
  expect(await call).toEqual({ status: 'fulfilled', value: 'choice' });
  expect(otel.spans().map(({ name, parent, start, end, attributes }) => ({ name, parent, start, end, attributes }))).toEqual([
    { name: 'ChatService.complete attempt', parent: 'ChatService.complete', start: 0, end: 0, attributes: { 'retryable.attempt.number': 1, 'http.response.status_code': 503, 'retryable.request_id': 'req_1', 'error.type': 'InternalServerError' } },
    { name: 'ChatService.complete attempt', parent: 'ChatService.complete', start: 100, end: 100, attributes: { 'retryable.attempt.number': 2, 'http.request.resend_count': 1 } },
    // The method's own Upstream is named where it was defined: a TC39 decorator knows only the method's name.
    { name: 'ChatService.complete', parent: undefined, start: 0, end: 100, attributes: { 'retryable.method': 'ChatService.complete', 'retryable.upstream': decoratorMode === 'legacy' ? 'ChatService.complete' : 'complete', 'retryable.outcome': 'success', 'retryable.attempt.count': 2 } },
  ]);
  expect((await otel.points()).map(({ metric, attributes }) => [metric, attributes['retryable.method']])).toEqual([
    ['retryable/retryable.attempts', 'ChatService.complete'],
    ['retryable/retryable.attempts', 'ChatService.complete'],
    ['retryable/retryable.retries', 'ChatService.complete'],
    ['retryable/retryable.wait.duration', 'ChatService.complete'],
    ['retryable/retryable.call.attempts', 'ChatService.complete'],
  ]);
});

test(`${decoratorMode}: telemetry: false on the decorator keeps that method out`, async () => {
  const call = observe(new ChatService().quiet());
  await vi.runAllTimersAsync();
  expect(await call).toEqual({ status: 'fulfilled', value: 'quiet' });
  expect(otel.spans()).toEqual([]);
  expect(await otel.points()).toEqual([]);
});
