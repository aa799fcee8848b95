/**
 * One run of a workload against a simulated server, in virtual time, with one seed: the only place
 * in the matrix that starts calls and waits for them. A workload is a list of groups of callers (a
 * crowd that calls at once, a batch drained by a pool of workers); each caller retries through its
 * process's retrier, so "processes" that share only the server can be simulated in one run.
 */
import { mulberry32, replaceMathRandom } from '../seeded-random.js';
import type { RequestLoad, ServerRequestRecord, SimulatedServer } from '../simulated-server.js';
import { installVirtualClock } from '../virtual-time.js';
import type { MatrixPeer } from './peers.js';

/** `clients` callers, each making one call at `startMs`. */
export interface CrowdGroup {
  readonly kind: 'crowd';
  readonly tag: string;
  readonly clients: number;
  readonly startMs: number;
}

/** `requests` calls drained by `workers` workers from `startMs`: each takes the next and awaits it. */
export interface BatchGroup {
  readonly kind: 'batch';
  readonly tag: string;
  readonly requests: number;
  readonly workers: number;
  readonly startMs: number;
}

export type CallerGroup = CrowdGroup | BatchGroup;

export interface Workload {
  readonly groups: readonly CallerGroup[];
  /** Tokens request number `index` of a group is charged (none when absent). */
  readonly tokensOf?: (index: number) => number;
}

export interface GroupResult {
  readonly tag: string;
  /** Calls the group makes: its clients or its batch's requests. */
  readonly calls: number;
  readonly succeeded: number;
  readonly lastSuccessMs: number | null;
  /** When its last call settled, served or not: when a batch is done. */
  readonly lastSettledMs: number;
  /** For each successful call, the time from its start to its success. */
  readonly timesToSuccessMs: readonly number[];
}

export interface SimulationRun {
  readonly seed: number;
  readonly groups: readonly GroupResult[];
  /** Every request the server saw, in order. */
  readonly requests: readonly ServerRequestRecord[];
  /** Final errors other than the server's own refusals: a sign the harness or a peer is broken. */
  readonly unexpectedErrors: readonly string[];
  /** Fake timers still pending after every call settled. */
  readonly leftoverTimers: number;
}

export interface SimulationInput<P> {
  readonly point: P;
  readonly peer: MatrixPeer<P>;
  readonly seed: number;
  /** Independent processes; caller i (crowd client or batch worker, counted across groups) belongs to i mod processes. */
  readonly processes: number;
  readonly server: (now: () => number) => SimulatedServer;
  readonly workload: Workload;
}

const isServerRefusal = (error: unknown) => [429, 503].includes((error as { status?: unknown } | null)?.status as number);

export async function simulate<P>(input: SimulationInput<P>): Promise<SimulationRun> {
  const clock = installVirtualClock();
  const random = mulberry32(input.seed);
  const restoreRandom = replaceMathRandom(random);
  try {
    const server = input.server(clock.now);
    const retrierOf = input.peer.setUp({ random, processes: input.processes, point: input.point });
    const unexpectedErrors: string[] = [];
    let nextCaller = 0;

    const runGroup = async (group: CallerGroup): Promise<GroupResult> => {
      const timesToSuccessMs: number[] = [];
      let lastSuccessMs: number | null = null;
      let lastSettledMs = 0;
      const callOnce = async (caller: number, index: number) => {
        const load: RequestLoad = { tag: group.tag, tokens: input.workload.tokensOf?.(index) };
        const startedAt = clock.now();
        try {
          await retrierOf(caller % input.processes)(() => server.request(load), load);
          lastSuccessMs = clock.now();
          timesToSuccessMs.push(lastSuccessMs - startedAt);
        } catch (error) {
          if (!isServerRefusal(error)) unexpectedErrors.push(String(error));
        }
        lastSettledMs = clock.now();
      };
      const firstCaller = nextCaller;
      const callers = group.kind === 'crowd' ? group.clients : group.workers;
      nextCaller += callers;
      if (group.startMs > 0) await new Promise((resolve) => setTimeout(resolve, group.startMs));
      if (group.kind === 'crowd') {
        await Promise.all(Array.from({ length: group.clients }, (_, client) => callOnce(firstCaller + client, client)));
      } else {
        let taken = 0;
        const worker = async (index: number) => {
          while (taken < group.requests) await callOnce(firstCaller + index, taken++);
        };
        await Promise.all(Array.from({ length: group.workers }, (_, index) => worker(index)));
      }
      const calls = group.kind === 'crowd' ? group.clients : group.requests;
      return { tag: group.tag, calls, succeeded: timesToSuccessMs.length, lastSuccessMs, lastSettledMs, timesToSuccessMs };
    };

    const settled = await clock.runUntilSettled(Promise.all(input.workload.groups.map(runGroup)));
    if (settled.status === 'rejected') throw settled.reason;
    return {
      seed: input.seed,
      groups: settled.value,
      requests: server.requests,
      unexpectedErrors,
      leftoverTimers: clock.pendingTimers(),
    };
  } finally {
    restoreRandom();
    clock.uninstall();
  }
}
