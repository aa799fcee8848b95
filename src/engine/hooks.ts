/**
 * The user's hooks (`onRetry`, `onGiveUp`, `retryIf`) run inside the engine, but their failures
 * must never change a call's outcome nor vanish: each is reported as a process warning
 * (code RETRYABLE_HOOK_ERROR), or on the console where there is no `process`.
 */
import { isPromiseLike } from './promise-like.js';

/** Runs a hook; a hook's failure is reported and never changes the call's outcome. */
export function runHook<T>(hook: ((event: T) => unknown) | undefined, event: T, hookName: string): void {
  if (hook === undefined) return;
  try {
    const returned = hook(event);
    if (isPromiseLike(returned)) returned.then(undefined, (error: unknown) => reportHookError(hookName, error));
  } catch (error) {
    reportHookError(hookName, error);
  }
}

export function reportHookError(hookName: string, error: unknown): void {
  let detail: string;
  try {
    detail = String(error instanceof Error ? (error.stack ?? error.message) : error);
  } catch {
    detail = '(what it threw cannot be turned into text)'; // Object.create(null), a throwing getter...
  }
  const message = `retryable: the ${hookName} hook threw; the call went on as if it had not. ${detail}`;
  if (typeof process === 'object' && typeof process.emitWarning === 'function') {
    process.emitWarning(message, { code: 'RETRYABLE_HOOK_ERROR' });
  } else {
    console.error(message);
  }
}
