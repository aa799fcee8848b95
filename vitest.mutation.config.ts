import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The unit tests only, for Stryker (stryker.config.json): the e2e, NestJS and local-server suites
// exercise src/ through real sockets, which makes each mutant run slow without killing more; the
// README test only type-checks, so it can kill no mutant. The Redis tests time a real server under
// faults (a loaded machine can fail their first run) and the fleet test forks processes that run
// their own bundle of src/: neither reaches the pure modules Stryker mutates in a way others do not.
const exclude = ['test/e2e/**', 'test/nestjs/**', 'test/local-openai-server.test.ts', 'test/redis/**', 'test/docs/**', '**/node_modules/**'];

export default defineConfig({
  test: {
    projects: (base.test!.projects as { test: object }[]).map((project) => ({
      ...project,
      test: { ...project.test, exclude },
    })),
  },
});
