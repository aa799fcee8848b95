/**
 * The failover table of docs/failover.md, measured: the real openai SDK over loopback HTTP to the
 * local server, two models on it ("primary", "secondary"), `retry()` with `targets` at the library's
 * defaults. For each scenario: the calls made, the requests each model got, and the call latency.
 *
 *   npm run measure:failover        (about 15 s; bundles this file with esbuild, then runs it)
 */
import OpenAI from 'openai';
import { retry, Upstream, type GiveUpEvent, type RetryOptions } from 'retryable';
// The server's own module, not `local-openai-server.ts`: bundled, that file's "run as a program"
// check would hold for this script and start the demo server too.
import type { Fault } from '../examples/local-openai-server/faults.js';
import { startLocalOpenAIServer, type RecordedRequest } from '../examples/local-openai-server/server.js';

const server = await startLocalOpenAIServer();
const client = new OpenAI({ baseURL: server.url, apiKey: 'test-key', maxRetries: 0 });
/** The requests of earlier resets: a scenario that brings the primary back empties the fault queue. */
let earlier: RecordedRequest[] = [];
/** Every error `create` rejected with, to check that the caller got one of them as it was. */
let sdkErrors: unknown[] = [];

interface CallResult {
  model?: string;
  error?: unknown;
  ms: number;
  /** When the answer came, in `Date.now()` time. */
  at: number;
  /** The last error the SDK threw when the call ended (one call at a time: that call's last). */
  lastSdkError?: unknown;
}

/** One completion from the attempt's target, or from `model` with no coordination (a direct call). */
async function call(options: RetryOptions, model?: string): Promise<CallResult> {
  const start = performance.now();
  try {
    const answer = await retry(async ({ signal, target }) => {
      const completion = await client.chat.completions.create({ model: model ?? (target as string), messages: [{ role: 'user', content: 'hi' }] }, { signal })
        .catch((error: unknown) => { sdkErrors.push(error); throw error; });
      return completion.model;
    }, options);
    return { model: answer, ms: performance.now() - start, at: Date.now() };
  } catch (error) {
    return { error, ms: performance.now() - start, at: Date.now(), lastSdkError: sdkErrors.at(-1) };
  }
}

const freshTargets = () => [new Upstream({ name: 'primary', target: 'primary' }), new Upstream({ name: 'secondary', target: 'secondary' })];

/** `callers` callers, each calling again as soon as its call ends, until `ms` have passed or each made `perCaller` calls. */
async function load(callers: number, until: { ms?: number; perCaller?: number }, once: () => Promise<CallResult>, beforeEach?: () => void): Promise<CallResult[]> {
  const results: CallResult[] = [];
  const started = Date.now();
  await Promise.all(Array.from({ length: callers }, async () => {
    for (let i = 0; (until.perCaller === undefined || i < until.perCaller) && (until.ms === undefined || Date.now() - started < until.ms); i++) {
      beforeEach?.();
      results.push(await once());
    }
  }));
  return results;
}

function begin(): number {
  server.reset();
  earlier = [];
  sdkErrors = [];
  return Date.now();
}

const requests = () => [...earlier, ...server.requests];
const to = (model: string) => requests().filter((r) => (r.body as { model?: string }).model === model);
const faults = (count: number, fault: Fault): Fault[] => Array.from({ length: count }, () => fault);

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const ms = (value: number) => `${value.toFixed(1)}`;
/** Gaps between successive requests to the primary, in ms. */
const gaps = (times: number[]) => times.slice(1).map((time, i) => time - times[i]!);

interface Row {
  scenario: string;
  calls: string;
  primary: number;
  secondary: number;
  latency: string;
  notes: string;
}
const rows: Row[] = [];

