/**
 * One scripted misbehaviour of the local server. Each chat request takes the next fault from the
 * queue; when the queue is empty the request succeeds. The shapes copy what the real OpenAI API
 * sends, so a retry policy tested here meets the same headers and bodies in production.
 */
export type Fault = FaultKind & {
  /** Only a request for this model takes the fault; requests for other models pass it by. */
  model?: string;
};

type FaultKind =
  /** 429 `rate_limit_exceeded` with `retry-after-ms`, the hint the OpenAI SDK reads first. */
  | { kind: 'rate-limit'; retryAfterMs: number }
  /** 429 with `retry-after` in whole seconds. */
  | { kind: 'rate-limit-seconds'; retryAfterSeconds: number }
  /** 429 with `retry-after` as an HTTP date, `retryAfterSeconds` from now (second precision). */
  | { kind: 'rate-limit-date'; retryAfterSeconds: number }
  /**
   * 429 with no `retry-after*` at all: only `x-ratelimit-reset-requests`/`-tokens` as Go-style
   * durations (`6m0s`, `1.5s`, `20ms`), and `x-ratelimit-remaining-*: 0` on the `exhausted` limit.
   * The other limit keeps a non-zero remaining count, so its reset time is a decoy.
   * Defaults: `resetRequests: '6m0s'`, `resetTokens: '1.5s'`.
   */
  | { kind: 'rate-limit-reset'; exhausted: 'requests' | 'tokens'; resetRequests?: string; resetTokens?: string }
  /** 429 whose `type` and `code` are `insufficient_quota`: billing, so retrying cannot help. */
  | { kind: 'insufficient-quota' }
  /** 500 `server_error`. */
  | { kind: 'server-error' }
  /** 502 with an HTML page (`text/html`), as a proxy in front of the API sends it. */
  | { kind: 'bad-gateway' }
  /** 503 "overloaded". With `shouldRetry` set, also sends `x-should-retry: true|false`. */
  | { kind: 'service-unavailable'; shouldRetry?: boolean }
  /** 400 `invalid_request_error` (code `invalid_value`, param `messages`). */
  | { kind: 'bad-request' }
  /** 401 `invalid_api_key`. */
  | { kind: 'invalid-api-key' }
  /** 404 `model_not_found`. */
  | { kind: 'model-not-found' }
  /** Any status with extra headers and a body (JSON-encoded unless a string). */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  /** The socket is destroyed after the request is read, before any response byte. */
  | { kind: 'drop-connection' }
  /**
   * A 200 starts, then the socket is destroyed: after `afterChunks` SSE chunks for a streaming
   * request, or after half of the JSON body otherwise. `afterChunks: 0` drops before the first chunk.
   */
  | { kind: 'drop-mid-stream'; afterChunks: number }
  /** A normal reply sent only after `delayMs`; the wait ends early if the client goes away. */
  | { kind: 'slow'; delayMs: number };

/** A short label for logs, e.g. `rate-limit (retry-after-ms: 250)`. */
export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'rate-limit':
      return `rate-limit (retry-after-ms: ${fault.retryAfterMs})`;
    case 'rate-limit-seconds':
    case 'rate-limit-date':
      return `${fault.kind} (retry-after: ${fault.retryAfterSeconds}s)`;
    case 'rate-limit-reset':
      return `rate-limit-reset (${fault.exhausted} exhausted)`;
    case 'service-unavailable':
      return fault.shouldRetry === undefined ? fault.kind : `${fault.kind} (x-should-retry: ${fault.shouldRetry})`;
    case 'drop-mid-stream':
      return `drop-mid-stream (after ${fault.afterChunks} chunks)`;
    case 'slow':
      return `slow (${fault.delayMs}ms)`;
    default:
      return fault.kind;
  }
}

/**
 * The script the demo runs: one fault of each family a retry policy must tell apart. A firm
 * server hint, a plain 5xx, a stream that dies before its first chunk (still safe to replay),
 * and a quota error that must not be retried.
 */
export function defaultDemoFaults(): Fault[] {
  return [
    { kind: 'rate-limit', retryAfterMs: 250 },
    { kind: 'service-unavailable' },
    { kind: 'drop-mid-stream', afterChunks: 0 },
    { kind: 'insufficient-quota' },
  ];
}
