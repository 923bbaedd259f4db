import type { Database } from '@scheduler/db';
import type { Kysely, Transaction } from 'kysely';
import { settleAccess } from './events/access.ts';
import { settleBodies } from './events/detail-cache.ts';
import { settleListings } from './events/listing-cache.ts';

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
  // Cached roles this write changed are dropped before the answer goes out (read your writes).
  settleAccess(deps.db, transaction);
  settleListings(deps.db, transaction);
  settleBodies(deps.db, transaction);
  deps.commits?.committed();
  return result;
}
