import { defineConfig } from 'tsup';

// Two entries (the core, and `retryable/redis`, which the core never imports), two module formats.
// With `"type": "module"`, tsup names the ESM output `.js`/`.d.ts` and the CJS output
// `.cjs`/`.d.cts`, which is what `exports` in package.json points at.
export default defineConfig({
  entry: { index: 'src/index.ts', redis: 'src/redis/index.ts' },
  format: ['esm', 'cjs'],
  target: 'node18',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: false,
  treeshake: true,
  outDir: 'dist',
  // Not the root tsconfig: see tsconfig.build.json for why.
  tsconfig: 'tsconfig.build.json',
});
