/** The measures the families share: functions of one run, most of them over every group in it. */
import type { SimulationRun } from './simulation.js';

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

export const callsMade = (run: SimulationRun) => sum(run.groups.map((group) => group.calls));
export const succeeded = (run: SimulationRun) => sum(run.groups.map((group) => group.succeeded));
export const failed = (run: SimulationRun) => callsMade(run) - succeeded(run);
export const requestsPerCall = (run: SimulationRun) => run.requests.length / callsMade(run);
export const refusals = (run: SimulationRun, status = 429) => run.requests.filter((request) => request.status === status).length;

export function lastSuccessMs(run: SimulationRun): number | null {
  const times = run.groups.map((group) => group.lastSuccessMs).filter((ms): ms is number => ms !== null);
  return times.length > 0 ? Math.max(...times) : null;
}

export const lastSuccessSeconds = (run: SimulationRun) => {
  const ms = lastSuccessMs(run);
  return ms === null ? null : ms / 1000;
};

/** The most requests that arrived in any window of `windowMs` that starts at or after `fromMs`. */
export function peakArrivals(run: SimulationRun, fromMs: number, windowMs = 1000): number {
  const times = run.requests.map((request) => request.at).filter((at) => at >= fromMs);
  let peak = 0;
  for (let first = 0, last = 0; last < times.length; last++) {
    while (times[last]! - times[first]! >= windowMs) first++;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}

/** Successes over what the limit could serve until the last success (`ratePerSecond` × that time). */
export function busyFraction(run: SimulationRun, ratePerSecond: number): number | null {
  const seconds = lastSuccessSeconds(run);
  return seconds === null || seconds === 0 ? null : succeeded(run) / (ratePerSecond * seconds);
}

/** Requests that reached the server before `untilMs`, per call. */
export const requestsBeforePerCall = (run: SimulationRun, untilMs: number) =>
  run.requests.filter((request) => request.at < untilMs).length / callsMade(run);

/** The group tagged `tag`. */
export function group(run: SimulationRun, tag: string) {
  const found = run.groups.find((candidate) => candidate.tag === tag);
  if (!found) throw new Error(`no group "${tag}" in this run`);
  return found;
}

/** Last success over a floor in ms (null when nobody succeeded). */
export function lastSuccessOver(run: SimulationRun, floorMs: number): number | null {
  const ms = lastSuccessMs(run);
  return ms === null ? null : ms / floorMs;
}

/**
 * When the `share` of all calls had succeeded, over a floor in ms (null when fewer did): a time two
 * peers can be compared on even when one of them serves fewer calls in all.
 */
export function shareServedOver(run: SimulationRun, share: number, floorMs: number): number | null {
  const times = run.groups.flatMap((group) => group.timesToSuccessMs).sort((a, b) => a - b);
  const needed = Math.ceil(share * callsMade(run));
  return needed > 0 && times.length >= needed ? times[needed - 1]! / floorMs : null;
}
