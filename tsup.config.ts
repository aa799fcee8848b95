import { defineConfig } from 'tsup';

// One entry, two module formats. With `"type": "module"`, tsup names the ESM output `.js`/`.d.ts`
// and the CJS output `.cjs`/`.d.cts`, which is what `exports` in package.json points at.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  target: 'node18',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: false,
  treeshake: true,
  outDir: 'dist',
});
