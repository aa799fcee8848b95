import type { GiveUpEvent, RetryEvent } from '../policy/options.js';
import { describeError } from './error-attributes.js';

/** Where `retryLogger` writes: Nest's `Logger`, pino, console, or anything with `warn` and `error`. */
export interface RetryLogSink {
  warn(message: string): unknown;
  error(message: string): unknown;
}

/** The hooks `retryLogger` returns; spread them into the options. */
export interface RetryLogHooks {
  readonly onRetry: (event: RetryEvent) => void;
  readonly onGiveUp: (event: GiveUpEvent) => void;
}

/**
 * `onRetry` and `onGiveUp` that write one logfmt line per event: a retry as a warning, a give-up as
 * an error. One line of `key=value` pairs because it reads in a terminal, greps, and parses as
 * structured data in any log pipeline, whatever the logger does with objects. For example:
 *
 *     retryable retry method=ChatService.complete attempt=1 delay_ms=1200 server_hint_ms=1000 error=RateLimitError status=429 request_id=req_123 message="Rate limit reached"
 *     retryable give-up method=ChatService.complete attempts=4 reason=retries-exhausted error=RateLimitError status=429 request_id=req_456 message="Rate limit reached"
 *
 * Its own failures are reported like any hook's and never change a call's outcome.
 */
export function retryLogger(logger: RetryLogSink): RetryLogHooks {
  return {
    onRetry: ({ method, attempt, delay, serverHint, error }) => {
      logger.warn(logLine('retry', [['method', method], ['attempt', attempt], ['delay_ms', delay], ['server_hint_ms', serverHint]], error));
    },
    onGiveUp: ({ method, attempts, reason, error }) => {
      logger.error(logLine('give-up', [['method', method], ['attempts', attempts], ['reason', reason]], error));
    },
  };
}

type Field = readonly [string, string | number | undefined];

function logLine(event: string, fields: readonly Field[], error: unknown): string {
  const { type, status, requestId, message } = describeError(error);
  const all: Field[] = [...fields, ['error', type], ['status', status], ['request_id', requestId], ['message', message]];
  return `retryable ${event} ${all.filter(([, value]) => value !== undefined).map(([key, value]) => `${key}=${logfmtValue(value!)}`).join(' ')}`;
}

/** Bare when it cannot be misread; else quoted as JSON, which also keeps a multi-line message on one line. */
function logfmtValue(value: string | number): string {
  const text = String(value);
  return /^[^\s"=\\]+$/.test(text) ? text : JSON.stringify(text);
}
