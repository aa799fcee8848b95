/**
 * The remote API the contention scenarios hammer. It answers in zero time: what is measured is
 * how clients spread their retries, not network latency. Failures are thrown the way HTTP SDKs
 * throw them (an error carrying `status` and `headers`), and `simulatedFetch` in peers.ts turns
 * them back into HTTP responses for the OpenAI SDK.
 */

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

export interface ServerRequestRecord {
  /** Milliseconds since the server started. */
  readonly at: number;
  readonly status: number;
}

export interface SimulatedServer {
  /** Answers one request now: resolves on 200, rejects with a SimulatedHttpError otherwise. */
  request(): Promise<{ readonly status: 200 }>;
  readonly requests: readonly ServerRequestRecord[];
}

type Answer = { status: 200 } | { status: number; headers: Headers };

function serverAnswering(now: () => number, answer: (elapsedMs: number) => Answer): SimulatedServer {
  const startedAt = now();
  const requests: ServerRequestRecord[] = [];
  return {
    requests,
    async request() {
      const at = now() - startedAt;
      const reply = answer(at);
      requests.push({ at, status: reply.status });
      if (reply.status === 200) return { status: 200 };
      throw new SimulatedHttpError(reply.status, (reply as { headers: Headers }).headers);
    },
  };
}

export interface TokenBucketSettings {
  readonly ratePerSecond: number;
  readonly burst: number;
  /** Send `retry-after` (whole seconds, rounded up) until the next token is available. */
  readonly retryAfterHint: boolean;
}

/** A rate limiter: a token bucket that starts full. A rejected request costs no token. */
export function tokenBucketServer(settings: TokenBucketSettings, now: () => number): SimulatedServer {
  const tokensPerMs = settings.ratePerSecond / 1000;
  let tokens = settings.burst;
  let refilledAt = 0;
  // Refill arithmetic is in floating point; a hair of tolerance keeps 0.1 s × 10/s worth one token.
  const oneToken = 1 - 1e-9;

  return serverAnswering(now, (at) => {
    tokens = Math.min(settings.burst, tokens + (at - refilledAt) * tokensPerMs);
    refilledAt = at;
    if (tokens >= oneToken) {
      tokens = Math.max(0, tokens - 1);
      return { status: 200 };
    }
    const headers = new Headers();
    if (settings.retryAfterHint) {
      const msUntilNextToken = (1 - tokens) / tokensPerMs;
      headers.set('retry-after', String(Math.max(1, Math.ceil(msUntilNextToken / 1000))));
    }
    return { status: 429, headers };
  });
}

/** A service that is down (503, no hint) for `outageMs`, then healthy. */
export function outageServer(outageMs: number, now: () => number): SimulatedServer {
  return serverAnswering(now, (at) => (at < outageMs ? { status: 503, headers: new Headers() } : { status: 200 }));
}
