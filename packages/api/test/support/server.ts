import { randomBytes } from 'node:crypto';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '@scheduler/db';
import { inject } from 'vitest';
import { createLogger, loadConfig, startApp, type App } from '../../src/index.ts';
import './provided.ts';

export type TestDb = 'pglite' | 'postgres';
export const TEST_DB: TestDb = process.env['TEST_DB'] === 'postgres' ? 'postgres' : 'pglite';

let pgliteTemplate: Promise<Blob> | undefined;
/** One silent logger for every test server in this worker (each pino instance hooks process exit). */
const logger = createLogger('silent');

/** A migrated embedded database, copied from a template built once per worker (initdb is slow). */
async function openPglite(): Promise<DatabaseHandle> {
  pgliteTemplate ??= (async () => {
    const template = await openDatabase({});
    await migrateToLatest(template.db);
    const dump = await template.pglite!.dumpDataDir('gzip');
    await template.close();
    return dump;
  })();
  return openDatabase({ loadDataDir: await pgliteTemplate });
}

/** Opens the database this project runs against: PGlite in memory, or the run's PostgreSQL database. */
export async function openTestDatabase(): Promise<DatabaseHandle> {
  if (TEST_DB === 'pglite') return openPglite();
  const handle = await openDatabase({ url: inject('postgresUrl'), poolSize: 20 });
  await migrateToLatest(handle.db);
  return handle;
}

export interface TestServer extends App {
  database: DatabaseHandle;
  /** Stops the server and closes the database. */
  stop(): Promise<void>;
}

/** Starts a real server on a free port against a real database. */
export async function startTestServer(env: Record<string, string> = {}, database?: DatabaseHandle): Promise<TestServer> {
  const db = database ?? (await openTestDatabase());
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: ':memory:',
    LOG_LEVEL: 'silent',
    JWT_SECRET: randomBytes(32).toString('hex'),
    ...env,
  });
  const app = await startApp(config, { database: db, logger });
  return {
    ...app,
    database: db,
    stop: async () => {
      await app.close();
      if (!database) await db.close();
    },
  };
}
