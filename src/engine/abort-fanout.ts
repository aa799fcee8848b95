/**
 * One 'abort' listener per caller signal, however many calls share it. A request's signal shared
 * by a fan-out of calls, or an application's shutdown signal, would otherwise collect one listener
 * per call in flight, and Node prints `MaxListenersExceededWarning` past ten, in the user's app.
 */

const subscribers = new WeakMap<AbortSignal, Set<() => void>>();

function notify(this: AbortSignal): void {
  const callbacks = subscribers.get(this);
  subscribers.delete(this);
  this.removeEventListener('abort', notify);
  if (callbacks !== undefined) for (const callback of callbacks) callback();
}

/** Calls `callback` once when `signal` aborts; the returned function unsubscribes. */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let callbacks = subscribers.get(signal);
  if (callbacks === undefined) {
    callbacks = new Set();
    subscribers.set(signal, callbacks);
    signal.addEventListener('abort', notify);
  }
  // A Set keeps one entry per function: a fresh arrow per subscription keeps them apart.
  const entry = () => callback();
  callbacks.add(entry);
  return () => {
    const current = subscribers.get(signal);
    if (current === undefined || !current.delete(entry) || current.size > 0) return;
    subscribers.delete(signal);
    signal.removeEventListener('abort', notify);
  };
}