function row(scenario: string, results: CallResult[], notes: string, callers: string): void {
  const latencies = results.map((result) => result.ms);
  const failed = results.filter((result) => result.error !== undefined).length;
  rows.push({
    scenario,
    calls: `${results.length} (${callers})${failed > 0 ? `, ${failed} failed` : ''}`,
    primary: to('primary').length,
    secondary: to('secondary').length,
    latency: `${ms(quantile(latencies, 0.5))} / ${ms(quantile(latencies, 0.95))} / ${ms(Math.max(...latencies))}`,
    notes,
  });
}

// Warm the connection pool and the JIT, so the first scenario does not pay for them.
begin();
await load(10, { perCaller: 20 }, () => call({ upstream: false }, 'secondary'));

// Baseline: straight to the secondary, no coordination, 10 callers x 20 calls.
begin();
const direct = await load(10, { perCaller: 20 }, () => call({ upstream: false }, 'secondary'));
row('direct calls to the secondary (baseline)', direct, '', '10 callers x 20');

// 1. The primary answers 429 `retry-after: 20` to every request; the secondary is healthy.
begin();
server.script(...faults(1000, { kind: 'rate-limit-seconds', retryAfterSeconds: 20, model: 'primary' }));
const coolingOptions = { targets: freshTargets() };
const cooling = await load(10, { perCaller: 20 }, () => call(coolingOptions));
const addedP50 = quantile(cooling.map((r) => r.ms), 0.5) - quantile(direct.map((r) => r.ms), 0.5);
row('primary 429 `retry-after: 20`, secondary healthy', cooling,
  `all ${cooling.filter((r) => r.model === 'secondary').length} answered by the secondary; each of the 10 first calls met the 429 once, then none went to the primary; p50 +${ms(addedP50)} ms over direct`, '10 callers x 20');

// 1b. The same with a short hint (250 ms), to see the probes: one per cool-down across all callers.
begin();
server.script(...faults(1000, { kind: 'rate-limit', retryAfterMs: 250, model: 'primary' }));
const probingOptions = { targets: freshTargets() };
const probing = await load(10, { ms: 1500 }, () => call(probingOptions));
const firstWave = to('primary').filter((r) => r.time - to('primary')[0]!.time < 50).length;
const probeGaps = gaps(to('primary').slice(firstWave - 1).map((r) => r.time));
row('primary 429 `retry-after-ms: 250` for 1.5 s, secondary healthy', probing,
  `the first ${firstWave} calls met the 429 at once, then ${probeGaps.length} probes, gaps ${probeGaps.map((gap) => Math.round(gap)).join(', ')} ms`, '10 callers, 1.5 s');

// 2. The primary is down (503 to every request) for the whole run; the secondary is healthy.
begin();
server.script(...faults(5000, { kind: 'service-unavailable', model: 'primary' }));
const downOptions = { targets: freshTargets() };
const down = await load(10, { ms: 3000 }, () => call(downOptions));
const primaryTimes = to('primary').map((r) => r.time);
const downWave = primaryTimes.filter((time) => time - primaryTimes[0]! < 50).length;
row('primary down (503) for the run (3 s), secondary healthy', down,
  `all answered by the secondary; the first ${downWave} calls met the 503, then probes at gaps of ${gaps(primaryTimes.slice(downWave - 1)).map((gap) => Math.round(gap)).join(', ')} ms`, '10 callers, 3 s');

// 3a. The primary recovers after one 429 `retry-after-ms: 300`: when does traffic return to it?
begin();
server.script({ kind: 'rate-limit', retryAfterMs: 300, model: 'primary' });
const recoverOptions = { targets: freshTargets() };
const recovering = await load(1, { ms: 1000 }, () => call(recoverOptions));
const refusedAt = to('primary')[0]!.time;
const backAt = to('primary').find((r) => r.status === 200)!.time;
const afterBack = recovering.filter((r) => r.at > backAt);
row('primary recovering: one 429 `retry-after-ms: 300`, then healthy', recovering,
  `first primary request after the 429 at +${backAt - refusedAt} ms (cool-down 300); ${afterBack.filter((r) => r.model === 'primary').length}/${afterBack.length} calls after it answered by the primary`, '1 caller, 1 s');

