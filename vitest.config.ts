import { defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` runs pure module tests once; `pglite` and `postgres`
 * run the same integration suite against the embedded database and against
 * the PostgreSQL server named by TEST_DATABASE_URL.
 */
const integration = ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'];
/** Several server processes on one database: PostgreSQL only (PGlite lives inside one process). */
const postgresOnly = ['packages/*/test/**/*.pg.test.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'bench/suite/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'pglite',
          include: integration,
          exclude: postgresOnly,
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
          environment: 'node',
          env: { TEST_DB: 'postgres' },
          globalSetup: ['packages/api/test/support/postgres-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
