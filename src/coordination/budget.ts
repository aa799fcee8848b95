import type { AdmissionRequest, AttemptOutcome, Coordinator, CoordinatorAnswer, RetryRequest as SeamRetryRequest } from './coordinator.js';

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
  /** A 429: paced by the cool-down, not paid from the bucket. */
  readonly rateLimited: boolean;
  readonly error: unknown;
  readonly random: () => number;
}

const SUCCESS_WINDOW_MS = 1000;

function checkNumber(name: string, value: number | undefined, valid: (n: number) => boolean): void {
  if (value === undefined) return;
  if (typeof value !== 'number') throw new TypeError(`RetryBudget: ${name} must be a number, got ${typeof value}`);
  if (!valid(value)) throw new RangeError(`RetryBudget: ${name} is out of range, got ${value}`);
}

/**
 * Retries shared across calls, methods and instances. It holds no timers.
 *
 * - A token bucket in the style of gRPC retry throttling: a retry after a server error or a
 *   network failure spends a token, a success returns `tokenRatio` of one, so in an outage retries
 *   stop once the bucket is empty and stay near 10% of traffic after.
 * - A shared cool-down for rate limits: when one call learns from a firm hint that the upstream is
 *   limited until T, the other calls hold their retries, and their first attempts, until T, spread
 *   over the following `spread` ms, instead of each earning its own 429.
 * - Pacing under a rate limit: while the upstream answers 429, the rate at which calls on this budget
 *   recently succeeded is the rate it grants, so retries after a 429 are given slots that far apart,
 *   in the order they failed, rather than each guessing with its own random backoff. Retries after a
 *   429 are not paid from the bucket: a rate limit is a queue to wait in, not a fault to give up on.
 */
export class RetryBudget implements Coordinator {
  /** Never calm: a cool-down may hold any first attempt, so every call asks. */
  readonly calm = false;
  private readonly maxTokens: number;
  private readonly tokenRatio: number;
  private readonly holdFirstAttempts: boolean;
  private readonly spread: number;
  private tokens: number;
  private coolDownUntil = 0;
  private nextPacedSlot = 0;
  // Successes counted in fixed windows of SUCCESS_WINDOW_MS: the current one and the one before.
  private successWindowStart = 0;
  private successesThisWindow = 0;
  private successesLastWindow = 0;

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

  /** The wait before this retry, lengthened by any shared cool-down or pacing, or undefined if refused. */
  beforeRetry(request: RetryRequest): number | undefined {
    const { now, delay, firmHint, rateLimited, random } = request;
    if (firmHint !== undefined) this.coolDownUntil = Math.max(this.coolDownUntil, now + firmHint);
    if (rateLimited) {
      const paced = this.pacedDelay(now, firmHint);
      if (paced !== undefined) return paced;
    } else {
      if (this.tokens < 1) return undefined;
      this.tokens -= 1;
    }
    if (now + delay >= this.coolDownUntil) return delay;
    return this.coolDownUntil - now + random() * this.spread;
  }

  admit(request: AdmissionRequest): CoordinatorAnswer {
    return { wait: request.attempt === 1 ? this.holdBeforeFirstAttempt(request.now, request.random) : 0, reason: 'cool-down' };
  }

  scheduleRetry(request: SeamRetryRequest): CoordinatorAnswer {
    const { now, ownDelay, firmHint, failure, error, random } = request;
    const delay = this.beforeRetry({ now, delay: ownDelay, firmHint, rateLimited: failure === 'rate-limit', error, random });
    return delay === undefined ? { refuse: 'budget' } : { wait: delay, reason: delay > ownDelay ? 'cool-down' : 'backoff' };
  }

  /** Failures are paid for in `scheduleRetry`; only successes change the budget. */
  record(outcome: AttemptOutcome): void {
    if (outcome.failure === undefined) this.recordSuccess(outcome.now);
  }

  recordSuccess(now: number): void {
    this.tokens = Math.min(this.maxTokens, this.tokens + this.tokenRatio);
    this.rollSuccessWindow(now);
    this.successesThisWindow++;
  }

  /** The next free slot after the hint and the cool-down, one granted interval after the last. */
  private pacedDelay(now: number, firmHint: number | undefined): number | undefined {
    this.rollSuccessWindow(now);
    const grantedPerWindow = Math.max(this.successesThisWindow, this.successesLastWindow);
    if (grantedPerWindow === 0) return undefined; // nothing observed yet: the call's own backoff decides
    const interval = SUCCESS_WINDOW_MS / grantedPerWindow;
    const slot = Math.max(now + (firmHint ?? interval), this.coolDownUntil, this.nextPacedSlot);
    this.nextPacedSlot = slot + interval;
    return slot - now;
  }

  private rollSuccessWindow(now: number): void {
    const windowsPassed = Math.floor((now - this.successWindowStart) / SUCCESS_WINDOW_MS);
    if (windowsPassed <= 0) return;
    this.successesLastWindow = windowsPassed === 1 ? this.successesThisWindow : 0;
    this.successesThisWindow = 0;
    this.successWindowStart += windowsPassed * SUCCESS_WINDOW_MS;
  }
}
