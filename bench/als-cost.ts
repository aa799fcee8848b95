/**
 * What AsyncLocalStorage costs plain promise code. The library passes the current attempt to the
 * method through a plain variable instead of AsyncLocalStorage; this measures why. On Node 20 an
 * active store installs promise hooks that tax every promise in the process, not just ours.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { BatchLoop, PairedSubject } from './paired-timing.js';

async function resolveImmediately(): Promise<number> {
  return 1;
}

async function bareAwaitLoop(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await resolveImmediately();
}

export interface AlsCostSubjects {
  readonly baseline: BatchLoop;
  readonly subjects: readonly PairedSubject[];
}

export function alsCostSubjects(): AlsCostSubjects {
  const storage = new AsyncLocalStorage<{ attempt: number }>();
  return {
    baseline: bareAwaitLoop,
    subjects: [
      {
        name: 'bare await loop inside als.run()',
        loop: async (n) => {
          await storage.run({ attempt: 1 }, () => bareAwaitLoop(n));
          // Disabling the last store removes the promise hooks, so the paired baseline batch
          // really runs without them.
          storage.disable();
        },
      },
    ],
  };
}
