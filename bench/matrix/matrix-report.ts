/** The matrix's markdown: per family, a points × peers table and the worst point against each target. */
import { table } from '../report.js';
import type { FamilyResult } from './run-matrix.js';
import type { PeerVerdict } from './targets.js';

const format = (value: number | null | undefined, digits: number) => (value === null || value === undefined ? '—' : value.toFixed(digits));
const mark = (verdict: PeerVerdict) => (verdict.pass ? 'PASS' : 'FAIL');

function pointsTable(result: FamilyResult): string {
  const shown = result.shown.map((key) => result.measures.find((measure) => measure.key === key)!);
  const rows = result.points.map((point) => [
    point,
    ...result.peers.map((peer) => {
      const summary = result.summaries.find((candidate) => candidate.point === point && candidate.peer === peer)!;
      const cell = shown.map((measure) => format(summary.values[measure.key], measure.digits)).join(' · ');
      const broken = summary.unexpectedErrors + summary.leftoverTimers > 0 ? ` ⚠${summary.unexpectedErrors}e/${summary.leftoverTimers}t` : '';
      return cell + broken;
    }),
  ]);
  return [`Each cell: ${shown.map((measure) => measure.label).join(' · ')}.`, '', table(['Point', ...result.peers], rows)].join('\n');
}

function verdictTable(result: FamilyResult): string {
  const digitsOf = (key: string) => result.measures.find((measure) => measure.key === key)?.digits ?? 2;
  const otherPeers = result.verdicts[0]?.otherPeers.map((verdict) => verdict.peer) ?? [];
  const rows = result.verdicts.map((verdict) => {
    const digits = digitsOf(verdict.measure);
    const { subject } = verdict;
    return [
      verdict.target,
      subject.peer,
      subject.worstPoint ?? '—',
      format(subject.value, digits),
      format(subject.limit, digits),
      mark(subject),
      ...otherPeers.map((peer) => {
        const other = verdict.otherPeers.find((candidate) => candidate.peer === peer);
        return other ? `${format(other.value, digits)} ${other.pass ? '✓' : '✗'} (${other.worstPoint ?? '—'})` : '';
      }),
    ];
  });
  return table(['Target', 'ours', 'worst point', 'value', 'limit', 'PASS/FAIL', ...otherPeers.map((peer) => `${peer}: worst`)], rows);
}

export function familyMarkdown(result: FamilyResult): string {
  return [
    `### ${result.title}`,
    '',
    result.description,
    `Medians over ${result.seeds} seeds unless the column says otherwise; ${result.wallSeconds.toFixed(1)} s of process time.`,
    '',
    pointsTable(result),
    '',
    '#### Worst point against each target',
    '',
    result.verdicts.length > 0 ? verdictTable(result) : 'No target yet: shown for comparison only.',
  ].join('\n');
}
