export interface RetryBudgetOptions {
  /** The most retries the budget can pay for at once. Default 10. */
  maxTokens?: number;
  /** Tokens each success returns; 0.1 keeps retries near 10% of successful traffic. Default 0.1. */
  tokenRatio?: number;
  /** Hold first attempts too while a server-announced cool-down lasts. Default true. */
  holdFirstAttempts?: boolean;
  /** Milliseconds over which calls held by a cool-down are spread after it ends. Default 1000. */
  spread?: number;
}

/** What the engine tells the budget before a retry. */
export interface RetryRequest {
  readonly now: number;
  /** The wait the engine computed from backoff and server hints. */
  readonly delay: number;
  /** The firm server hint (`retry-after-ms`/`retry-after`) in ms, if any. */
  readonly firmHint: number | undefined;
  readonly error: unknown;
  readonly random: () => number;
}

function checkNumber(name: string, value: number | undefined, valid: (n: number) => boolean): void {
  if (value === undefined) return;
  if (typeof value !== 'number') throw new TypeError(`RetryBudget: ${name} must be a number, got ${typeof value}`);
  if (!valid(value)) throw new RangeError(`RetryBudget: ${name} is out of range, got ${value}`);
}

/**
 * Retries shared across calls, methods and instances: a token bucket in the style of gRPC retry
 * throttling (retries spend tokens, successes refill them, so an outage cannot multiply traffic),
 * and a shared cool-down (when one call learns from the server that the upstream is limited until
 * T, the other calls hold until T, spread over the following interval). It holds no timers.
 */
export class RetryBudget {
  private readonly maxTokens: number;
  private readonly tokenRatio: number;
  private readonly holdFirstAttempts: boolean;
  private readonly spread: number;
  private tokens: number;
  private coolDownUntil = 0;

  constructor(options: RetryBudgetOptions = {}) {
    checkNumber('maxTokens', options.maxTokens, (n) => Number.isFinite(n) && n >= 0);
    checkNumber('tokenRatio', options.tokenRatio, (n) => Number.isFinite(n) && n >= 0);
    checkNumber('spread', options.spread, (n) => Number.isFinite(n) && n >= 0);
    this.maxTokens = options.maxTokens ?? 10;
    this.tokenRatio = options.tokenRatio ?? 0.1;
    this.holdFirstAttempts = options.holdFirstAttempts ?? true;
    this.spread = options.spread ?? 1000;
    this.tokens = this.maxTokens;
  }

  /** Tokens left now (one pays for one retry). */
  get availableTokens(): number {
    return this.tokens;
  }

  /** How long a new call should wait before its first attempt (0: go now). */
  holdBeforeFirstAttempt(now: number, random: () => number): number {
    if (!this.holdFirstAttempts || this.coolDownUntil <= now) return 0;
    return this.coolDownUntil - now + random() * this.spread;
  }

  /** The wait before this retry, lengthened by any shared cool-down, or undefined if refused. */
  beforeRetry(request: RetryRequest): number | undefined {
    if (this.tokens < 1) return undefined;
    this.tokens -= 1;
    const { now, delay, firmHint, random } = request;
    if (firmHint !== undefined) this.coolDownUntil = Math.max(this.coolDownUntil, now + firmHint);
    if (now + delay >= this.coolDownUntil) return delay;
    return this.coolDownUntil - now + random() * this.spread;
  }

  recordSuccess(): void {
    this.tokens = Math.min(this.maxTokens, this.tokens + this.tokenRatio);
  }
}
