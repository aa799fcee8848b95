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
        test: { name: 'legacy', include: ['test/**/*.test.ts'] },
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
        test: { name: 'tc39', include: ['test/decorators/**/*.test.ts'] },
      },
    ],
  },
});
