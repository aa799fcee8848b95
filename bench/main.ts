/**
 * `npm run bench`: runs every benchmark, prints markdown tables, and writes the numbers to
 * bench/results/latest.json. Timed measurements run in child processes, one after another so
 * they never compete for a core; the contention scenarios run here, in virtual time.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { hasUpstream } from './adapters/retryable.js';
import { runInChild } from './child-process.js';
import { parseCommandLine } from './command-line.js';
import { clientCount, runContention, scenarios } from './contention.js';
import type { HeapGrowth } from './heap-growth.js';
import { summarisePaired, type PairedSamples } from './paired-timing.js';
import { families } from './matrix/families/index.js';
import { familyMarkdown } from './matrix/matrix-report.js';
import { runMatrix } from './matrix/parallel.js';
import type { FamilyResult } from './matrix/run-matrix.js';
import { contentionPeers } from './peers.js';
import { contentionSeeds, pairedTimingPlan, processCount } from './plan.js';
import { contentionTable, familyFloorTable, floorTable, heapTable, machineLine, pairedTable, type Machine } from './report.js';
import { argumentCounts, happyPathNames, withArguments } from './happy-path.js';

// The compiled file runs from .bench-build/bench/, the results belong in the source tree.
const resultsFile = fileURLToPath(new URL('../../bench/results/latest.json', import.meta.url));

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

async function inFreshProcesses(role: 'happy-path' | 'als-cost'): Promise<PairedSamples[][]> {
  const runs: PairedSamples[][] = [];
  for (let index = 1; index <= processCount; index++) {
    progress(`${role}: process ${index}/${processCount}`);
    runs.push(await runInChild<PairedSamples[]>(role));
  }
  return runs;
}

const commandLine = parseCommandLine(process.argv.slice(2));
const startedAt = Date.now();
const machine: Machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  node: process.versions.node,
  platform: `${os.platform()} ${os.arch()}`,
};
const date = new Date().toISOString();

const sectionsRun = (section: string) => commandLine.runs(section);
const happyPath = sectionsRun('happy-path') ? summarisePaired(await inFreshProcesses('happy-path')) : [];
const alsCost = sectionsRun('als-cost') ? summarisePaired(await inFreshProcesses('als-cost')) : [];
if (sectionsRun('heap-growth')) progress('heap growth');
const heapGrowth = sectionsRun('heap-growth') ? await runInChild<HeapGrowth[]>('heap-growth') : [];
const peers = contentionPeers();
if (sectionsRun('contention')) progress(`contention: ${scenarios.length} scenarios × ${peers.length} peers × ${contentionSeeds.length} seeds (virtual time)`);
const contention = sectionsRun('contention') ? await runContention(peers, contentionSeeds) : [];
const matrixFamilies = families.filter((family) => commandLine.familiesAmong(families.map((known) => known.id)).includes(family.id));
const matrix: FamilyResult[] = matrixFamilies.length > 0 ? await runMatrix(matrixFamilies, commandLine.quick, progress) : [];
const durationSeconds = (Date.now() - startedAt) / 1000;

const section = (run: boolean, lines: readonly string[]) => (run ? [...lines, ''] : []);
console.log(
  [
    '## Benchmarks',
    '',
    machineLine(machine, date),
    '',
    ...section(sectionsRun('happy-path'), [
      '### Happy path: the first attempt succeeds',
      '',
      pairedTable(happyPath, 'bare `await fn()`', processCount),
      '',
      'Against the floors, process by process (each ratio to the bare loop divided by the floor\'s from the same process):',
      '',
      floorTable(happyPath, [happyPathNames.decorated, 'retry()', 'naive loop'], [['floor', happyPathNames.floor], ['floor with a per-call closure', happyPathNames.floorWithClosure]]),
      '',
      'By the number of arguments the method takes, `@Retryable` against the floor with a per-call closure taking the same arguments:',
      '',
      familyFloorTable(happyPath, 'arguments', argumentCounts.map((count) => [String(count), withArguments(happyPathNames.decorated, count), withArguments(happyPathNames.floorWithClosure, count)])),
    ]),
    ...section(sectionsRun('als-cost'), [
      '### AsyncLocalStorage on plain promise code (why the library avoids it)',
      '',
      pairedTable(alsCost, 'same loop without ALS', processCount),
    ]),
    ...section(sectionsRun('heap-growth'), ['### Heap growth', '', heapTable(heapGrowth)]),
    ...section(sectionsRun('contention'), [
      `### Contention: ${clientCount} clients call at t = 0 (virtual time)`,
      '',
      'Configured alike where configurable: 8 retries, 1 s initial delay, ×2, 32 s cap. The OpenAI SDK keeps its own delays (0.5 s to 8 s).',
      '',
      ...scenarios.flatMap((scenario) => [
        contentionTable(
          scenario,
          contention.filter((row) => row.scenario === scenario.id),
          clientCount,
          contentionSeeds.length,
        ),
        '',
      ]),
    ]),
    ...section(matrix.length > 0, [
      `## Scenario matrix (virtual time${commandLine.quick ? ', --quick' : ''}; ${hasUpstream ? 'the core exports Upstream' : 'the core has no Upstream yet: ours runs without one'})`,
      '',
      ...matrix.map(familyMarkdown).flatMap((markdown) => [markdown, '']),
    ]),
    `_Finished in ${durationSeconds.toFixed(0)} s._`,
  ].join('\n'),
);

await mkdir(fileURLToPath(new URL('.', `file://${resultsFile}`)), { recursive: true });
await writeFile(
  resultsFile,
  `${JSON.stringify(
    {
      date,
      machine,
      durationSeconds,
      plan: { processCount, pairedTimingPlan, contentionSeeds, clientCount },
      happyPath,
      alsCost,
      heapGrowth,
      contention,
      matrix: { quick: commandLine.quick, families: matrix },
    },
    null,
    2,
  )}\n`,
);
progress(`results written to ${resultsFile}`);
