import type { RetryPolicy } from '../policy/options.js';

/**
 * The caller's cancellation for one call: the `signal` option (an AbortSignal, or a function of
 * the arguments), else the first argument that is an AbortSignal or has one in its `signal` field
 * (as in `complete(prompt, { signal })`).
 */
export function callerSignalOf(policy: RetryPolicy, thisArg: unknown, args: readonly unknown[]): AbortSignal | undefined {
  const { signal } = policy;
  if (signal !== undefined) return typeof signal === 'function' ? signal.apply(thisArg, args as unknown[]) : signal;
  return args.length === 0 ? undefined : signalAmong(args);
}

// Node defines the global `AbortSignal` as a lazy accessor, so each mention of it is a getter call:
// read once here, it is a constant that V8 folds into the checks below.
const Signal = AbortSignal;

// Apart, so that the engine's fast path stays small enough for V8 to inline the method into it.
function signalAmong(args: readonly unknown[]): AbortSignal | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg !== 'object' || arg === null) continue;
    // The field first: its load tells V8 the argument's shape, and a shape whose prototypes are
    // known makes `arg instanceof Signal` a constant. (A signal has no `signal` field of its own.)
    const field = (arg as { signal?: unknown }).signal;
    if (field instanceof Signal) return field;
    if (arg instanceof Signal) return arg;
  }
  return undefined;
}
