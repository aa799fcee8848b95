/**
 * Family 5, processes that share only the server: K processes, each with its own Upstream (for
 * ours: K distinct options objects), 100 clients in all against 10/s, burst 10. Coordinating
 * within a process must never make the fleet worse than not coordinating at all.
 */
import type { RetryAfterStyle } from '../../simulated-server.js';
import type { Family } from '../family.js';
import { ourDefaults, ourUncoordinated } from '../peers.js';
import { shareServedOver } from '../measures.js';
import { crowdMeasures, crowdPoint, crowds, type CrowdPoint } from './crowds.js';

function points(quick: boolean): CrowdPoint[] {
  const result: CrowdPoint[] = [];
  for (const hint of ['none', 'seconds'] as RetryAfterStyle[]) {
    for (const processes of quick ? [1, 4, 10] : [1, 2, 4, 10]) {
      const point = crowdPoint(10, 100, 10, hint, 'within');
      result.push({ ...point, id: `K=${processes} ${point.id}`, processes });
    }
  }
  return result;
}

export const processes: Family<CrowdPoint> = {
  ...crowds,
  id: 'processes',
  title: 'Processes that share only the server: K processes, 100 clients in all, 10/s burst 10',
  description: 'K ∈ {1, 2, 4, 10}; client i runs in process i mod K. Floor: (N − b)/r = 9 s.',
  points,
  peers: [ourDefaults, ourUncoordinated],
  measures: [
    ...crowdMeasures,
    { key: 'half/floor', label: 'half the clients served / floor', digits: 2, perRun: (run, point) => shareServedOver(run, 0.5, point.floorMs) },
  ],
  targets: [
    { label: 'last success ≤ 1.3× floor', measure: 'last/floor', sense: 'at most', limit: () => 1.3, subject: ourDefaults.name },
    // `upstream: false` serves fewer clients, so its last success is not comparable with ours: it
    // is compared on how many it serves, and on when half of all clients were served.
    {
      label: 'never worse than `upstream: false`: as many clients served',
      measure: 'failed',
      sense: 'at most',
      limit: (_point, valueOf) => valueOf(ourUncoordinated.name, 'failed') ?? Number.POSITIVE_INFINITY,
      subject: ourDefaults.name,
    },
    {
      label: 'never worse than `upstream: false`: half the clients served as soon',
      measure: 'half/floor',
      sense: 'at most',
      limit: (_point, valueOf) => valueOf(ourUncoordinated.name, 'half/floor') ?? Number.POSITIVE_INFINITY,
      subject: ourDefaults.name,
    },
  ],
};
