import type { Database } from '@scheduler/db';
import { sql, type Kysely } from 'kysely';
import * as Y from 'yjs';

/**
 * Document storage: every accepted update is appended to collab_updates
 * before anyone else sees it; a background compaction folds old updates into
 * collab_documents.state. Loading = snapshot + the updates after it.
 */

export const DESCRIPTION = 'description';

/** Updates older than this are folded into the snapshot (other instances have long applied them). */
const COMPACT_AFTER_MS = 60_000;

const UPDATE_LOCK = 7303;

/** One update to store, with its author. */
export interface StoredUpdate {
  update: Uint8Array;
  /** The sender; null for an update the server made. */
  userId: number | null;
}

/**
 * Appends updates in order. Instances follow a document by reading ids in
 * order, so ids of one document must become visible in id order: the
 * per-document lock is held from the insert to the commit. Also answers the
 * highest id stored before these, so the caller knows whether it missed any.
 */
export async function appendUpdates(
  db: Kysely<Database>,
  eventId: number,
  updates: StoredUpdate[],
): Promise<{ ids: number[]; previousMax: number }> {
  const insert = async (trx: Kysely<Database>) => {
    await lockUpdates(trx, eventId);
    const before = await trx
      .selectFrom('collab_updates')
      .select((eb) => eb.fn.max('id').as('max'))
      .where('event_id', '=', eventId)
      .executeTakeFirst();
    const rows = await trx
      .insertInto('collab_updates')
      .values(updates.map(({ update, userId }) => ({ event_id: eventId, update, user_id: userId })))
      .returning('id')
      .execute();
    return { ids: rows.map((r) => r.id).sort((a, b) => a - b), previousMax: Number(before?.max ?? 0) };
  };
  return db.isTransaction ? insert(db) : db.transaction().execute(insert);
}

/** Updates after `afterId`, in order (for catching up with other instances). */
export async function updatesAfter(db: Kysely<Database>, eventId: number, afterId: number) {
  return db
    .selectFrom('collab_updates')
    .select(['id', 'update'])
    .where('event_id', '=', eventId)
    .where('id', '>', afterId)
    .orderBy('id')
    .execute();
}

export interface LoadedDocument {
  doc: Y.Doc;
  /** Highest update id applied. */
  lastId: number;
  /** The event version and update id of the document's last agreement with its event. */
  synced: { version: number; through: number };
}

/**
 * Loads the document. A document seen for the first time is seeded with the
 * event's description; the seed is stored with `on conflict do nothing`, so
 * two instances opening it at once agree on one seed.
 */
export async function loadDocument(
  db: Kysely<Database>,
  eventId: number,
  event: { description: string; version: number },
): Promise<LoadedDocument> {
  const stored = await db.selectFrom('collab_documents').select('event_id').where('event_id', '=', eventId).executeTakeFirst();
  if (!stored) {
    const seed = new Y.Doc();
    seed.getText(DESCRIPTION).insert(0, event.description);
    await db
      .insertInto('collab_documents')
      .values({
        event_id: eventId,
        state: Y.encodeStateAsUpdate(seed),
        compacted_through: 0,
        synced_version: event.version,
        updated_at: new Date(),
      })
      .onConflict((oc) => oc.column('event_id').doNothing())
      .execute();
    seed.destroy();
  }
  // Snapshot and tail in one repeatable-read transaction, so a compaction in between cannot hide updates.
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const current = await trx
        .selectFrom('collab_documents')
        .select(['state', 'compacted_through', 'synced_version', 'synced_through'])
        .where('event_id', '=', eventId)
        .executeTakeFirstOrThrow();
      const doc = new Y.Doc();
      Y.applyUpdate(doc, current.state);
      let lastId = Number(current.compacted_through);
      for (const row of await updatesAfter(trx, eventId, lastId)) {
        Y.applyUpdate(doc, row.update);
        lastId = row.id;
      }
      return { doc, lastId, synced: { version: current.synced_version, through: Number(current.synced_through) } };
    });
}

/**
 * Moves the document's sync point forward: it has taken in the event up to
 * `version`, and (when given) its updates up to `through` are in the event.
 */
