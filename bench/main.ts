/**
 * `npm run bench`: runs every benchmark, prints markdown tables, and writes the numbers to
 * bench/results/latest.json. Timed measurements run in child processes, one after another so
 * they never compete for a core; the contention scenarios run here, in virtual time.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { runInChild } from './child-process.js';
import { clientCount, runContention, scenarios } from './contention.js';
import type { HeapGrowth } from './heap-growth.js';
import { summarisePaired, type PairedSamples } from './paired-timing.js';
import { contentionPeers } from './peers.js';
import { contentionSeeds, pairedTimingPlan, processCount } from './plan.js';
import { contentionTable, heapTable, machineLine, pairedTable, type Machine } from './report.js';

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

const startedAt = Date.now();
const machine: Machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  node: process.versions.node,
  platform: `${os.platform()} ${os.arch()}`,
};
const date = new Date().toISOString();

const happyPath = summarisePaired(await inFreshProcesses('happy-path'));
const alsCost = summarisePaired(await inFreshProcesses('als-cost'));
progress('heap growth');
const heapGrowth = await runInChild<HeapGrowth[]>('heap-growth');
const peers = contentionPeers();
progress(`contention: ${scenarios.length} scenarios × ${peers.length} peers × ${contentionSeeds.length} seeds (virtual time)`);
const contention = await runContention(peers, contentionSeeds);
const durationSeconds = (Date.now() - startedAt) / 1000;

console.log(
  [
    '## Benchmarks',
    '',
    machineLine(machine, date),
    '',
    `### Happy path: the first attempt succeeds`,
    '',
    pairedTable(happyPath, 'bare `await fn()`', processCount),
    '',
    '### AsyncLocalStorage on plain promise code (why the library avoids it)',
    '',
    pairedTable(alsCost, 'same loop without ALS', processCount),
    '',
    '### Heap growth',
    '',
    heapTable(heapGrowth),
    '',
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
    },
    null,
    2,
  )}\n`,
);
progress(`results written to ${resultsFile}`);
