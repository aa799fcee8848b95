/**
 * What a family of scenarios is: many points of one situation, the peers that face it, the
 * measures taken from each run, and the targets. Families are data; `run-matrix.ts` runs
 * them and `matrix-report.ts` prints them.
 */
import type { SimulatedServer } from '../simulated-server.js';
import type { MatrixPeer } from './peers.js';
import type { SimulationRun, Workload } from './simulation.js';

export interface PointBase {
  /** Short and unique within the family, e.g. `r=10 N=100 b=10 hint=s`: it names the table row. */
  readonly id: string;
  /** Independent processes sharing the server (default 1). */
  readonly processes?: number;
}

export type Aggregate = 'median' | 'p95' | 'min' | 'max';

export interface Measure<P> {
  readonly key: string;
  /** Column label, with its unit. */
  readonly label: string;
  /** The value of one run (one seed); null when it does not exist (no success, say). */
  perRun(run: SimulationRun, point: P): number | null;
  /** How seeds are summarised. Default: median. */
  readonly aggregate?: Aggregate;
  readonly digits: number;
}

/** The summarised value of every measure for one peer, to compare against another peer's. */
export type ValueOf = (peerName: string, key: string) => number | null;

export interface Target<P> {
  readonly label: string;
  /** The measure it bounds (its aggregate over seeds). */
  readonly measure: string;
  readonly sense: 'at most' | 'at least';
  limit(point: P, valueOf: ValueOf): number;
  /** Points it applies to (default: all). */
  applies?(point: P): boolean;
  /** The variant of ours the issue sets this target for. */
  readonly subject: string;
  /** Whether the other peers are held to it too in the comparison table (default true). */
  readonly forOtherPeers?: boolean;
}

export interface Family<P extends PointBase> {
  readonly id: string;
  readonly title: string;
  /** Said under the title: what the server does, what the floor is. */
  readonly description: string;
  seeds(quick: boolean): readonly number[];
  points(quick: boolean): readonly P[];
  readonly peers: readonly MatrixPeer<P>[];
  server(point: P, now: () => number): SimulatedServer;
  workload(point: P): Workload;
  readonly measures: readonly Measure<P>[];
  /** Measure keys shown in each table cell, in order (all when absent). */
  readonly shown?: readonly string[];
  readonly targets: readonly Target<P>[];
}

/** One peer at one point, over all seeds. */
export interface PointSummary {
  readonly point: string;
  readonly peer: string;
  /** Each measure's aggregate over seeds. */
  readonly values: Readonly<Record<string, number | null>>;
  /** Each measure's value per seed, in seed order. */
  readonly perSeed: Readonly<Record<string, readonly (number | null)[]>>;
  readonly unexpectedErrors: number;
  readonly leftoverTimers: number;
}

export const seedsFrom = (count: number): number[] => Array.from({ length: count }, (_, index) => index + 1);
