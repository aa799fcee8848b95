// Installs the packed tarball into a throwaway project outside the repo and, for each decorator mode
// and module system, compiles a consumer with the repo's own TypeScript and runs it. This checks what
// publint and attw cannot: that the published types accept `@Retryable` in both decorator modes and
// that the runtime retries through both `import` and `require`. Runs offline; needs a built dist/.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(join(repo, 'package.json')).resolve('typescript/bin/tsc');
const nodeTypes = join(repo, 'node_modules', '@types');
const shell = process.platform === 'win32';

const modes = [
  { mode: 'legacy', legacy: true },
  { mode: 'tc39', legacy: false },
];

// The same consumer for each module system; only how it loads the package differs. `.mts` and `.cts`
// let one tsc run per decorator mode compile both, each resolved under its own `exports` condition.
function consumerSource(esm) {
  const load = esm
    ? `import { Retryable, currentAttempt } from 'retryable';\nconst loadedFrom = import.meta.resolve('retryable');`
    : `import retryable = require('retryable');\nconst { Retryable, currentAttempt } = retryable;\nconst loadedFrom = require.resolve('retryable');`;
  return `${load}

class HttpError extends Error {
  constructor(readonly status: number) { super(\`HTTP \${status}\`); }
}

class FlakyService {
  calls = 0;

  @Retryable({ maxRetries: 4, initialDelay: 1, jitter: 'none' })
  async fetchValue(key: string): Promise<string> {
    this.calls += 1;
    const attempt = currentAttempt()?.attempt;
    if (this.calls < 3) throw new HttpError(503);
    return \`\${key}@\${attempt}\`;
  }

  @Retryable(4, 1)
  async rejectBadRequest(): Promise<never> {
    this.calls += 1;
    throw new HttpError(400);
  }
}

async function main(): Promise<string> {
  const expectedFile = ${JSON.stringify(esm ? 'index.js' : 'index.cjs')};
  if (!loadedFrom.replaceAll('\\\\', '/').endsWith('/dist/' + expectedFile)) throw new Error(\`loaded \${loadedFrom}, expected dist/\${expectedFile}\`);
  const flaky = new FlakyService();
  const result = await flaky.fetchValue('k');
  if (result !== 'k@3' || flaky.calls !== 3) throw new Error(\`expected k@3 after 3 attempts, got \${result} after \${flaky.calls}\`);
  const strict = new FlakyService();
  const error = await strict.rejectBadRequest().then(() => undefined, (e: unknown) => e);
  if (!(error instanceof HttpError) || error.status !== 400 || strict.calls !== 1) {
    throw new Error(\`a 400 must be thrown as is after 1 attempt, got \${String(error)} after \${strict.calls}\`);
  }
  return \`\${flaky.calls} attempts\`;
}

main().then(
  (summary) => console.log(summary),
  (error: unknown) => { console.error(error); process.exitCode = 1; },
);
`;
}

function tsconfig({ legacy }) {
  return {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2022'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      // The legacy run also checks the published .d.ts/.d.cts (and @types/node); their validity does
      // not depend on the decorator mode, so the TC39 run skips that to save time.
      skipLibCheck: !legacy,
      skipDefaultLibCheck: true,
      experimentalDecorators: legacy,
      emitDecoratorMetadata: legacy,
      typeRoots: [nodeTypes],
      types: ['node'],
      outDir: 'out',
      rootDir: '.',
    },
    files: ['main.mts', 'main.cts'],
  };
}

async function compileMode(project, { mode, legacy }) {
  const dir = join(project, mode);
  mkdirSync(dir);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig({ legacy }), null, 2));
  writeFileSync(join(dir, 'main.mts'), consumerSource(true));
  writeFileSync(join(dir, 'main.cts'), consumerSource(false));
  let listed;
  try {
    listed = (await run(process.execPath, [tsc, '-p', dir, '--listFiles'], { cwd: dir })).stdout;
  } catch (error) {
    throw new Error(`consumer ${mode}: tsc failed\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  }
  const files = listed.split(/\r?\n/).map((file) => file.replaceAll('\\', '/'));
  for (const typesFile of ['index.d.ts', 'index.d.cts']) {
    if (!files.some((file) => file.endsWith(`/node_modules/retryable/dist/${typesFile}`))) {
      throw new Error(`consumer ${mode}: tsc did not resolve retryable to dist/${typesFile}`);
    }
  }
  return dir;
}

async function runCase(dir, name, script) {
  try {
    const { stdout } = await run(process.execPath, [join(dir, 'out', script)], { cwd: dir, timeout: 20_000 });
    return `consumer ${name}: ok (${stdout.trim()})`;
  } catch (error) {
    throw new Error(`consumer ${name}: run failed\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  }
}

// Compiles a mode, then runs its ESM and CJS consumers; returns one settled result per case.
async function checkMode(project, mode) {
  let dir;
  try {
    dir = await compileMode(project, mode);
  } catch (error) {
    return [{ status: 'rejected', reason: error }];
  }
  return Promise.allSettled([
    runCase(dir, `${mode.mode}/esm`, 'main.mjs'),
    runCase(dir, `${mode.mode}/cjs`, 'main.cjs'),
  ]);
}

async function main() {
  for (const file of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) {
    if (!existsSync(join(repo, 'dist', file))) throw new Error(`dist/${file} is missing: run \`npm run build\` first`);
  }
  const work = mkdtempSync(join(tmpdir(), 'retryable-consumer-'));
  try {
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: repo, shell });
    const tarball = join(work, JSON.parse(packed.stdout)[0].filename);
    const project = join(work, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'retryable-consumer', private: true }));
    // The tarball has no dependencies (reflect-metadata is an optional peer), so this needs no network.
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', tarball], { cwd: project, shell });
    const results = (await Promise.all(modes.map((mode) => checkMode(project, mode)))).flat();
    let failed = false;
    for (const result of results) {
      if (result.status === 'fulfilled') console.log(result.value);
      else { failed = true; console.error(result.reason instanceof Error ? result.reason.message : result.reason); }
    }
    if (failed) process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
