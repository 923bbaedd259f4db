import type { Database } from '@scheduler/db';
import { sql, type Kysely } from 'kysely';

/**
 * Feed rows are committed with provisional ids that no reader follows, and
 * are given their final, ordered ids after the commit, by the database's
 * `changes_number_pending()` (one call at a time across every instance; see
 * migration 2026_12_06_000). Writers commit without waiting on each other,
 * and one call numbers the rows of every write that committed before it.
 */

/**
 * The advisory lock `changes_number_pending()` takes: whoever gives feed rows
 * their final ids holds it to its commit, so ids become visible in order. A
 * statement that is already one at a time (the shared create statement) can
 * take it and write its rows numbered, saving a numbering after it.
 */
export const FEED_NUMBERING_LOCK = 7302;

/** Writers (transactions or connections) that inserted feed rows, to be numbered once committed. */
const writingFeed = new WeakSet<object>();

/** Notes, inside a write, that it inserts feed rows (see `wroteFeed`). */
export function feedWriting(writer: Kysely<Database>): void {
  writingFeed.add(writer);
}

/** True when the writer inserted feed rows: once committed, it numbers the feed before answering. */
export function wroteFeed(writer: Kysely<Database> | undefined): boolean {
  return writer !== undefined && writingFeed.has(writer);
}

interface Numbering {
  running: boolean;
  waiting: Array<(numbered: boolean) => void>;
  /** Vacuum the feed after this many rows were numbered (0: never; PostgreSQL's autovacuum does it). */
  vacuumEvery: number;
  numberedSinceVacuum: number;
}

const numberings = new WeakMap<object, Numbering>();

function numberingOf(db: Kysely<Database>): Numbering {
  let numbering = numberings.get(db);
  if (!numbering) numberings.set(db, (numbering = { running: false, waiting: [], vacuumEvery: 0, numberedSinceVacuum: 0 }));
  return numbering;
}

/**
 * The embedded database has no autovacuum. Each numbering leaves the rows'
 * provisional versions behind, and the next numbering, which looks for
 * provisional ids, would step over all of them; the feed is vacuumed after
 * every `vacuumEvery` rows numbered instead.
 */
export function configureFeedNumbering(db: Kysely<Database>, options: { vacuumEvery: number }): void {
  numberingOf(db).vacuumEvery = options.vacuumEvery;
}

/**
 * Numbers every feed row committed before this call. Calls that arrive while
 * a numbering is under way are served together by the next one. Resolves
 * false when the numbering failed (the database went away): the write itself
 * has committed, its rows stay invisible to readers until a later numbering
 * (the live hub runs one every few seconds), and nothing is lost.
 */
export function numberFeed(db: Kysely<Database>): Promise<boolean> {
  const numbering = numberingOf(db);
  const numbered = new Promise<boolean>((resolve) => numbering.waiting.push(resolve));
  if (!numbering.running) void serve(db, numbering);
  return numbered;
}

async function serve(db: Kysely<Database>, numbering: Numbering): Promise<void> {
  numbering.running = true;
  while (numbering.waiting.length > 0) {
    const served = numbering.waiting.splice(0);
    const count = await sql<{ numbered: number }>`select changes_number_pending() as numbered`.execute(db).then(
      ({ rows }) => rows[0]!.numbered,
      () => undefined,
    );
    for (const resolve of served) resolve(count !== undefined);
    numbering.numberedSinceVacuum += count ?? 0;
    if (numbering.vacuumEvery > 0 && numbering.numberedSinceVacuum >= numbering.vacuumEvery) {
      numbering.numberedSinceVacuum = 0;
      // Best effort: a vacuum that fails is tried again after the next rows.
      await sql`vacuum changes`.execute(db).catch(() => undefined);
    }
  }
  numbering.running = false;
}
