/** Turns results into the markdown tables `npm run bench` prints. Formatting only, no maths. */
import type { ContentionRow, Scenario } from './contention.js';
import type { HeapGrowth } from './heap-growth.js';
import { relativeSpread, type PairedSummary } from './paired-timing.js';
import type { Spread } from './stats.js';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly platform: string;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const fixed = (value: number, digits: number) => value.toFixed(digits);
const times = (value: number) => `${fixed(value, 2)}×`;
const range = (spread: Spread, format: (value: number) => string) => `${format(spread.min)} – ${format(spread.max)}`;
const orDash = <T>(value: T | null, format: (value: T) => string) => (value === null ? '—' : format(value));
/** Means over seeds are fractional; whole numbers read better without ".0". */
const count = (value: number) => (Number.isInteger(value) ? String(value) : fixed(value, 1));

export function pairedTable(summaries: readonly PairedSummary[], baselineLabel: string, processes: number): string {
  return [
    table(
      ['Subject', 'ns/op', `paired ${baselineLabel} ns/op`, `× ${baselineLabel} (median)`, `range over ${processes} processes`],
      summaries.map((summary) => [
        summary.name,
        fixed(summary.subjectNsPerOp, 0),
        fixed(summary.baselineNsPerOp, 0),
        times(summary.ratio.median),
        range(summary.ratio, times),
      ]),
    ),
    '',
    'The ratio is the figure to compare: each subject batch is timed next to a baseline batch, so it holds across machines and load better than ns/op does.',
  ].join('\n');
}

const named = (summaries: readonly PairedSummary[], name: string) => summaries.find((summary) => summary.name === name);

/** Each subject as a multiple of each floor (`[column label, subject name]`), process by process (see `relativeSpread`). */
export function floorTable(summaries: readonly PairedSummary[], subjects: readonly string[], floors: readonly (readonly [string, string])[]): string {
  const rows = subjects.flatMap((name) => {
    const subject = named(summaries, name);
    if (subject === undefined) return [];
    const cells = floors.flatMap(([, floorName]) => {
      const floor = named(summaries, floorName);
      if (floor === undefined) return ['—', '—'];
      const spread = relativeSpread(subject, floor);
      return [times(spread.median), range(spread, times)];
    });
    return [[name, ...cells]];
  });
  return table(['Subject', ...floors.flatMap(([label]) => [`× ${label} (median)`, 'range'])], rows);
}

/**
 * One row per member of a family (`[row label, subject name, floor name]`): the subject as a
 * multiple of its floor, process by process, and the worst median of the family last.
 */
export function familyFloorTable(summaries: readonly PairedSummary[], label: string, rows: readonly (readonly [string, string, string])[]): string {
  const spreads = rows.flatMap(([row, subjectName, floorName]) => {
    const subject = named(summaries, subjectName);
    const floor = named(summaries, floorName);
    return subject === undefined || floor === undefined ? [] : [[row, relativeSpread(subject, floor)] as const];
  });
  if (spreads.length === 0) return '';
  const worst = Math.max(...spreads.map(([, spread]) => spread.median));
  return [
    table([label, '× floor (median)', 'range'], spreads.map(([row, spread]) => [row, times(spread.median), range(spread, times)])),
    '',
    `Worst median of the family: ${times(worst)}.`,
  ].join('\n');
}

export function heapTable(growth: readonly HeapGrowth[]): string {
  return table(
    ['Subject', 'calls', 'heap growth after GC (MiB)'],
    // GC leaves a few KiB either way; printing that as -0.00 would suggest a precision we lack.
    growth.map((entry) => [entry.name, entry.calls.toLocaleString('en-US'), fixed(Math.abs(entry.growthMiB) < 0.005 ? 0 : entry.growthMiB, 2)]),
  );
}

export function contentionTable(scenario: Scenario, rows: readonly ContentionRow[], clients: number, seeds: number): string {
  const isOutage = scenario.outageMs !== undefined;
  const header = [
    'Peer',
    'calls / client',
    `succeeded / ${clients}`,
    'last success (s), median [range]',
    `× limit (${scenario.limitMs / 1000} s)`,
    'last give-up (s)',
    ...(isOutage ? ['calls during outage / client'] : []),
  ];
  const body = rows.map((row) => [
    row.peer,
    fixed(row.callsPerClient, 2),
    count(row.succeeded),
    orDash(row.lastSuccessSeconds, (spread) => `${fixed(spread.median, 1)} [${range(spread, (value) => fixed(value, 1))}]`),
    orDash(row.timesLimit, times),
    orDash(row.lastGiveUpSeconds, (value) => fixed(value, 1)),
    ...(isOutage ? [orDash(row.outageCallsPerClient, (value) => fixed(value, 2))] : []),
  ]);
  const warnings = rows
    .filter((row) => row.unexpectedErrors > 0 || row.leftoverTimers > 0)
    .map((row) => `> ⚠ ${row.peer}: ${row.unexpectedErrors} unexpected final errors, ${row.leftoverTimers} timers left pending.`);
  return [
    `#### ${scenario.title}`,
    '',
    table(header, body),
    '',
    `Means over ${seeds} seeds, except the last success and give-up (medians over the seeds where anyone succeeded or gave up).`,
    ...warnings,
  ].join('\n');
}

export function machineLine(machine: Machine, date: string): string {
  return `${date} · ${machine.cpu} · ${machine.cores} cores · Node ${machine.node} · ${machine.platform}`;
}
