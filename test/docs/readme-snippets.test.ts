/**
 * Every ```ts block of README.md must compile as a user would paste it: one file per block, in a
 * fresh project, with only its own imports, under `strict`, `noUnusedLocals` and
 * `noUnusedParameters`. A block compiles with TC39 decorators unless the line before its fence is
 * `<!-- legacy -->` (experimentalDecorators + emitDecoratorMetadata, as NestJS needs);
 * `<!-- fragment -->` skips a block that cannot stand alone (keep that rare). `retryable` maps to
 * src/index.ts. One tsc run per mode, both at once.
 *
 * README_SNIPPETS_DIR=/some/dir keeps the generated project there, to check it with another
 * TypeScript by hand: `npx -y -p typescript@7.0.2 tsc -p /some/dir/tsconfig.legacy.json`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

type Mode = 'legacy' | 'tc39';
interface Snippet {
  /** The README line of the opening fence, so tsc's errors point at the README. */
  readonly line: number;
  readonly mode: Mode | 'fragment';
  readonly code: string;
}

const root = new URL('../../', import.meta.url).pathname;
const MARKERS: Record<string, Snippet['mode']> = { '<!-- legacy -->': 'legacy', '<!-- fragment -->': 'fragment' };

/** The ```ts blocks, in order, with the mode their marker line chooses. */
export function readmeSnippets(markdown: string): Snippet[] {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript|tsx)\s*$/.test(lines[i]!)) continue;
    const end = lines.findIndex((line, j) => j > i && /^```\s*$/.test(line));
    if (end === -1) throw new Error(`README.md:${i + 1}: a code block is never closed`);
    const marker = lines[i - 1]?.trim() ?? '';
    if (marker.startsWith('<!--') && !(marker in MARKERS)) throw new Error(`README.md:${i}: unknown marker ${marker}`);
    snippets.push({ line: i + 1, mode: MARKERS[marker] ?? 'tc39', code: lines.slice(i + 1, end).join('\n') + '\n' });
    i = end;
  }
  return snippets;
}

const COMPILER_OPTIONS = {
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  strict: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  noEmit: true,
  skipLibCheck: true,
  types: ['node'],
  paths: { retryable: [join(root, 'src/index.ts')], 'retryable/redis': [join(root, 'src/redis/index.ts')] },
};
const MODE_OPTIONS: Record<Mode, object> = {
  legacy: { experimentalDecorators: true, emitDecoratorMetadata: true },
  tc39: {},
};

/** A fresh ESM project holding each snippet as `<mode>/readme-line-N.ts`, one tsconfig per mode. */
function writeProject(dir: string, snippets: readonly Snippet[]): void {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  for (const mode of ['legacy', 'tc39'] as const) {
    mkdirSync(join(dir, mode), { recursive: true });
    const tsconfig = { compilerOptions: { ...COMPILER_OPTIONS, ...MODE_OPTIONS[mode] }, include: [`${mode}/*.ts`] };
    writeFileSync(join(dir, `tsconfig.${mode}.json`), JSON.stringify(tsconfig, null, 2));
  }
  for (const { line, mode, code } of snippets) {
    if (mode !== 'fragment') writeFileSync(join(dir, mode, `readme-line-${line}.ts`), code);
  }
}

/**
 * `currentAttempt().requestOptions` is documented before the engine has it (the lead is adding it
 * on another branch). Until src declares it, that one error is expected; afterwards none is.
 */
const PENDING_REQUEST_OPTIONS = /error TS2339: Property 'requestOptions' does not exist on type 'AttemptContext'\.$/;
const requestOptionsExists = readFileSync(join(root, 'src/engine/attempt-context.ts'), 'utf8').includes('requestOptions');

async function typeErrors(dir: string, mode: Mode): Promise<string[]> {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const output = await promisify(execFile)(process.execPath, [tsc, '-p', join(dir, `tsconfig.${mode}.json`)], { cwd: dir }).then(
    ({ stdout }) => stdout,
    (failure: { stdout?: string }) => failure.stdout ?? String(failure),
  );
  return output.split('\n').filter((line) => line.trim() !== '' && (requestOptionsExists || !PENDING_REQUEST_OPTIONS.test(line)));
}

describe('README.md TypeScript blocks', () => {
  const snippets = readmeSnippets(readFileSync(join(root, 'README.md'), 'utf8'));
  const kept = process.env.README_SNIPPETS_DIR;
  const dir = kept ?? mkdtempSync(join(tmpdir(), 'retryable-readme-'));
  if (kept) mkdirSync(kept, { recursive: true });
  afterAll(() => {
    if (!kept) rmSync(dir, { recursive: true, force: true });
  });

  it('are found, with at least one NestJS (legacy) block and one TC39 block, and few fragments', () => {
    const count = (mode: Snippet['mode']) => snippets.filter((snippet) => snippet.mode === mode).length;
    expect(count('legacy')).toBeGreaterThanOrEqual(1);
    expect(count('tc39')).toBeGreaterThanOrEqual(1);
    expect(count('fragment')).toBeLessThanOrEqual(1);
  });

  it('each compile on its own, with its imports, in its decorator mode (tsc 5.9, strict, no unused names)', async () => {
    writeProject(dir, snippets);
    const [legacy, tc39] = await Promise.all([typeErrors(dir, 'legacy'), typeErrors(dir, 'tc39')]);
    expect({ legacy, tc39 }).toEqual({ legacy: [], tc39: [] });
  }, 60_000);
});

describe('readmeSnippets', () => {
  it('reads the mode from the marker line before the fence, and the README line of the fence', () => {
    const markdown = ['```ts', 'a', '```', '<!-- legacy -->', '```ts', 'b', '```', '<!-- fragment -->', '```ts', 'c', '```', '```sh', 'd', '```'].join('\n');
    expect(readmeSnippets(markdown)).toEqual([
      { line: 1, mode: 'tc39', code: 'a\n' },
      { line: 5, mode: 'legacy', code: 'b\n' },
      { line: 9, mode: 'fragment', code: 'c\n' },
    ]);
  });

  it('rejects an unknown marker and an unclosed block, rather than skipping them', () => {
    expect(() => readmeSnippets('<!-- legacyy -->\n```ts\nx\n```')).toThrow('README.md:1: unknown marker <!-- legacyy -->');
    expect(() => readmeSnippets('```ts\nx')).toThrow('README.md:1: a code block is never closed');
  });
});
