/**
 * The local server's rate limiter, modelled on OpenAI's: one token bucket for requests and one for
 * tokens, both refilling continuously and charged in full when a request arrives. A request that
 * does not fit either bucket is refused and charges nothing.
 */

export interface RateLimitOptions {
  /** Refill rate of the request bucket. Tests use large values (1800 = 30/s) to run in seconds. */
  requestsPerMinute?: number;
  /** Refill rate of the token bucket, charged `estimateRequestTokens(body)` a request. */
  tokensPerMinute?: number;
  /**
   * Capacity of the request bucket. OpenAI's holds a full minute, but a full-minute burst makes a
   * short test meaningless (1800/min would admit 1800 at once), so the default is one second's
   * worth: `requestsPerMinute / 60`, at least 1.
   */
  burst?: number;
  /** Capacity of the token bucket; the same default, `tokensPerMinute / 60`, at least 1. */
  tokenBurst?: number;
  /** Send `x-ratelimit-*` on every response (default true). */
  headers?: boolean;
  /** Send `retry-after-ms` and `retry-after` on a 429 (default true). */
  retryAfter?: boolean;
}

export type LimitKind = 'requests' | 'tokens';

/** What the limiter decided for one request. */
export interface Admission {
  /** The bucket that refused the request, or null when it was admitted. */
  limited: LimitKind | null;
  /** Levels after charging (or after refusing, which charges nothing), per configured bucket. */
  levels: Partial<Record<LimitKind, number>>;
  /** `x-ratelimit-*` and, on a refusal, `retry-after-ms`/`retry-after`, as the options ask. */
  headers: Record<string, string>;
  /** OpenAI's 429 message, when refused. */
  message?: string;
  /** Integer ms until both buckets can take the request; Infinity when it can never fit. */
  retryAfterMs?: number;
}

class TokenBucket {
  readonly ratePerMs: number;
  private level: number;
  private last: number;

  constructor(readonly capacity: number, perMinute: number, now: number) {
    this.ratePerMs = perMinute / 60_000;
    this.level = capacity;
    this.last = now;
  }

  levelAt(now: number): number {
    this.level = Math.min(this.capacity, this.level + Math.max(0, now - this.last) * this.ratePerMs);
    this.last = now;
    return this.level;
  }

  /** ms until `cost` fits (0 if it fits now); Infinity if it never can. Call `levelAt` first. */
  waitMs(cost: number): number {
    if (cost > this.capacity) return Infinity;
    return cost <= this.level ? 0 : (cost - this.level) / this.ratePerMs;
  }

  take(cost: number): void {
    this.level -= cost;
  }

  /** ms until the bucket is full again: OpenAI's "reset". */
  resetMs(): number {
    return (this.capacity - this.level) / this.ratePerMs;
  }

  refill(): void {
    this.level = this.capacity;
  }
}

/**
 * A duration as Go prints it and OpenAI sends it (`0s`, `340ms`, `1.2s`, `6m0s`, `1h0m0.5s`),
 * rounded up to the ms so that a client waiting this long finds the bucket full.
 */
export function formatGoDuration(ms: number): string {
  const whole = Math.ceil(ms);
  if (whole <= 0) return '0s';
  if (whole < 1000) return `${whole}ms`;
  const hours = Math.floor(whole / 3_600_000);
  const minutes = Math.floor((whole % 3_600_000) / 60_000);
  const seconds = `${String((whole % 60_000) / 1000)}s`;
  if (hours) return `${hours}h${minutes}m${seconds}`;
  return minutes ? `${minutes}m${seconds}` : seconds;
}

const defaultBurst = (perMinute: number) => Math.max(1, perMinute / 60);
const LABEL: Record<LimitKind, string> = { requests: 'requests per min (RPM)', tokens: 'tokens per min (TPM)' };

export class RateLimiter {
  private readonly buckets: Partial<Record<LimitKind, TokenBucket>> = {};

