/**
 * Contention: 100 clients call at t = 0 against a server that cannot serve them all, and we watch
 * how each peer's retries spread out. A good retrier gets everyone served close to the server's
 * own limit with few wasted calls; a bad one stampedes in lockstep or gives up while the server
 * could still have served it.
 */
import type { Peer } from './peers.js';
import { mulberry32, replaceMathRandom } from './seeded-random.js';
import { outageServer, tokenBucketServer, type SimulatedServer } from './simulated-server.js';
import { mean, median, spreadOf, type Spread } from './stats.js';
import { installVirtualClock } from './virtual-time.js';

export const clientCount = 100;
const ratePerSecond = 10;
const outageMs = 60_000;

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /**
   * The yardstick for "last success": how long the server itself needs to serve every client
   * (N / rate for a rate limit, the outage length for an outage).
   */
  readonly limitMs: number;
  /** Set for outages: requests before this time hit the broken server. */
  readonly outageMs?: number;
  createServer(now: () => number): SimulatedServer;
}

export const scenarios: readonly Scenario[] = [
  {
    id: 'rate-limit',
    title: `Rate limit without hint: token bucket ${ratePerSecond}/s, burst ${ratePerSecond}, bare 429`,
    limitMs: (clientCount / ratePerSecond) * 1000,
    createServer: (now) => tokenBucketServer({ ratePerSecond, burst: ratePerSecond, retryAfterHint: false }, now),
  },
  {
    id: 'rate-limit-retry-after',
    title: `Rate limit with hint: same bucket, 429 with retry-after (s, rounded up to the next token)`,
    limitMs: (clientCount / ratePerSecond) * 1000,
    createServer: (now) => tokenBucketServer({ ratePerSecond, burst: ratePerSecond, retryAfterHint: true }, now),
  },
  {
    id: 'outage',
    title: `Outage: 503 for the first ${outageMs / 1000} s, then healthy`,
    limitMs: outageMs,
    outageMs,
    createServer: (now) => outageServer(outageMs, now),
  },
];

export interface RunResult {
  readonly seed: number;
  readonly serverCalls: number;
  readonly succeeded: number;
  /** Virtual ms when the last successful call resolved; null when none succeeded. */
  readonly lastSuccessMs: number | null;
  /** Virtual ms when the last failed call rejected; null when none failed. */
  readonly lastGiveUpMs: number | null;
  /** Requests that reached the server while it was down (outage scenario only). */
  readonly serverCallsDuringOutage: number | null;
  /** Final errors other than the server's own 429/503: a sign the harness or a peer is broken. */
  readonly unexpectedErrors: readonly string[];
  /** Fake timers still pending after every call settled. */
  readonly leftoverTimers: number;
}

type ClientOutcome = { ok: true; at: number } | { ok: false; at: number; error: unknown };

function isServerRefusal(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return status === 429 || status === 503;
}

export async function runScenario(scenario: Scenario, peer: Peer, seed: number): Promise<RunResult> {
  const clock = installVirtualClock();
  const random = mulberry32(seed);
  const restoreRandom = replaceMathRandom(random);
  try {
    const server = scenario.createServer(clock.now);
    const retrying = peer.setUp(random);
    const calls = Array.from({ length: clientCount }, () =>
      retrying(() => server.request()).then(
        (): ClientOutcome => ({ ok: true, at: clock.now() }),
        (error: unknown): ClientOutcome => ({ ok: false, at: clock.now(), error }),
      ),
    );
    const settled = await clock.runUntilSettled(Promise.all(calls));
    if (settled.status === 'rejected') throw settled.reason;
    const outcomes = settled.value;

    const successes = outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.at);
    const failures = outcomes.filter((outcome) => !outcome.ok) as Extract<ClientOutcome, { ok: false }>[];
    return {
      seed,
      serverCalls: server.requests.length,
      succeeded: successes.length,
      lastSuccessMs: successes.length > 0 ? Math.max(...successes) : null,
      lastGiveUpMs: failures.length > 0 ? Math.max(...failures.map((failure) => failure.at)) : null,
      serverCallsDuringOutage:
        scenario.outageMs === undefined ? null : server.requests.filter((request) => request.at < scenario.outageMs!).length,
      unexpectedErrors: failures.filter((failure) => !isServerRefusal(failure.error)).map((failure) => String(failure.error)),
      leftoverTimers: clock.pendingTimers(),
    };
  } finally {
    restoreRandom();
    clock.uninstall();
  }
}

export interface ContentionRow {
  readonly scenario: string;
  readonly peer: string;
  /** Server calls per client call, mean over seeds. */
  readonly callsPerClient: number;
  /** Clients served, mean over seeds. */
  readonly succeeded: number;
  /**
   * When the last client was served, over the seeds where anyone was. The last success is a
   * maximum, so one unlucky seed moves it a lot: median and range, not mean.
   */
  readonly lastSuccessSeconds: Spread | null;
  /** lastSuccessSeconds.median over the scenario's limit. */
  readonly timesLimit: number | null;
  /** When the last client gave up (median over seeds where anyone did). */
  readonly lastGiveUpSeconds: number | null;
  /** Requests that hit the server while it was down, per client call (outage only; mean). */
  readonly outageCallsPerClient: number | null;
  readonly unexpectedErrors: number;
  readonly leftoverTimers: number;
  readonly runs: readonly RunResult[];
}

const present = (values: readonly (number | null)[]) => values.filter((value): value is number => value !== null);

export async function runContention(peers: readonly Peer[], seeds: readonly number[]): Promise<ContentionRow[]> {
  const rows: ContentionRow[] = [];
  for (const scenario of scenarios) {
    for (const peer of peers) {
      const runs: RunResult[] = [];
      for (const seed of seeds) runs.push(await runScenario(scenario, peer, seed));
      const lastSuccesses = present(runs.map((run) => run.lastSuccessMs)).map((ms) => ms / 1000);
      const lastGiveUps = present(runs.map((run) => run.lastGiveUpMs)).map((ms) => ms / 1000);
      const outageCalls = present(runs.map((run) => run.serverCallsDuringOutage));
      const lastSuccessSeconds = lastSuccesses.length > 0 ? spreadOf(lastSuccesses) : null;
      rows.push({
        scenario: scenario.id,
        peer: peer.name,
        callsPerClient: mean(runs.map((run) => run.serverCalls)) / clientCount,
        succeeded: mean(runs.map((run) => run.succeeded)),
        lastSuccessSeconds,
        timesLimit: lastSuccessSeconds === null ? null : (lastSuccessSeconds.median * 1000) / scenario.limitMs,
        lastGiveUpSeconds: lastGiveUps.length > 0 ? median(lastGiveUps) : null,
        outageCallsPerClient: outageCalls.length > 0 ? mean(outageCalls) / clientCount : null,
        unexpectedErrors: runs.reduce((sum, run) => sum + run.unexpectedErrors.length, 0),
        leftoverTimers: runs.reduce((sum, run) => sum + run.leftoverTimers, 0),
        runs,
      });
    }
  }
  return rows;
}
