/**
 * Runs one measurement in a fresh Node process. Fresh processes matter for micro-benchmarks: JIT
 * decisions, heap layout and GC timing differ from process to process, so the spread between
 * processes is the honest error bar; a single process would only show its own luck.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type WorkerRole = 'happy-path' | 'als-cost' | 'heap-growth' | 'matrix-shard';

const workerPath = fileURLToPath(new URL('./worker.js', import.meta.url));

export function runInChild<T>(role: WorkerRole, execArgv: readonly string[] = ['--expose-gc'], args: readonly string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(workerPath, [role, ...args], { execArgv: [...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: { value: T } | undefined;
    child.on('message', (message) => (result = { value: message as T }));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0 && result !== undefined) resolve(result.value);
      else reject(new Error(`bench worker "${role}" exited with ${signal ?? `code ${code}`} before reporting`));
    });
  });
}
