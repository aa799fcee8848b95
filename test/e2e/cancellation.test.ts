/**
 * Cancellation over real HTTP. The caller's signal ends the call (at once during a wait, through the
 * SDK during an attempt); `attemptTimeout` aborts one slow attempt through `currentAttempt().signal`
 * and retries it. The server's record shows that the aborted request was really closed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { drain, rejectionOf, useChatService } from './harness.js';
import { sdksUnderTest } from './sdks.js';

const slow = { kind: 'slow', delayMs: 2000 } as const;

describe.each(sdksUnderTest)('%s: cancellation and attempt timeouts', (_, OpenAI) => {
  const e2e = useChatService(OpenAI);

  /** The server closes its record of request `index` when the client goes away. */
  const closedByClient = (index: number) =>
    expect.poll(() => e2e.server.requests[index]?.outcome).toBe('client closed during slow (2000ms)');

  it('a caller abort during a wait rejects at once with signal.reason, and no request follows', async () => {
    const controller = new AbortController();
    const reason = new Error('the user left');
    let abortedAt = 0;
    controller.signal.addEventListener('abort', () => { abortedAt = Date.now(); });
    e2e.retryWith({
      maxDelay: 1000,
      onRetry: (event) => {
        e2e.retries.push(event);
        setTimeout(() => controller.abort(reason), 20);
      },
    });
    e2e.server.script({ kind: 'rate-limit', retryAfterMs: 300 });

    const error = await rejectionOf(e2e.chat.complete('hello', { signal: controller.signal }));
    expect(error).toBe(reason);
    expect(Date.now() - abortedAt).toBeLessThan(100); // the 300 ms wait did not run out
    expect(e2e.retries).toMatchObject([{ delay: 300 }]);
    await sleep(400); // past the time the retry would have been made
    expect(e2e.server.requestCount).toBe(1);
  });

  it('a caller abort during an attempt aborts the request and rejects with signal.reason', async () => {
    const controller = new AbortController();
    const reason = new Error('the user left');
    e2e.server.script(slow);
    setTimeout(() => controller.abort(reason), 50);
    const started = Date.now();
    const error = await rejectionOf(e2e.chat.complete('hello', { signal: controller.signal }));
    expect(error).toBe(reason);
    expect(Date.now() - started).toBeLessThan(1000);
    await closedByClient(0);
    expect(e2e.server.requestCount).toBe(1);
    expect(e2e.retries).toEqual([]);
  });

  it('an already aborted signal makes no request at all', async () => {
    const reason = new Error('cancelled before the call');
    const error = await rejectionOf(e2e.chat.complete('hello', { signal: AbortSignal.abort(reason) }));
    expect(error).toBe(reason);
    expect(e2e.server.requestCount).toBe(0);
  });

  it('attemptTimeout aborts a slow response through currentAttempt().signal, then retries', async () => {
    e2e.retryWith({ attemptTimeout: 100 });
    e2e.server.script(slow);
    const started = Date.now();
    await expect(e2e.chat.complete('hello')).resolves.toBe('Echo: hello');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(e2e.server.requestCount).toBe(2);
    await closedByClient(0);
    // The SDK reports the aborted attempt as a user abort; the engine knows it was the timeout.
    expect(e2e.retries).toMatchObject([{ attempt: 1, delay: 10 }]);
    expect(e2e.retries[0]!.error).toBeInstanceOf(OpenAI.APIUserAbortError);
    expect(e2e.retries[0]!.error).toBe(e2e.sdkErrors()[0]);
  });

  it('attemptTimeout on every attempt: the caller gets the last attempt\'s abort error', async () => {
    e2e.retryWith({ attemptTimeout: 100, maxRetries: 1 });
    e2e.server.script(slow, slow);
    const error = await rejectionOf(e2e.chat.complete('hello'));
    expect(error).toBeInstanceOf(OpenAI.APIUserAbortError);
    expect(error).toBe(e2e.sdkErrors()[1]);
    expect(e2e.server.requestCount).toBe(2);
    await closedByClient(1);
    expect(e2e.giveUps).toMatchObject([{ error, attempts: 2, reason: 'retries-exhausted' }]);
  });

  it('attemptTimeout bounds the wait for a stream\'s first chunk', async () => {
    e2e.retryWith({ attemptTimeout: 100 });
    e2e.server.script(slow);
    const { pieces, error } = await drain(e2e.chat.stream('one two'));
    expect(error).toBeUndefined();
    expect(pieces).toEqual(['Echo:', ' one', ' two']);
    expect(e2e.server.requestCount).toBe(2);
    await closedByClient(0);
  });
});
