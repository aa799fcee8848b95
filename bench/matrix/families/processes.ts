/**
 * Family 5, processes that share only the server: K processes, each with its own Upstream (for
 * ours: K distinct options objects), 100 clients in all against 10/s, burst 10. Coordinating
 * within a process must never make the fleet worse than not coordinating at all.
 */
import type { RetryAfterStyle } from '../../simulated-server.js';
import type { Family } from '../family.js';
import { ourDefaults, ourUncoordinated } from '../peers.js';
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
  measures: crowdMeasures,
  targets: [
    { label: 'last success ≤ 1.3× floor', measure: 'last/floor', sense: 'at most', limit: () => 1.3, subject: ourDefaults.name },
    {
      label: 'last success never worse than `upstream: false`',
      measure: 'last/floor',
      sense: 'at most',
      limit: (_point, valueOf) => valueOf(ourUncoordinated.name, 'last/floor') ?? Number.POSITIVE_INFINITY,
      subject: ourDefaults.name,
    },
  ],
};