// 3b. The primary recovers after an outage of 1 s: when does traffic return to it?
begin();
server.script(...faults(5000, { kind: 'service-unavailable', model: 'primary' }));
const outageOptions = { targets: freshTargets() };
const outageStarted = Date.now();
let recoveredAt = 0;
const afterOutage = await load(10, { ms: 4000 }, () => call(outageOptions), () => {
  if (recoveredAt === 0 && Date.now() - outageStarted >= 1000) {
    recoveredAt = Date.now();
    earlier = [...server.requests];
    server.reset();
  }
});
const firstServed = to('primary').find((r) => r.status === 200)!.time;
const servedAfter = afterOutage.filter((r) => r.at > firstServed);
const lastOnSecondary = Math.max(...to('secondary').map((r) => r.time));
row('primary recovering: down (503) for 1 s, then healthy', afterOutage,
  `first primary answer ${firstServed - recoveredAt} ms after it came back, all traffic on it from +${lastOnSecondary - recoveredAt} ms; ${servedAfter.filter((r) => r.model === 'primary').length}/${servedAfter.length} calls after its first answer answered by it`, '10 callers, 4 s');

// 4. Both down (503 to every request); the caller's `timeout` is 1 s.
begin();
server.script(...faults(1000, { kind: 'service-unavailable' }));
const giveUps: GiveUpEvent[] = [];
const both = await load(1, { perCaller: 5 }, () => call({ targets: freshTargets(), timeout: 1000, onGiveUp: (event) => { giveUps.push(event); } }));
const identical = both.every((r) => r.error !== undefined && r.error === r.lastSdkError);
row('both down (503), `timeout: 1000`', both,
  `every call failed with the SDK's own error of its last attempt (identical: ${identical}); give-up reasons ${[...new Set(giveUps.map((g) => g.reason))].join(', ')}; attempts ${giveUps.map((g) => g.attempts).join(', ')}`, '5 calls, one at a time');

// 4b. The same with room for a backoff within the timeout (3 s).
begin();
server.script(...faults(1000, { kind: 'service-unavailable' }));
const longGiveUps: GiveUpEvent[] = [];
const bothLonger = await load(1, { perCaller: 2 }, () => call({ targets: freshTargets(), timeout: 3000, onGiveUp: (event) => { longGiveUps.push(event); } }));
row('both down (503), `timeout: 3000`', bothLonger,
  `every call failed with the SDK's own error of its last attempt (identical: ${bothLonger.every((r) => r.error !== undefined && r.error === r.lastSdkError)}); give-up reasons ${[...new Set(longGiveUps.map((g) => g.reason))].join(', ')}; attempts ${longGiveUps.map((g) => g.attempts).join(', ')}`, '2 calls, one at a time');

// 4c. Both answer 429 `retry-after: 20`, longer than the timeout: the call ends at once.
begin();
server.script(...faults(1000, { kind: 'rate-limit-seconds', retryAfterSeconds: 20 }));
const bothLimited = await load(1, { perCaller: 5 }, () => call({ targets: freshTargets(), timeout: 1000 }));
row('both 429 `retry-after: 20`, `timeout: 1000`', bothLimited,
  `each call ended at once with the SDK's own 429 of its last attempt (identical: ${bothLimited.every((r) => r.error instanceof OpenAI.RateLimitError && r.error === r.lastSdkError)}): no wait can beat the hint within the timeout`, '5 calls, one at a time');

console.log(`openai@${(await import('openai/version')).VERSION}, Node ${process.versions.node}, ${new Date().toISOString()}`);
console.log('| scenario | calls | requests to primary | requests to secondary | latency p50 / p95 / max (ms) | notes |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.scenario} | ${r.calls} | ${r.primary} | ${r.secondary} | ${r.latency} | ${r.notes} |`);
await server.close();
