/**
 * OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` headers, as the simulated
 * server sends them on every response. "reset" is the time until the bucket is full again (not the
 * least wait), written as a Go duration; "remaining" is counted after charging this request.
 */

export interface BucketState {
  readonly perSecond: number;
  readonly capacity: number;
  level: number;
}

/** A Go `time.Duration` string the way OpenAI writes them: `340ms`, `1.5s`, `6m0s`. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${Number(seconds.toFixed(3))}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${Number((seconds - minutes * 60).toFixed(3))}s`;
}

function describe(headers: Headers, kind: 'requests' | 'tokens', state: BucketState): void {
  const remaining = Math.floor(state.level + 1e-9);
  headers.set(`x-ratelimit-limit-${kind}`, String(state.capacity));
  headers.set(`x-ratelimit-remaining-${kind}`, String(remaining));
  headers.set(`x-ratelimit-reset-${kind}`, goDuration(((state.capacity - state.level) / state.perSecond) * 1000));
}

export function rateLimitHeaders(requests: BucketState, tokens: BucketState | undefined): Headers {
  const headers = new Headers();
  describe(headers, 'requests', requests);
  if (tokens) describe(headers, 'tokens', tokens);
  return headers;
}
