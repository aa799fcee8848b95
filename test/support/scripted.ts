/** Test doubles: errors shaped like HTTP client errors, and functions that fail on a script. */

export interface HttpLikeError extends Error {
  status?: number;
  headers?: Headers | Record<string, string>;
  code?: string;
}

/** An error with an HTTP status and response headers, as the OpenAI SDK (v5+) throws them. */
export function httpError(status: number, headers: Record<string, string> = {}, fields: Partial<HttpLikeError> = {}): HttpLikeError {
  return Object.assign(new Error(`HTTP ${status}`), { status, headers: new Headers(headers) }, fields);
}

export interface Scripted<T> {
  (...args: unknown[]): Promise<T>;
  /** Date.now() at each call (virtual time under fake timers). */
  readonly callTimes: number[];
  readonly calls: { thisArg: unknown; args: unknown[] }[];
}

/**
 * An async function that throws `failures[i]` on call i and resolves `value` once the failures run
 * out. Each failure is rejected after the function's synchronous part, like a real network call.
 */
export function scripted<T>(failures: readonly unknown[], value: T): Scripted<T> {
  const callTimes: number[] = [];
  const calls: { thisArg: unknown; args: unknown[] }[] = [];
  const fn = async function (this: unknown, ...args: unknown[]): Promise<T> {
    const index = callTimes.length;
    callTimes.push(Date.now());
    calls.push({ thisArg: this, args });
    await Promise.resolve();
    if (index < failures.length) throw failures[index];
    return value;
  };
  return Object.assign(fn, { callTimes, calls });
}

/** Gaps between consecutive calls: the waits the engine made. */
export function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((time, i) => time - times[i]!);
}

export type Outcome<T> = { status: 'fulfilled'; value: T } | { status: 'rejected'; reason: unknown };

/** Observes a promise at once, so running fake timers never leaves its rejection unhandled. */
export function observe<T>(promise: Promise<T>): Promise<Outcome<T>> & { settled: () => boolean } {
  let done = false;
  const observed = promise.then(
    (value) => { done = true; return { status: 'fulfilled' as const, value }; },
    (reason: unknown) => { done = true; return { status: 'rejected' as const, reason }; },
  );
  return Object.assign(observed, { settled: () => done });
}
