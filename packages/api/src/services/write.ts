import type { Database } from '@scheduler/db';
import type { Kysely, Transaction } from 'kysely';
import { settleAccess } from './events/access.ts';
import { settleBodies } from './events/detail-cache.ts';
import { settleListings } from './events/listing-cache.ts';
import { numberFeed, wroteFeed } from './feed-numbering.ts';

/** Told after a write transaction commits, so live subscribers read the feed (see live/). */
export interface CommitListener {
  committed(): void;
}

/**
 * Runs a write in one transaction and, only once it has committed, tells the
 * change feed. A rolled-back write is never announced.
 */
export async function inTransaction<T>(
  deps: { db: Kysely<Database>; commits?: CommitListener | undefined },
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  let transaction: Transaction<Database> | undefined;
  const result = await deps.db.transaction().execute((trx) => work((transaction = trx)));
  await settleWrite(deps, transaction);
  return result;
}

/**
 * Runs a write made of statements that are each whole on their own (no
 * transaction around them: each commits as it runs) on one connection, then
 * settles as inTransaction does. `work` answers undefined when it wrote nothing.
 */
export async function inSingleStatements<T>(
  deps: { db: Kysely<Database>; commits?: CommitListener | undefined },
  work: (db: Kysely<Database>) => Promise<T | undefined>,
): Promise<T | undefined> {
  let connection: Kysely<Database> | undefined;
  const result = await deps.db.connection().execute((db) => work((connection = db)));
  if (result !== undefined) await settleWrite(deps, connection);
  return result;
}

/**
 * After a commit that wrote feed rows outside `inTransaction` (the reminder
 * scheduler, the webhook worker): the rows are numbered, then the feed is told.
 */
export async function announceFeedRows(deps: { db: Kysely<Database>; commits?: CommitListener | undefined }): Promise<void> {
  await numberFeed(deps.db);
  deps.commits?.committed();
}

/**
 * After a commit: cached roles, listings and bodies the write changed are
 * dropped before the answer goes out (read your writes), its feed rows are
 * numbered (so a sync or subscription started after the answer sees them),
 * and the feed is told. `writer` is the transaction or connection that wrote.
 */
export async function settleWrite(
  deps: { db: Kysely<Database>; commits?: CommitListener | undefined },
  writer: Kysely<Database> | undefined,
): Promise<void> {
  settleAccess(deps.db, writer);
  settleListings(deps.db, writer);
  settleBodies(deps.db, writer);
  if (wroteFeed(writer)) return announceFeedRows(deps);
  deps.commits?.committed();
}
