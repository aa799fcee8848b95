// Soak and load check against the BUILT package (dist/, from `npm run build`), on the real clock:
// 100,000 decorated calls, 1,000 in flight at a time, 10% failing transiently once, 1% failing for
// good, waits of 0–1 ms. It checks that every call settles exactly once with the right outcome,
// that the counts add up, that the heap does not grow (after GC), that no timer or listener is left,
// and that the process exits by itself. Prints its figures; exits non-zero on any violated check.
//
//   node scripts/soak.mjs [calls]        (default 100000; SOAK_CALLS works too)
//
// Run plainly, it starts itself again as a child with --expose-gc, --unhandled-rejections=strict and
// --no-warnings (warnings are counted by a listener instead), and fails if the child does not exit
// on its own within a bound once its work is done.
import { spawn } from 'node:child_process';
import { getEventListeners, setMaxListeners } from 'node:events';
import { fileURLToPath } from 'node:url';

const CHILD_FLAG = '--soak-child';
const TOTAL_TIME_LIMIT_MS = 120_000;
const EXIT_AFTER_DONE_LIMIT_MS = 5_000;

if (!process.argv.includes(CHILD_FLAG)) {
  await runAsParent();
} else {
  await runAsChild();
}

async function runAsParent() {
  const args = ['--expose-gc', '--unhandled-rejections=strict', '--no-warnings', fileURLToPath(import.meta.url), CHILD_FLAG, ...process.argv.slice(2)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let doneAt;
  let output = '';
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    output += chunk;
    if (doneAt === undefined && output.includes('soak: work done')) doneAt = Date.now();
  });
  const started = Date.now();
  const watchdog = setInterval(() => {
    const now = Date.now();
    if (now - started > TOTAL_TIME_LIMIT_MS || (doneAt !== undefined && now - doneAt > EXIT_AFTER_DONE_LIMIT_MS)) {
      console.log(doneAt === undefined
        ? `FAIL soak did not finish within ${TOTAL_TIME_LIMIT_MS} ms`
        : `FAIL process did not exit by itself within ${EXIT_AFTER_DONE_LIMIT_MS} ms of finishing its work`);
      child.kill('SIGKILL');
    }
  }, 100);
  const [code, signal] = await new Promise((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  clearInterval(watchdog);
  if (code === 0 && doneAt !== undefined) {
    console.log(`PASS exited by itself ${Date.now() - doneAt} ms after its work was done`);
  } else {
    console.log(`FAIL soak child exited with ${signal ?? `code ${code}`}`);
    process.exitCode = 1;
  }
}

async function runAsChild() {
  const { Retryable } = await import('../dist/index.js');
  const CALLS = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? process.env.SOAK_CALLS ?? 100_000);
  const CONCURRENCY = 1_000;
  const WARM_UP = 5_000;
  const HEAP_LIMIT_MIB = 5;

  const failures = [];
  const check = (ok, message) => {
    console.log(`${ok ? 'PASS' : 'FAIL'} ${message}`);
    if (!ok) failures.push(message);
  };
  const warnings = { hook: 0, other: [] };
  process.on('warning', (warning) => {
    if (warning.code === 'RETRYABLE_HOOK_ERROR') warnings.hook++;
    else warnings.other.push(`${warning.name}: ${warning.message}`);
  });

  // The plan of each call, by id: 10% fail once with a 503 and are retried (of those, one in a
  // hundred has an onRetry that rejects), 1% fail for good with a 400. Half the calls run under a
  // timeout, which takes the engine's supervised path (timers and a listener from the first attempt).
  const isTransient = (id) => id % 10 === 0;
  const hookRejects = (id) => id % 1000 === 0;
  const isPermanent = (id) => id % 100 === 1;
  const supervised = (id) => id % 2 === 1;

  const counters = { retries: 0, retriesWithWrongError: 0 };
  const onRetry = (event) => {
    counters.retries++;
    if (event.error?.id === undefined || event.error.status !== 503 || event.attempt !== 1 || event.delay < 0 || event.delay > 1) counters.retriesWithWrongError++;
    if (hookRejects(event.error.id)) return Promise.reject(new Error('logger down'));
  };
  const common = { maxRetries: 2, initialDelay: 1, maxDelay: 1, jitter: 'full', onRetry };

  let attempts = new Uint8Array(0);
  class Service {
    async complete(id, _options) {
      attempts[id]++;
      // The "remote call" takes 0 or 1 ms of real time.
      if (id % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      else await Promise.resolve();
      if (isPermanent(id)) throw Object.assign(new Error('bad request'), { status: 400, id });
      if (isTransient(id) && attempts[id] === 1) throw Object.assign(new Error('unavailable'), { status: 503, id });
      return id;
    }
  }
  Service.prototype.completeSupervised = Service.prototype.complete;
  // Decorated by hand, as plain JavaScript (no decorator syntax) does it: the legacy form.
  for (const [name, options] of [['complete', common], ['completeSupervised', { ...common, timeout: 10_000 }]]) {
    const descriptor = Object.getOwnPropertyDescriptor(Service.prototype, name);
    Object.defineProperty(Service.prototype, name, Retryable(options)(Service.prototype, name, descriptor) ?? descriptor);
  }

  const service = new Service();
  const controller = new AbortController();
  const { signal } = controller;
  setMaxListeners(CONCURRENCY * 2, signal);

  async function runCalls(count) {
    attempts = new Uint8Array(count);
    const settled = new Uint8Array(count);
    const wrongOutcome = [];
    let successes = 0;
    let failed = 0;
    let next = 0;
    let maxInFlight = 0;
    let inFlight = 0;
    await new Promise((resolveAll) => {
      const startOne = () => {
        const id = next++;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const method = supervised(id) ? service.completeSupervised : service.complete;
        method.call(service, id, { signal }).then(
          (value) => {
            settled[id]++;
            if (value === id && !isPermanent(id)) successes++;
            else wrongOutcome.push(id);
            done();
          },
          (error) => {
            settled[id]++;
            if (isPermanent(id) && error instanceof Error && error.status === 400 && error.id === id) failed++;
            else wrongOutcome.push(id);
            done();
          },
        );
      };
      const done = () => {
        inFlight--;
        if (next < count) startOne();
        else if (inFlight === 0) resolveAll();
      };
      for (let i = 0; i < Math.min(CONCURRENCY, count); i++) startOne();
    });
    // Let any late (second) settlement show itself before counting.
    await new Promise((resolve) => setTimeout(resolve, 20));
    let settledOnce = 0;
    let expectedAttempts = 0;
    let attemptsMade = 0;
    let wrongAttempts = 0;
    for (let id = 0; id < count; id++) {
      if (settled[id] === 1) settledOnce++;
      const expected = isTransient(id) && !isPermanent(id) ? 2 : 1;
      expectedAttempts += expected;
      attemptsMade += attempts[id];
      if (attempts[id] !== expected) wrongAttempts++;
    }
    return { successes, failed, settledOnce, wrongOutcome, maxInFlight, expectedAttempts, attemptsMade, wrongAttempts };
  }

  async function collectGarbage() {
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      globalThis.gc();
    }
    return process.memoryUsage().heapUsed;
  }

  const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;
  await runCalls(WARM_UP);
  counters.retries = 0;
  warnings.hook = 0;
  const heapBefore = await collectGarbage();

  const started = performance.now();
  const result = await runCalls(CALLS);
  const duration = performance.now() - started;
  attempts = new Uint8Array(0);
  const heapAfter = await collectGarbage();
  const heapGrowthMiB = (heapAfter - heapBefore) / 2 ** 20;

  const expectedFailures = Array.from({ length: CALLS }, (_, id) => isPermanent(id)).filter(Boolean).length;
  const expectedRetries = Array.from({ length: CALLS }, (_, id) => isTransient(id) && !isPermanent(id)).filter(Boolean).length;
  const expectedHookWarnings = Array.from({ length: CALLS }, (_, id) => hookRejects(id)).filter(Boolean).length;
  // Warnings are emitted on the next tick; the 20 ms pause in runCalls let them through.
  const resources = process.getActiveResourcesInfo();
  const timersLeft = resources.filter((r) => r === 'Timeout' || r === 'Immediate').length;
  const listenersLeft = getEventListeners(signal, 'abort').length;

  console.log(`soak: calls ${CALLS}, successes ${result.successes}, failures ${result.failed}, retries ${counters.retries}, ` +
    `attempts ${result.attemptsMade}, max in flight ${result.maxInFlight}, duration ${(duration / 1000).toFixed(2)} s, ` +
    `heap growth ${heapGrowthMiB.toFixed(2)} MiB (${(heapBefore / 2 ** 20).toFixed(1)} → ${(heapAfter / 2 ** 20).toFixed(1)} MiB), ` +
    `hook warnings ${warnings.hook}`);
  check(result.settledOnce === CALLS, `every call settled exactly once (${result.settledOnce} of ${CALLS})`);
  check(result.wrongOutcome.length === 0, `every call had its planned outcome and value or error (${result.wrongOutcome.length} wrong${result.wrongOutcome.length ? `, e.g. id ${result.wrongOutcome.slice(0, 5).join(', ')}` : ''})`);
  check(result.successes + result.failed === CALLS && result.failed === expectedFailures,
    `successes + failures = calls: ${result.successes} + ${result.failed} = ${result.successes + result.failed} (failures expected ${expectedFailures})`);
  check(counters.retries === expectedRetries && counters.retriesWithWrongError === 0,
    `retries ${counters.retries}, expected ${expectedRetries}, each after attempt 1 with its 503 and a 0–1 ms wait (${counters.retriesWithWrongError} not)`);
  check(result.wrongAttempts === 0 && result.attemptsMade === result.expectedAttempts,
    `attempts per call as planned: ${result.attemptsMade} made, ${result.expectedAttempts} expected, ${result.wrongAttempts} calls off`);
  check(result.maxInFlight === Math.min(CONCURRENCY, CALLS), `${result.maxInFlight} calls in flight at most`);
  check(heapGrowthMiB < HEAP_LIMIT_MIB, `heap growth after GC ${heapGrowthMiB.toFixed(2)} MiB < ${HEAP_LIMIT_MIB} MiB`);
  const counts = new Map();
  for (const kind of resources) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  const resourceCounts = [...counts].map(([kind, count]) => `${kind} × ${count}`).join(', ');
  check(timersLeft <= timersBefore, `no timer left: ${timersLeft} Timeout/Immediate handles active (${timersBefore} before); active resources: ${resourceCounts || 'none'}`);
  check(listenersLeft === 0, `no abort listener left on the shared signal (${listenersLeft})`);
  check(warnings.hook === expectedHookWarnings, `each rejecting onRetry reported once as RETRYABLE_HOOK_ERROR (${warnings.hook} of ${expectedHookWarnings})`);
  check(warnings.other.length === 0, `no other process warning (${warnings.other.length}${warnings.other.length ? `: ${warnings.other[0]}` : ''})`);
  console.log(`soak: work done, ${failures.length} check(s) failed`);
  // No process.exit(): the process must end by itself, which the parent watches.
  if (failures.length > 0) process.exitCode = 1;
}
