/**
 * Holding a family's summaries to its targets: for each target and each peer, the worst point
 * (the one furthest past, or least inside, the limit) and whether every point passes.
 */
import type { Family, PointBase, PointSummary, Target, ValueOf } from './family.js';
import { isOurs } from './peers.js';

export interface PeerVerdict {
  readonly peer: string;
  readonly worstPoint: string | null;
  /** The measure at the worst point; null when it has no value there (nobody succeeded, say). */
  readonly value: number | null;
  readonly limit: number | null;
  readonly pass: boolean;
}

export interface Verdict {
  readonly target: string;
  readonly measure: string;
  readonly subject: PeerVerdict;
  readonly otherPeers: readonly PeerVerdict[];
}

/** How far past the limit a value is, in units of the limit: > 0 fails. */
function excess<P>(target: Target<P>, value: number | null, limit: number): number {
  if (value === null) return Number.POSITIVE_INFINITY;
  const over = target.sense === 'at most' ? value - limit : limit - value;
  return over / (Math.abs(limit) || 1);
}

function verdictFor<P extends PointBase>(family: Family<P>, target: Target<P>, peer: string, summaries: readonly PointSummary[], quick: boolean): PeerVerdict {
  let worst: PeerVerdict = { peer, worstPoint: null, value: null, limit: null, pass: true };
  let worstExcess = Number.NEGATIVE_INFINITY;
  for (const point of family.points(quick)) {
    if (target.applies && !target.applies(point)) continue;
    const summary = summaries.find((candidate) => candidate.point === point.id && candidate.peer === peer);
    if (!summary) continue;
    const valueOf: ValueOf = (peerName, key) =>
      summaries.find((candidate) => candidate.point === point.id && candidate.peer === peerName)?.values[key] ?? null;
    const value = summary.values[target.measure] ?? null;
    const limit = target.limit(point, valueOf);
    const pointExcess = excess(target, value, limit);
    if (pointExcess > worstExcess) {
      worstExcess = pointExcess;
      worst = { peer, worstPoint: point.id, value, limit, pass: pointExcess <= 1e-9 };
    }
  }
  return worst;
}

export function judge<P extends PointBase>(family: Family<P>, summaries: readonly PointSummary[], quick: boolean): Verdict[] {
  const others = family.peers.filter((peer) => !isOurs(peer)).map((peer) => peer.name);
  return family.targets.map((target) => ({
    target: target.label,
    measure: target.measure,
    subject: verdictFor(family, target, target.subject, summaries, quick),
    otherPeers: target.forOtherPeers === false ? [] : others.map((peer) => verdictFor(family, target, peer, summaries, quick)),
  }));
}
