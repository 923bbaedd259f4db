import type { Database } from '@scheduler/db';
import type { Kysely } from 'kysely';

/**
 * Listing pages, cached. A page depends on the caller's events and grants, so
 * any change of state (an event written, a grant changed) drops every page:
 * on the instance that wrote, as soon as the write commits (read your writes),
 * and on every instance when it reads the change from the feed. A load that
 * started before a drop never fills the cache, and a page is re-read after
 * MAX_AGE_MS in any case (a lost wake-up). Point-in-time listings are not
 * cached.
 *
 * Dropping everything rather than the pages of the users concerned keeps the
 * rule obviously right; the cache pays off while reads outnumber writes.
 */

interface Entry {
  value: { results: unknown[] };
  loadedAt: number;
}

const MAX_AGE_MS = 5_000;
const DEFAULT_ROW_LIMIT = 20_000;

class ListingCache {
  readonly entries = new Map<string, Entry>();
  rows = 0;
  generation = 0;
  constructor(readonly rowLimit: number) {}

  forgetAll(): void {
    this.generation += 1;
    this.entries.clear();
    this.rows = 0;
  }

  store(key: string, entry: Entry): void {
    const size = entry.value.results.length + 1;
    if (size > this.rowLimit) return;
    const previous = this.entries.get(key);
    if (previous) {
      this.rows -= previous.value.results.length + 1;
      this.entries.delete(key);
    }
    // Oldest first out: a Map iterates in insertion order.
    for (const [oldKey, old] of this.entries) {
      if (this.rows + size <= this.rowLimit) break;
      this.entries.delete(oldKey);
      this.rows -= old.value.results.length + 1;
    }
    this.entries.set(key, entry);
    this.rows += size;
  }
}

const caches = new WeakMap<Kysely<Database>, ListingCache>();

function cacheOf(db: Kysely<Database>): ListingCache {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new ListingCache(DEFAULT_ROW_LIMIT)));
  return cache;
}

/** Sets how many events (rows of cached pages) this database's listing cache may hold; 0 turns it off. */
export function configureListingCache(db: Kysely<Database>, rowLimit: number): void {
  caches.set(db, new ListingCache(rowLimit));
}

/**
 * A user's listing page for an input, from the cache when it holds one. `key`
 * must name everything the page depends on besides the state of the events
 * (the user, the input, a narrower credential).
 */
export async function cachedListing<T extends { results: unknown[] }>(
  db: Kysely<Database>,
  key: string,
  load: () => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return load();
  const cache = cacheOf(db);
  if (cache.rowLimit === 0) return load();
  const hit = cache.entries.get(key);
  if (hit && Date.now() - hit.loadedAt < MAX_AGE_MS) return hit.value as T;
  const generation = cache.generation;
  const value = await load();
  if (generation === cache.generation) cache.store(key, { value, loadedAt: Date.now() });
  return value;
}

/** Drops every cached page (the state of some events or grants changed). */
export function forgetListings(db: Kysely<Database>): void {
  caches.get(db)?.forgetAll();
}

const changing = new WeakSet<object>();

/** Notes, inside a write transaction, that it changes events or grants (see `settleListings`). */
export function listingsChanging(trx: Kysely<Database>): void {
  changing.add(trx);
}

/** After a write transaction committed: this instance drops its pages before answering. */
export function settleListings(db: Kysely<Database>, trx: Kysely<Database> | undefined): void {
  if (trx && changing.has(trx)) forgetListings(db);
}
