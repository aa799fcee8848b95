import type { RetryClock } from '../../src/index.js';

interface Timer { at: number; seq: number; run: () => void }

/**
 * A virtual clock to inject as the `clock` option. Unlike fake timers it fires every timer due at
 * the same instant in one batch, so 10,000 concurrent calls stay fast.
 */
export class ManualClock implements RetryClock {
  private current = 0;
  private seq = 0;
  private readonly timers = new Set<Timer>();

  now = (): number => this.current;
  setTimeout = (run: () => void, ms: number): unknown => {
    const timer = { at: this.current + ms, seq: this.seq++, run };
    this.timers.add(timer);
    return timer;
  };
  clearTimeout = (handle: unknown): void => {
    this.timers.delete(handle as Timer);
  };

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting promises settle between. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await flushPromises();
    for (;;) {
      let earliest: number | undefined;
      for (const timer of this.timers) if (timer.at <= target && (earliest === undefined || timer.at < earliest)) earliest = timer.at;
      if (earliest === undefined) break;
      this.current = earliest;
      const due = [...this.timers].filter((timer) => timer.at === earliest).sort((a, b) => a.seq - b.seq);
      for (const timer of due) {
        this.timers.delete(timer);
        timer.run();
      }
      await flushPromises();
    }
    this.current = target;
  }
}

/** Lets every queued promise reaction run (real setImmediate comes after all microtasks). */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
