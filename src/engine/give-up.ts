import type { GiveUpReason } from '../policy/options.js';

/** Ends a call: its promise rejects with `error`, exactly as the last attempt threw it. */
export class GiveUp {
  #brand = true;
  constructor(readonly error: unknown, readonly reason: GiveUpReason) {}

  /** A brand check, not `instanceof`: an attempt may throw a Proxy whose every trap throws. */
  static is(thrown: unknown): thrown is GiveUp {
    return typeof thrown === 'object' && thrown !== null && #brand in thrown;
  }
}

/** The reason an attempt or a wait is cut short by the call's own timers. */
export function timeoutReason(option: 'timeout' | 'attemptTimeout', ms: number | undefined): DOMException {
  return new DOMException(`retryable: ${option} of ${ms} ms passed`, 'TimeoutError');
}
