import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The unit tests only, for Stryker (stryker.config.json): the e2e, NestJS and local-server suites
// exercise src/ through real sockets, which makes each mutant run slow without killing more; the
// README test only type-checks, so it can kill no mutant. The fleet test forks processes that run
// their own bundle of src/, which no mutant reaches.
const exclude = ['test/e2e/**', 'test/nestjs/**', 'test/local-openai-server.test.ts', 'test/redis/fleet.test.ts', 'test/docs/**', '**/node_modules/**'];

export default defineConfig({
  test: {
    projects: (base.test!.projects as { test: object }[]).map((project) => ({
      ...project,
      test: { ...project.test, exclude },
    })),
  },
});