export async function markSynced(db: Kysely<Database>, eventId: number, version: number, through?: number): Promise<void> {
  await db
    .updateTable('collab_documents')
    .set((eb) => ({
      synced_version: eb.fn('greatest', [eb.ref('synced_version'), eb.val(version)]),
      ...(through === undefined ? {} : { synced_through: eb.fn('greatest', [eb.ref('synced_through'), eb.val(through)]) }),
    }))
    .where('event_id', '=', eventId)
    .execute();
}

/** The sync point, locked until the end of the transaction (one event-to-document merge at a time). */
export async function lockSyncPoint(trx: Kysely<Database>, eventId: number): Promise<{ version: number; through: number } | undefined> {
  const row = await trx
    .selectFrom('collab_documents')
    .select(['synced_version', 'synced_through'])
    .where('event_id', '=', eventId)
    .forUpdate()
    .executeTakeFirst();
  return row && { version: row.synced_version, through: Number(row.synced_through) };
}

/**
 * Holds the document's append lock until the end of the transaction: no
 * update can be stored meanwhile, so updates read after it and one appended
 * under it leave no id unseen in between.
 */
export async function lockUpdates(trx: Kysely<Database>, eventId: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(${UPDATE_LOCK}, ${eventId})`.execute(trx);
}

/**
 * The event's version and whether the document has taken it in yet. A
 * write-back advances the sync point in the transaction that writes the
 * version, so its own versions (of any instance) are never applied back.
 */
export async function eventAhead(db: Kysely<Database>, eventId: number): Promise<boolean> {
  const row = await db
    .selectFrom('events as e')
    .innerJoin('collab_documents as d', 'd.event_id', 'e.id')
    .select(['e.version', 'e.deleted_at', 'd.synced_version'])
    .where('e.id', '=', eventId)
    .executeTakeFirst();
  return row !== undefined && row.deleted_at === null && row.version > row.synced_version;
}

/** The event's description at one of its versions. */
export async function descriptionAt(db: Kysely<Database>, eventId: number, version: number): Promise<string | undefined> {
  const row = await db
    .selectFrom('event_versions')
    .select('description')
    .where('event_id', '=', eventId)
    .where('version', '=', version)
    .executeTakeFirst();
  return row?.description;
}

/** Who sent the updates after `afterId` (the editors a recovered write-back is attributed to). */
export async function authorsAfter(
  db: Kysely<Database>,
  eventId: number,
  afterId: number,
): Promise<Array<{ id: number; username: string }>> {
  return db
    .selectFrom('collab_updates as u')
    .innerJoin('users', 'users.id', 'u.user_id')
    .select(['users.id', 'users.username'])
    .distinct()
    .where('u.event_id', '=', eventId)
    .where('u.id', '>', afterId)
    .orderBy('users.id')
    .execute();
}

/**
 * Folds old updates into the snapshot and deletes them: the longest run of
 * ids, from the snapshot on, whose updates are all older than a minute.
 * Selected by id, not by time alone: an update stored by a transaction that
 * waited on the append lock has a later id but an earlier `created_at` (the
 * transaction's start), and a newer one before it must not be skipped.
 */
export async function compact(db: Kysely<Database>, eventId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const snapshot = await trx
      .selectFrom('collab_documents')
      .select(['state', 'compacted_through'])
      .where('event_id', '=', eventId)
      .forUpdate()
      .executeTakeFirst();
    if (!snapshot) return;
    const after = Number(snapshot.compacted_through);
    const cutoff = sql<Date>`now() - ${`${COMPACT_AFTER_MS} milliseconds`}::interval`;
    const firstRecent = await trx
      .selectFrom('collab_updates')
      .select((eb) => eb.fn.min('id').as('id'))
      .where('event_id', '=', eventId)
      .where('id', '>', after)
      .where('created_at', '>=', cutoff)
      .executeTakeFirst();
    let query = trx.selectFrom('collab_updates').select(['id', 'update']).where('event_id', '=', eventId).where('id', '>', after);
    if (firstRecent?.id != null) query = query.where('id', '<', Number(firstRecent.id));
    const old = await query.orderBy('id').execute();
    if (old.length === 0) return;
    const merged = Y.mergeUpdates([snapshot.state, ...old.map((r) => r.update)]);
    const through = old.at(-1)!.id;
    await trx
      .updateTable('collab_documents')
      .set({ state: merged, compacted_through: through, updated_at: new Date() })
      .where('event_id', '=', eventId)
      .execute();
    await trx.deleteFrom('collab_updates').where('event_id', '=', eventId).where('id', '<=', through).execute();
  });
}
