/**
 * The remote API the contention scenarios hammer. It answers in zero time: what is measured is
 * how clients spread their retries, not network latency. Failures are thrown the way HTTP SDKs
 * throw them (an error carrying `status` and `headers`), and `simulatedFetch` in peers.ts turns
 * them back into HTTP responses for the OpenAI SDK.
 */
import { rateLimitHeaders, type BucketState } from './rate-limit-headers.js';

export class SimulatedHttpError extends Error {
  override readonly name = 'SimulatedHttpError';
  constructor(
    readonly status: number,
    // WHATWG Headers, as the OpenAI SDK v5+ errors carry them.
    readonly headers: Headers,
  ) {
    super(`simulated HTTP ${status}`);
  }
}

/** What one request carries that the server cares about. */
export interface RequestLoad {
  /** Which group of callers sent it, so a mixed workload can be told apart afterwards. */
  readonly tag?: string;
  /** Tokens the request is charged: `max_tokens` + prompt length / 4, as OpenAI counts them. */
  readonly tokens?: number;
}

export interface ServerRequestRecord {
  /** Milliseconds since the server started. */
  readonly at: number;
  readonly status: number;
  readonly tag: string | undefined;
}

export interface SimulatedResponse {
  readonly status: 200;
  readonly headers: Headers;
}

export interface SimulatedServer {
  /** Answers one request now: resolves on 200, rejects with a SimulatedHttpError otherwise. */
  request(load?: RequestLoad): Promise<SimulatedResponse>;
  readonly requests: readonly ServerRequestRecord[];
}

type Answer = { status: number; headers: Headers };

function serverAnswering(now: () => number, answer: (elapsedMs: number, load: RequestLoad) => Answer): SimulatedServer {
  const startedAt = now();
  const requests: ServerRequestRecord[] = [];
  return {
    requests,
    async request(load = {}) {
      const at = now() - startedAt;
      const reply = answer(at, load);
      requests.push({ at, status: reply.status, tag: load.tag });
      if (reply.status === 200) return { status: 200, headers: reply.headers };
      throw new SimulatedHttpError(reply.status, reply.headers);
    },
  };
}

/** How a refusal says when to come back. */
export type RetryAfterStyle = 'none' | 'seconds' | 'ms';

export interface TokenBucketSettings {
  readonly ratePerSecond: number;
  readonly burst: number;
  /**
   * `'seconds'`: `retry-after` in whole seconds, rounded up, until the next token; `'ms'`: the exact
   * `retry-after-ms`. `true`/`false` are the older spelling of `'seconds'`/`'none'`.
   */
  readonly retryAfterHint: RetryAfterStyle | boolean;
  /** Send OpenAI's `x-ratelimit-*` headers on every response, 200 and 429 alike. */
  readonly rateLimitHeaders?: boolean;
  /** A second bucket charged each request's `tokens` (a request without `tokens` costs none). */
  readonly tokenLimit?: { readonly tokensPerSecond: number; readonly burst: number };
}

// Refill arithmetic is in floating point; a hair of tolerance keeps 0.1 s × 10/s worth one token.
const tolerance = 1e-9;

/** A bucket that starts full and refills continuously. */
function bucket(perSecond: number, capacity: number): BucketState & { refill(at: number): void; waitMsFor(cost: number): number } {
  const perMs = perSecond / 1000;
  let refilledAt = 0;
  return {
    perSecond,
    capacity,
    level: capacity,
    refill(at) {
      this.level = Math.min(capacity, this.level + (at - refilledAt) * perMs);
      refilledAt = at;
    },
    waitMsFor(cost) {
      return this.level >= cost - tolerance ? 0 : (cost - this.level) / perMs;
    },
  };
}

/**
 * A rate limiter: one bucket of requests, optionally one of tokens, both full at the start. A
 * request is served only when both can pay for it; a rejected request costs nothing.
 */
export function tokenBucketServer(settings: TokenBucketSettings, now: () => number): SimulatedServer {
  const style: RetryAfterStyle =
    settings.retryAfterHint === true ? 'seconds' : settings.retryAfterHint === false ? 'none' : settings.retryAfterHint;
  const requestBucket = bucket(settings.ratePerSecond, settings.burst);
  const tokenBucket = settings.tokenLimit && bucket(settings.tokenLimit.tokensPerSecond, settings.tokenLimit.burst);

  return serverAnswering(now, (at, load) => {
    const cost = tokenBucket ? Math.min(load.tokens ?? 0, tokenBucket.capacity) : 0;
    requestBucket.refill(at);
    tokenBucket?.refill(at);
    const waitMs = Math.max(requestBucket.waitMsFor(1), tokenBucket?.waitMsFor(cost) ?? 0);
    const served = waitMs === 0;
    if (served) {
      requestBucket.level = Math.max(0, requestBucket.level - 1);
      if (tokenBucket) tokenBucket.level = Math.max(0, tokenBucket.level - cost);
    }
    const headers = settings.rateLimitHeaders ? rateLimitHeaders(requestBucket, tokenBucket) : new Headers();
    if (served) return { status: 200, headers };
    if (style === 'seconds') headers.set('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))));
    if (style === 'ms') headers.set('retry-after-ms', String(Math.ceil(waitMs)));
    return { status: 429, headers };
  });
}

/** A service that is down (503, no hint) for `outageMs`, then healthy. */
export function outageServer(outageMs: number, now: () => number): SimulatedServer {
  return serverAnswering(now, (at) => ({ status: at < outageMs ? 503 : 200, headers: new Headers() }));
}

/** Answers the scripted refusals in order, one per request, then 200 for ever: the lone caller's server. */
export function scriptedServer(refusals: readonly { status: number; headers?: Record<string, string> }[], now: () => number): SimulatedServer {
  let next = 0;
  return serverAnswering(now, () => {
    const refusal = refusals[next++];
    return refusal ? { status: refusal.status, headers: new Headers(refusal.headers) } : { status: 200, headers: new Headers() };
  });
}
