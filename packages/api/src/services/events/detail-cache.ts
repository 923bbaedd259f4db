import type { Database, EventRow, Role } from '@scheduler/db';
import type { TEventDetail, TPermission, TRsvpStatus } from '@scheduler/shared';
import type { Kysely } from 'kysely';

/**
 * Event bodies for GET one event: the row and its participants, cached per
 * event. Who may read it is not cached here: every read still asks the access
 * rule (access.ts, with its own cache) before a body is handed out. A body is
 * dropped when the change feed shows anything about its event (a new version,
 * a grant, an RSVP): on the instance that wrote, as soon as the write commits
 * (read your writes), and on every instance when it reads the feed. A load
 * that started before a drop never fills the cache, and a body is re-read
 * after MAX_AGE_MS in any case (a lost wake-up).
 */

type Participant = TPermission & { rsvp: TRsvpStatus };

export interface EventBody {
  event: EventRow;
  permissions: Participant[];
}

interface Entry {
  body: EventBody;
  loadedAt: number;
  /** The answer per role, built once: readers with the same role share it. */
  detail: Map<Role, TEventDetail>;
}

const MAX_AGE_MS = 5_000;
const DEFAULT_ROW_LIMIT = 50_000;

/** What an entry counts against the limit: the event and each participant (an event shared with thousands is large). */
const rowsOf = (entry: Entry) => 1 + entry.body.permissions.length;

class DetailCache {
  readonly entries = new Map<number, Entry>();
  rows = 0;
  generation = 0;
  constructor(readonly rowLimit: number) {}

  forget(eventIds: Iterable<number>): void {
    this.generation += 1;
    for (const id of eventIds) this.drop(id);
  }

  store(eventId: number, entry: Entry): void {
    const size = rowsOf(entry);
    if (size > this.rowLimit) return;
    this.drop(eventId);
    // Oldest first out: a Map iterates in insertion order.
    for (const oldId of this.entries.keys()) {
      if (this.rows + size <= this.rowLimit) break;
      this.drop(oldId);
    }
    this.entries.set(eventId, entry);
    this.rows += size;
  }

  private drop(eventId: number): void {
    const entry = this.entries.get(eventId);
    if (!entry) return;
    this.entries.delete(eventId);
    this.rows -= rowsOf(entry);
  }
}

const caches = new WeakMap<Kysely<Database>, DetailCache>();

function cacheOf(db: Kysely<Database>): DetailCache {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new DetailCache(DEFAULT_ROW_LIMIT)));
  return cache;
}

/** Sets how many rows (events and their participants) this database's cache may hold; 0 turns it off. */
export function configureDetailCache(db: Kysely<Database>, rowLimit: number): void {
  caches.set(db, new DetailCache(rowLimit));
}

/** A cached body, or undefined (not cached, too old, or the cache is off). */
export function cachedBody(db: Kysely<Database>, eventId: number): Entry | undefined {
  if (db.isTransaction) return undefined;
  const hit = caches.get(db)?.entries.get(eventId);
  return hit && Date.now() - hit.loadedAt < MAX_AGE_MS ? hit : undefined;
}

/** The generation to pass to `keepBody`: taken before the load starts, so a drop meanwhile wins. */
export function bodyGeneration(db: Kysely<Database>): number {
  return cacheOf(db).generation;
}

/** Keeps a body loaded outside a transaction, unless something about an event changed since `generation`. */
export function keepBody(db: Kysely<Database>, generation: number, body: EventBody): Entry {
  const entry: Entry = { body, loadedAt: Date.now(), detail: new Map() };
  const cache = cacheOf(db);
  if (!db.isTransaction && generation === cache.generation) cache.store(body.event.id, entry);
  return entry;
}

/** Drops the bodies of these events (something about them changed). */
export function forgetBodies(db: Kysely<Database>, eventIds: Iterable<number>): void {
  caches.get(db)?.forget(eventIds);
}

const changingIn = new WeakMap<object, Set<number>>();

/** Notes, inside a write transaction, that it changes something about an event (see `settleBodies`). */
export function bodyChanging(trx: Kysely<Database>, eventId: number): void {
  let ids = changingIn.get(trx);
  if (!ids) changingIn.set(trx, (ids = new Set()));
  ids.add(eventId);
}

/** After a write transaction committed: this instance drops the bodies it changed before answering. */
export function settleBodies(db: Kysely<Database>, trx: Kysely<Database> | undefined): void {
  const ids = trx && changingIn.get(trx);
  if (ids) forgetBodies(db, ids);
}
