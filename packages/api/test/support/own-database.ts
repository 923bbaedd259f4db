import { randomBytes } from 'node:crypto';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '@scheduler/db';
import pg from 'pg';
import { inject } from 'vitest';
import { openTestDatabase, TEST_DB } from './server.ts';

export interface OwnDatabase {
  handle: DatabaseHandle;
  /** postgres:// URL of the database (PostgreSQL only), for server processes. */
  url: string | undefined;
  drop(): Promise<void>;
}

/**
 * A database of its own for a suite whose background work spans the whole
 * database (the webhook outbox, feed pruning): on PostgreSQL a fresh one
 * (other files share the run's database), on PGlite its own instance as always.
 */
export async function ownDatabase(): Promise<OwnDatabase> {
  if (TEST_DB === 'pglite') {
    const handle = await openTestDatabase();
    return { handle, url: undefined, drop: () => handle.close() };
  }
  const base = new URL(inject('postgresUrl'));
  const name = `own_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ url: url.toString(), poolSize: 10 });
  await migrateToLatest(handle.db);
  return {
    handle,
    url: url.toString(),
    drop: async () => {
      await handle.close();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
