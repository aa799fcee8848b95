/**
 * Happy path: what wrapping costs when the first attempt succeeds, which is nearly every call in
 * production. The wrapped work is an async function that resolves at once, so the wrapper's own
 * overhead is all there is to see, as a multiple of a bare `await fn()`.
 */
import { Retryable } from './adapters/retryable.js';
import type { BatchLoop, PairedSubject } from './paired-timing.js';
import { alike, cockatielPeer, naiveRetry, ourAlikePeer, pRetryPeer } from './peers.js';

async function resolveImmediately(): Promise<number> {
  return 1;
}

const rethrow = (error: unknown): never => {
  throw error;
};

/**
 * The floor: the least any retrying wrapper must do on success, that is, call the method with
 * its `this` and arguments and attach a rejection handler. No wrapper can be cheaper.
 */
function FloorWrapper(): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const method = descriptor.value as (...args: unknown[]) => Promise<unknown>;
    descriptor.value = function (this: unknown, ...args: unknown[]) {
      return method.apply(this, args).then(undefined, rethrow);
    };
  };
}

/**
 * The floor of a wrapper that can retry: the same, with the rejection handler a closure made per
 * call that keeps `this` and the arguments for the next attempt, as any retrying wrapper must.
 */
function FloorWithClosureWrapper(): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const method = descriptor.value as (...args: unknown[]) => Promise<unknown>;
    descriptor.value = function (this: unknown, ...args: unknown[]) {
      return method.apply(this, args).then(undefined, (error: unknown) => retryLater(method, this, args, error));
    };
  };
}

/** Stands for the retry a real wrapper would start: it needs the method, `this` and the arguments. */
function retryLater(_method: Function, _thisArg: unknown, _args: unknown[], error: unknown): never {
  throw error;
}

/** Subject names the report compares with each other (see `floorTable`). */
export const happyPathNames = {
  decorated: '@Retryable method',
  floor: 'floor: fn.apply(this, args).then(undefined, onError)',
  floorWithClosure: 'floor with a per-call closure: fn.apply(this, args).then(undefined, (e) => retry(this, args, e))',
} as const;

/**
 * The family of argument counts: a method's arguments change the wrapper's work (the arguments are
 * kept for a retry and searched for the caller's AbortSignal), so the ratio is shown for each. The
 * arguments are what a service method is called with: a prompt, an options object, a number.
 */
export const argumentCounts = [0, 1, 2, 3] as const;
export const withArguments = (subject: string, count: number) => (count === 0 ? subject : `${subject}, ${count} argument${count === 1 ? '' : 's'}`);
const options = { temperature: 0 };

export interface HappyPathSubjects {
  readonly baseline: BatchLoop;
  readonly subjects: readonly PairedSubject[];
}

/**
 * Each loop is its own function literal on purpose. A loop shared by all subjects would see many
 * different callees at one call site, turn megamorphic, and slow the bare baseline along with
 * everything else, squeezing every ratio towards 1.
 */
export function happyPathSubjects(): HappyPathSubjects {
  // Classes are built here, not at module load, so that importing this file never runs the
  // decorator (contention runs don't need it).
  const alikeOptions = { maxRetries: alike.retries, initialDelay: alike.initialDelayMs, multiplier: alike.multiplier, maxDelay: alike.maxDelayMs };
  class DecoratedService {
    @Retryable(alikeOptions)
    async resolveImmediately(): Promise<number> {
      return 1;
    }
    @Retryable(alikeOptions)
    async complete(_prompt: string): Promise<number> {
      return 1;
    }
    @Retryable(alikeOptions)
    async completeWith(_prompt: string, _options: object): Promise<number> {
      return 1;
    }
    @Retryable(alikeOptions)
    async completeWithCount(_prompt: string, _options: object, _count: number): Promise<number> {
      return 1;
    }
  }
  class FloorService {
    @FloorWrapper()
    async resolveImmediately(): Promise<number> {
      return 1;
    }
  }
  class FloorWithClosureService {
    @FloorWithClosureWrapper()
    async resolveImmediately(): Promise<number> {
      return 1;
    }
    @FloorWithClosureWrapper()
    async complete(_prompt: string): Promise<number> {
      return 1;
    }
    @FloorWithClosureWrapper()
    async completeWith(_prompt: string, _options: object): Promise<number> {
      return 1;
    }
    @FloorWithClosureWrapper()
    async completeWithCount(_prompt: string, _options: object, _count: number): Promise<number> {
      return 1;
    }
  }
  const decorated = new DecoratedService();
  const floor = new FloorService();
  const floorWithClosure = new FloorWithClosureService();
  const viaOurRetry = ourAlikePeer.setUp(Math.random);
  const viaPRetry = pRetryPeer.setUp(Math.random);
  const viaCockatiel = cockatielPeer.setUp(Math.random);

  return {
    baseline: async (n) => {
      for (let i = 0; i < n; i++) await resolveImmediately();
    },
    subjects: [
      {
        name: happyPathNames.decorated,
        loop: async (n) => {
          for (let i = 0; i < n; i++) await decorated.resolveImmediately();
        },
      },
      {
        name: 'retry()',
        loop: async (n) => {
          for (let i = 0; i < n; i++) await viaOurRetry(resolveImmediately);
        },
      },
      {
        name: 'p-retry 7',
        loop: async (n) => {
          for (let i = 0; i < n; i++) await viaPRetry(resolveImmediately);
        },
      },
      {
        name: 'cockatiel 3',
        loop: async (n) => {
          for (let i = 0; i < n; i++) await viaCockatiel(resolveImmediately);
        },
      },
      {
        name: 'naive loop',
        loop: async (n) => {
          for (let i = 0; i < n; i++) await naiveRetry(resolveImmediately);
        },
      },
      {
        name: happyPathNames.floor,
        loop: async (n) => {
          for (let i = 0; i < n; i++) await floor.resolveImmediately();
        },
      },
      {
        name: happyPathNames.floorWithClosure,
        loop: async (n) => {
          for (let i = 0; i < n; i++) await floorWithClosure.resolveImmediately();
        },
      },
      // The argument-count family, each loop its own literal (see above).
      { name: withArguments(happyPathNames.decorated, 1), loop: async (n) => { for (let i = 0; i < n; i++) await decorated.complete('hello'); } },
      { name: withArguments(happyPathNames.floorWithClosure, 1), loop: async (n) => { for (let i = 0; i < n; i++) await floorWithClosure.complete('hello'); } },
      { name: withArguments(happyPathNames.decorated, 2), loop: async (n) => { for (let i = 0; i < n; i++) await decorated.completeWith('hello', options); } },
      { name: withArguments(happyPathNames.floorWithClosure, 2), loop: async (n) => { for (let i = 0; i < n; i++) await floorWithClosure.completeWith('hello', options); } },
      { name: withArguments(happyPathNames.decorated, 3), loop: async (n) => { for (let i = 0; i < n; i++) await decorated.completeWithCount('hello', options, 3); } },
      { name: withArguments(happyPathNames.floorWithClosure, 3), loop: async (n) => { for (let i = 0; i < n; i++) await floorWithClosure.completeWithCount('hello', options, 3); } },
    ],
  };
}
