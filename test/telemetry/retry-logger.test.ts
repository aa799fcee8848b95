import { ConsoleLogger, Logger } from '@nestjs/common';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { retry, retryLogger, type RetryLogSink } from '../../src/index.js';
import { rateLimited, serverError } from '../support/openai-like-errors.js';
import { observe, scripted } from '../support/scripted.js';
import { useVirtualTimePerTest } from '../support/virtual-time.js';

useVirtualTimePerTest();

// Coordination off: these tests pin what telemetry reports of the call's own schedule.
const exact = { jitter: 'none', initialDelay: 100, maxRetries: 1, upstream: false } as const;

/** A call that fails twice and gives up, logged through `logger`; returns the caller's outcome. */
async function givingUp(logger: RetryLogSink) {
  const call = observe(retry(scripted([serverError('req_1'), rateLimited('req_2', 250)], 'choice'), { ...exact, ...retryLogger(logger) }));
  await vi.runAllTimersAsync();
  return call;
}

const RETRY_LINE = 'retryable retry method=fn attempt=1 delay_ms=100 error=InternalServerError status=503 request_id=req_1 message="503 upstream unavailable"';
const GIVE_UP_LINE = 'retryable give-up method=fn attempts=2 reason=retries-exhausted error=RateLimitError status=429 request_id=req_2 message="429 Rate limit reached"';

describe('retryLogger', () => {
  test('one logfmt line per retry (warn) and per give-up (error)', async () => {
    const lines: string[] = [];
    const logger = { warn: (line: string) => lines.push(`warn ${line}`), error: (line: string) => lines.push(`error ${line}`) };
    const outcome = await givingUp(logger);
    expect(outcome.status).toBe('rejected');
    expect(lines).toEqual([`warn ${RETRY_LINE}`, `error ${GIVE_UP_LINE}`]);
  });

  test('a server hint, a bare value, a message with quotes and newlines, and a thrown string', async () => {
    const lines: string[] = [];
    const logger = { warn: (line: string) => lines.push(line), error: (line: string) => lines.push(line) };
    const hinted = Object.assign(rateLimited('req_9', 250), { message: 'line one\nsaid "slow down"' });
    const call = observe(retry(scripted([hinted, 'plain text failure'], 'choice'), { ...exact, ...retryLogger(logger) }));
    await vi.runAllTimersAsync();
    expect(await call).toEqual({ status: 'rejected', reason: 'plain text failure' });
    expect(lines).toEqual([
      'retryable retry method=fn attempt=1 delay_ms=250 server_hint_ms=250 error=RateLimitError status=429 request_id=req_9 message="line one\\nsaid \\"slow down\\""',
      'retryable give-up method=fn attempts=2 reason=retries-exhausted error=_OTHER',
    ]);
  });

  describe("through Nest's Logger", () => {
    afterEach(() => {
      Logger.overrideLogger(new ConsoleLogger());
    });

    test('a Logger with its context prints each line at its level: WARN for a retry, ERROR for a give-up', async () => {
      // forceConsole: Nest then writes through console.log/error, which a test can capture.
      Logger.overrideLogger(new ConsoleLogger({ colors: false, timestamp: false, forceConsole: true }));
      const printed: string[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((line: string) => printed.push(`stdout ${line}`));
      const error = vi.spyOn(console, 'error').mockImplementation((line: string) => printed.push(`stderr ${line}`));
      try {
        expect((await givingUp(new Logger('ChatService'))).status).toBe('rejected');
      } finally {
        log.mockRestore();
        error.mockRestore();
      }
      // Nest's own date format, at the virtual clock's 0, in whatever time zone the test runs.
      const date = new Intl.DateTimeFormat(undefined, { year: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', day: '2-digit', month: '2-digit' }).format(0);
      const nest = `[Nest] ${process.pid}  - ${date}`;
      expect(printed).toEqual([`stdout ${nest}    WARN [ChatService] ${RETRY_LINE}`, `stderr ${nest}   ERROR [ChatService] ${GIVE_UP_LINE}`]);
    });
  });
});
