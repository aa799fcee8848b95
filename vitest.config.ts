import { defineConfig } from 'vitest/config';
import swc from 'unplugin-swc';

// The decorator tests run twice from one source: once compiled with legacy
// `experimentalDecorators` (what NestJS uses) and once as TC39 standard decorators.
const source = (path: string) => new URL(path, import.meta.url).pathname;
const resolve = {
  alias: [
    { find: /^retryable$/, replacement: source('./src/index.ts') },
    { find: /^retryable\/redis$/, replacement: source('./src/redis/index.ts') },
  ],
};

export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
        // The fleet test starts real processes and compares two real-time runs: it runs on its own
        // (`npm run test:fleet`, a check of its own in CI), not beside the rest on a busy machine.
        test: { name: 'legacy', include: process.env.FLEET === '1' ? ['test/redis/fleet.test.ts'] : ['test/**/*.test.ts'], exclude: process.env.FLEET === '1' ? [] : ['test/redis/fleet.test.ts', '**/node_modules/**'] },
      },
      {
        resolve,
        plugins: [
          swc.vite({
            jsc: {
              parser: { syntax: 'typescript', decorators: true },
              transform: { decoratorVersion: '2022-03' },
              target: 'es2022',
            },
          }),
        ],
        // The failover e2e has a decorated stream method over real HTTP: it runs in both modes too.
        test: { name: 'tc39', include: ['test/decorators/**/*.test.ts', 'test/e2e/failover.test.ts'] },
      },
    ],
  },
});
