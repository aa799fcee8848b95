/**
 * `node .bench-build/bench/main.js [--only=SECTIONS] [--quick]`. SECTIONS is a comma-separated
 * list of `happy-path`, `als-cost`, `heap-growth`, `contention`, `matrix` (every family) and
 * matrix family ids (`lone`, `crowds`, …). `--quick` runs the matrix with fewer seeds and points.
 */
export interface CommandLine {
  readonly quick: boolean;
  /** Whether a section runs: all of them without `--only`. */
  runs(section: string): boolean;
  /** The matrix family ids asked for (all of `known` for `matrix` or without `--only`). */
  familiesAmong(known: readonly string[]): string[];
}

export function parseCommandLine(args: readonly string[]): CommandLine {
  const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',').filter(Boolean);
  const unknown = args.filter((arg) => arg !== '--quick' && !arg.startsWith('--only='));
  if (unknown.length > 0) throw new Error(`unknown arguments: ${unknown.join(' ')} (use --only=SECTIONS and --quick)`);
  return {
    quick: args.includes('--quick'),
    runs: (section) => only === undefined || only.includes(section),
    familiesAmong: (known) => (only === undefined || only.includes('matrix') ? [...known] : known.filter((id) => only.includes(id))),
  };
}
