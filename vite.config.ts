import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// The PostgreSQL pass runs the same test files against TEST_DATABASE_URL when it is set;
// every file picks its store from TEST_STORE (see test/helpers/server.ts).
const postgresUrl = process.env.TEST_DATABASE_URL;

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'sqlite', include: ['test/**/*.test.ts', 'test/**/*.test.tsx'], env: { TEST_STORE: 'sqlite' } },
      },
      ...(postgresUrl
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres',
                include: ['test/server/**/*.test.ts', 'test/compat/**/*.test.ts'],
                // These never touch the store (the linted OpenAPI document is the same on both): once is enough.
                exclude: [
                  'test/server/connectors/**',
                  'test/server/definitions.test.ts',
                  'test/server/config.test.ts',
                  'test/server/engine/template.test.ts',
                  'test/server/store/sqlite.test.ts',
                  'test/server/openapi-lint.test.ts',
                ],
                env: { TEST_STORE: 'postgres', TEST_DATABASE_URL: postgresUrl },
              },
            },
          ]
        : []),
    ],
    // Vitest's default is one file at a time on 2 cores (cores - 1). The files mostly wait on
    // servers, databases and Chromium, so two at once take about 2/3 of the time (1,092 → 748 s).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
