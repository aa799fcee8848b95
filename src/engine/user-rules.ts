import type { Attempt } from './attempt-context.js';
import { reportHookError } from './hooks.js';
import { isPromiseLike } from './promise-like.js';

/** A user rule's answer: only `true` counts, and a rule that throws or rejects is reported and counts as `false`. */
export function verdict(name: string, rule: (subject: any, attempt: any) => unknown, subject: unknown, attempt: Attempt | undefined): boolean {
  try {
    const answer = rule(subject, attempt);
    // Not awaited. A rejection must still be reported, never left unhandled.
    if (isPromiseLike(answer)) answer.then(undefined, (hookError: unknown) => reportHookError(name, hookError));
    return answer === true;
  } catch (hookError) {
    reportHookError(name, hookError);
    return false;
  }
}
