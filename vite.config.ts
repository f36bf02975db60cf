import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/** The widget's size budget (IIFE, gzip, everything included) and the goal we print beside it. */
const BUDGET_BYTES = 16 * 1024;
const GOAL_BYTES = 12 * 1024;
/** Server-only code that must never reach the browser bundle. */
const SERVER_ONLY = /[\\/](node_modules[\\/](hono|@hono|jose|better-sqlite3|pg|pg-[\w-]+|mysql2|undici|zod)[\\/]|server[\\/])/;

/** Prints the widget's gzip size and fails the build over budget or when server code leaked in. */
export function widgetChecks(): Plugin {
  return {
    name: 'alloy-widget-checks',
    generateBundle(_, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const leaked = Object.keys(chunk.modules).filter((id) => SERVER_ONLY.test(id));
        if (leaked.length) this.error(`server-only code reached ${chunk.fileName}: ${leaked.join(', ')}`);
        if (chunk.fileName !== 'alloy.js') continue;
        const gzip = gzipSync(chunk.code, { level: 9 }).length;
        const line = `widget ${chunk.fileName}: ${(gzip / 1024).toFixed(2)} KB gzip (budget ${BUDGET_BYTES / 1024} KB, goal ${GOAL_BYTES / 1024} KB)`;
        console.log(line);
        if (gzip > BUDGET_BYTES) this.error(`${line}: over budget`);
      }
    },
  };
}

// The PostgreSQL pass runs the same test files against TEST_DATABASE_URL when it is set;
// every file picks its store from TEST_STORE (see test/helpers/server.ts).
const postgresUrl = process.env.TEST_DATABASE_URL;

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist/widget',
    emptyOutDir: true,
    // The widget already calls ES2022 methods (`Array.prototype.at`), so ES2022 syntax costs no
    // browser it did not already need (Chrome 92, Firefox 90, Safari 15.4), and its output is smaller.
    target: 'es2022',
    lib: {
      entry: 'widget/index.ts',
      name: 'Alloy',
      formats: ['iife', 'es'],
      fileName: (format) => (format === 'iife' ? 'alloy.js' : 'alloy.mjs'),
    },
  },
  plugins: [widgetChecks()],
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
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