  constructor(private readonly options: RateLimitOptions, private readonly now: () => number = () => performance.now()) {
    const { requestsPerMinute: rpm, tokensPerMinute: tpm } = options;
    for (const [name, value] of Object.entries({ requestsPerMinute: rpm, tokensPerMinute: tpm, burst: options.burst, tokenBurst: options.tokenBurst })) {
      if (value !== undefined && !(value > 0 && Number.isFinite(value))) throw new RangeError(`limits.${name} must be a positive number, got ${value}`);
    }
    if (rpm !== undefined) this.buckets.requests = new TokenBucket(options.burst ?? defaultBurst(rpm), rpm, now());
    if (tpm !== undefined) this.buckets.tokens = new TokenBucket(options.tokenBurst ?? defaultBurst(tpm), tpm, now());
  }

  /** Charges a request that fits both buckets; refuses, charging nothing, one that does not. */
  admit(cost: Record<LimitKind, number>, model: string): Admission {
    const now = this.now();
    let limited: LimitKind | null = null;
    let wait = 0;
    for (const [kind, bucket] of this.entries()) {
      bucket.levelAt(now);
      // The bucket with the longest wait binds; on a tie, requests (checked first) are named.
      const kindWait = bucket.waitMs(cost[kind]);
      if (kindWait > wait) [limited, wait] = [kind, kindWait];
    }
    if (limited === null) for (const [kind, bucket] of this.entries()) bucket.take(cost[kind]);
    const admission = this.peekAt(now);
    if (limited === null) return { ...admission, limited };
    const bucket = this.buckets[limited]!;
    const retryAfterMs = Math.ceil(wait);
    const message = wait === Infinity
      ? `Request too large for ${model} in organization org-local on ${LABEL[limited]}: Limit ${bucket.capacity}, `
        + `Requested ${cost[limited]}. The input or output tokens must be reduced in order to run successfully.`
      : `Rate limit reached for ${model} in organization org-local on ${LABEL[limited]}: Limit ${bucket.capacity}, `
        + `Used ${bucket.capacity - Math.floor(bucket.levelAt(now))}, Requested ${cost[limited]}. `
        + `Please try again in ${formatGoDuration(wait)}.`;
    // A request that can never fit gets no hint: there is no time after which it would succeed.
    if (this.options.retryAfter !== false && wait !== Infinity) {
      admission.headers['retry-after-ms'] = String(retryAfterMs);
      admission.headers['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
    }
    return { ...admission, limited, message, retryAfterMs };
  }

  /** Levels and headers without charging anything, for responses that are not chat requests. */
  peek(): Omit<Admission, 'limited'> {
    return this.peekAt(this.now());
  }

  /** Both buckets full again, as `reset()` of the server promises a fresh start. */
  refill(): void {
    for (const [, bucket] of this.entries()) bucket.refill();
  }

  private peekAt(now: number): Omit<Admission, 'limited'> {
    const levels: Admission['levels'] = {};
    const headers: Record<string, string> = {};
    for (const [kind, bucket] of this.entries()) {
      levels[kind] = bucket.levelAt(now);
      if (this.options.headers === false) continue;
      // The limit sent is the bucket's capacity, not the per-minute rate: OpenAI's bucket holds
      // a minute so the two agree there, and only the capacity keeps (limit − remaining) / reset
      // equal to the refill rate, which is how clients read these headers.
      headers[`x-ratelimit-limit-${kind}`] = String(bucket.capacity);
      headers[`x-ratelimit-remaining-${kind}`] = String(Math.floor(levels[kind]));
      headers[`x-ratelimit-reset-${kind}`] = formatGoDuration(bucket.resetMs());
    }
    return { levels, headers };
  }

  private entries(): Array<[LimitKind, TokenBucket]> {
    return Object.entries(this.buckets) as Array<[LimitKind, TokenBucket]>;
  }
}
