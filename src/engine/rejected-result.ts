/**
 * What `onRetry` and `onGiveUp` receive when `retryOnResult` turned a value down: an attempt that
 * resolved with an answer that is a failure in disguise. The caller never sees it: when no attempt
 * is left it gets `value`, the last answer.
 */
export class RejectedResultError extends Error {
  #brand = true;

  /** A brand check, not `instanceof`: an attempt may throw a Proxy whose every trap throws. */
  static is(thrown: unknown): thrown is RejectedResultError {
    return typeof thrown === 'object' && thrown !== null && #brand in thrown;
  }

  constructor(readonly value: unknown) {
    super('retryable: retryOnResult turned the result down');
    this.name = 'RejectedResultError';
  }
}
