/**
 * Virtual time for the contention scenarios. A 100-client outage lasts minutes of wall time per
 * peer; on a fake clock it takes milliseconds, and every run is exactly reproducible.
 *
 * All peers read time and schedule waits through the globals (`setTimeout`, `Date.now`,
 * `performance.now`), so faking the globals puts every one of them on the same clock without
 * touching their code.
 */
import { install, type Clock } from '@sinonjs/fake-timers';

// Captured before any clock is installed: the harness itself must still be able to yield to
// the real event loop while the globals are fake.
const realSetImmediate = globalThis.setImmediate;
const yieldToRealEventLoop = () => new Promise<void>((resolve) => realSetImmediate(resolve));

// How many real turns of the event loop we wait, with no fake timer pending, before deciding a
// run is stuck. Zero-latency peers settle in a handful of turns.
const stallTurns = 1000;

export interface VirtualClock {
  /** Virtual milliseconds since the clock was installed. */
  now(): number;
  /** Fires fake timers, in time order, until `work` settles; returns how it settled. */
  runUntilSettled<T>(work: Promise<T>): Promise<PromiseSettledResult<T>>;
  /** Fake timers still pending: a peer that leaves timers behind after settling leaks them. */
  pendingTimers(): number;
  uninstall(): void;
}

export function installVirtualClock(): VirtualClock {
  const clock: Clock = install({
    now: 0,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date', 'performance'],
  });

  return {
    now: () => clock.now,
    pendingTimers: () => clock.countTimers(),
    uninstall: () => clock.uninstall(),
    async runUntilSettled<T>(work: Promise<T>): Promise<PromiseSettledResult<T>> {
      let outcome: PromiseSettledResult<T> | undefined;
      work.then(
        (value) => (outcome = { status: 'fulfilled', value }),
        (reason: unknown) => (outcome = { status: 'rejected', reason }),
      );
      let idleTurns = 0;
      while (outcome === undefined) {
        if (clock.countTimers() > 0) {
          // Fires one timer, then lets the promise chains it started run to their next wait.
          await clock.nextAsync();
          idleTurns = 0;
        } else if (++idleTurns > stallTurns) {
          throw new Error(`virtual time stalled at ${clock.now} ms: work pending but no timer scheduled`);
        } else {
          await yieldToRealEventLoop();
        }
      }
      return outcome;
    },
  };
}
