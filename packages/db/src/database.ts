import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { ResilientPool } from './faults.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import type { Database } from './schema.ts';

export type DatabaseEngine = 'postgres' | 'pglite';

export interface DatabaseOptions {
  /** postgres://... for a PostgreSQL server; absent for the embedded database. */
  url?: string | undefined;
  /** Where the embedded database keeps its files; absent = in memory. */
  dataDir?: string | undefined;
  /** A gzip dump (from `dumpDataDir`) to start the embedded database from. */
  loadDataDir?: Blob | undefined;
  /** Pool size for PostgreSQL. */
  poolSize?: number | undefined;
  /** PostgreSQL cancels a statement running longer than this (0 = no limit). */
  statementTimeoutMs?: number | undefined;
  /** Waiting for a pooled connection (or a new one) fails after this long. */
  acquireTimeoutMs?: number | undefined;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: DatabaseEngine;
  /** The postgres URL when engine is postgres (for LISTEN connections). */
  url: string | undefined;
  /** The embedded instance when engine is pglite. */
  pglite: PGlite | undefined;
  close(): Promise<void>;
}

const INT8_OID = 20;
const toNumber = (value: string) => Number(value);

/**
 * A pg client that always has an 'error' listener. The pool listens only
 * while a client is idle or its owner does while it is checked out; a server
 * terminating a connection while it is still being set up (a restart, a
 * failover) emits errors in between, and an unheard 'error' ends the process.
 * The failure itself still reaches the query or connect that was waiting.
 */
class GuardedClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', () => {});
  }
}

/** Opens PostgreSQL through a pg pool, or the embedded PGlite when no URL is given. */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    const types = {
      getTypeParser: (oid: number, format?: 'text' | 'binary'): unknown =>
        oid === INT8_OID ? toNumber : pg.types.getTypeParser(oid, format),
    };
    const statementTimeout = options.statementTimeoutMs ?? 30_000;
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      types,
      connectionTimeoutMillis: options.acquireTimeoutMs ?? 5_000,
      keepAlive: true,
      Client: GuardedClient,
      ...(statementTimeout > 0
        ? {
            statement_timeout: statementTimeout,
            // A server that vanished without closing the socket must not hang a query forever either.
            query_timeout: statementTimeout + 5_000,
          }
        : {}),
    });
    // An idle client losing its server must not crash the process.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new ResilientPool(pool) }) });
    return { db, engine: 'postgres', url: options.url, pglite: undefined, close: () => db.destroy() };
  }

  const pglite = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    extensions: { btree_gist },
    parsers: { [INT8_OID]: toNumber },
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return { db, engine: 'pglite', url: undefined, pglite, close: () => db.destroy() };
}

/** True when the database answers a trivial query. */
export async function pingDatabase(db: Kysely<Database>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
