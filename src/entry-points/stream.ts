import { currentAttempt, type Attempt } from '../engine/attempt-context.js';
import { onAbort } from '../engine/abort-fanout.js';
import { callerSignalOf } from './caller-signal.js';
import type { DecoratedMethod } from '../policy/defaults.js';
import { callWithRetry, type CallSite, type MethodLabel } from '../engine/engine.js';

/** An attempt that reached its first value; a class, so it is told apart from a fallback's stream. */
class StartedStream {
  constructor(
    readonly iterator: AsyncGenerator<unknown, unknown, unknown>,
    readonly first: IteratorResult<unknown, unknown>,
    readonly attempt: Attempt,
  ) {}
}

/**
 * Wraps an `async *` method so that it is retried only until its first `yield`. Once a value has
 * reached the caller, replaying would duplicate output, so later errors pass through as they are.
 * Timeouts bound the time to the first value; the caller's signal keeps working to the end.
 */
export function retryingStreamMethod(original: Function, method: DecoratedMethod, label: MethodLabel): Function {
  // One attempt = create the generator and pull its first value. Both happen inside the attempt, so
  // the generator body's synchronous part sees `currentAttempt()`.
  function startStream(this: unknown, ...args: unknown[]): Promise<StartedStream> {
    const attempt = currentAttempt() as Attempt;
    const iterator = original.apply(this, args) as AsyncGenerator<unknown, unknown, unknown>;
    return iterator.next().then((first) => new StartedStream(iterator, first, attempt));
  }

  const site: CallSite = { fn: startStream, label };
  return async function* retryableStream(this: unknown, ...args: unknown[]) {
    const policy = method.policy;
    const callerSignal = callerSignalOf(policy, this, args);
    const started = await callWithRetry(policy, site, this, args, callerSignal);
    // The `fallback` answered: it gives the caller a stream of its own (an `async *` function, say).
    if (!(started instanceof StartedStream)) return yield* started as AsyncIterable<unknown>;
    const { iterator, first, attempt } = started;
    if (first.done) return first.value;
    const stopFollowing = followCaller(attempt.controller, callerSignal);
    let completed = false;
    try {
      yield first.value;
      const result = yield* iterator;
      completed = true;
      return result;
    } finally {
      stopFollowing();
      // The caller stopped early (break or return): close the inner generator so it releases its request.
      if (!completed) await iterator.return(undefined);
    }
  };
}

/** The engine let go of the attempt's own controller; keep it aborting with the caller's signal. */
function followCaller(controller: AbortController | undefined, callerSignal: AbortSignal | undefined): () => void {
  if (controller === undefined || callerSignal === undefined || controller.signal.aborted) return () => {};
  return onAbort(callerSignal, () => controller.abort(callerSignal.reason));
}
