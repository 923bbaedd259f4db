import { defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` runs pure module tests once; `pglite` and `postgres`
 * run the same integration suite against the embedded database and against
 * the PostgreSQL server named by TEST_DATABASE_URL.
 */
const integration = ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'];
/** Several server processes on one database: PostgreSQL only (PGlite lives inside one process). */
const postgresOnly = ['packages/*/test/**/*.pg.test.ts'];
/** The web app in headless Chromium against a real server (the `web` project). */
const browser = ['apps/web/test/**/*.web.test.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'bench/suite/**/*.test.ts'],
          environment: 'node',
          // Some cases walk long recurrences; a busy machine must not turn them into timeouts.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'pglite',
          include: integration,
          exclude: [...postgresOnly, ...browser],
          environment: 'node',
          env: { TEST_DB: 'pglite' },
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'postgres',
          include: integration,
          exclude: browser,
          environment: 'node',
          env: { TEST_DB: 'postgres' },
          globalSetup: ['packages/api/test/support/postgres-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'web',
          include: browser,
          environment: 'node',
          env: { TEST_DB: 'pglite' },
          globalSetup: ['apps/web/test/support/build-app.ts'],
          testTimeout: 90_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
