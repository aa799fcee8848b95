/**
 * `npm run example:fleet [-- --no-redis] [--processes 4] [--calls 25] [--rate 10] [--burst 10]
 * [--timeout ms] [--sync-interval ms]`:
 * runs the fleet of `fleet.ts` against the local OpenAI server and prints, per process and in
 * total, the calls, 429s and time to the last success. Needs Redis at 127.0.0.1:6379 (unless
 * --no-redis). Exits 1 if a call failed.
 */
import { fileURLToPath } from 'node:url';
import { formatFleet, runFleet } from './fleet.js';

function option(name: string, fallback: number): number;
function option(name: string, fallback: undefined): number | undefined;
function option(name: string, fallback: number | undefined): number | undefined {
  const at = process.argv.indexOf(`--${name}`);
  if (at === -1) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!(value > 0)) throw new Error(`--${name} must be a positive number, got ${process.argv[at + 1]}`);
  return value;
}

const options = {
  processes: option('processes', 4),
  calls: option('calls', 25),
  rate: option('rate', 10),
  burst: option('burst', 10),
  redis: !process.argv.includes('--no-redis'),
  worker: fileURLToPath(new URL('./worker.js', import.meta.url)),
  storeOptions: { timeout: option('timeout', undefined), syncInterval: option('sync-interval', undefined) },
};
const result = await runFleet(options);
for (const line of formatFleet(result, options)) console.log(line);
process.exitCode = result.reports.every((report) => report.failed === 0) ? 0 : 1;
