import { sql, type Kysely } from 'kysely';

/**
 * `changes_number_pending()` looks for provisional (negative) ids. Planned at
 * each call, on a feed that grew faster than the statistics were gathered
 * (a new database, a burst of writes between two autovacuum visits), it read
 * the whole feed to find them: 5 ms at 43,000 rows and growing with every
 * row. The provisional ids are the primary key's left end; the function reads
 * them through it, whatever the statistics say.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter function changes_number_pending() set enable_seqscan = off`.execute(db);
  await sql`alter function changes_number_pending() set enable_bitmapscan = off`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter function changes_number_pending() reset all`.execute(db);
}
