import { sql, type Kysely } from 'kysely';

/**
 * `changes_number_pending()` renumbers the provisional rows it found by
 * joining them back to the feed. Planned on statistics older than the feed
 * (a new database, a burst between two autovacuum visits), the join hashed
 * the whole feed to find a dozen rows: 24 ms at 47,000 rows and growing with
 * every row. Each provisional row is now found again through the primary
 * key, whatever the statistics say.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter function changes_number_pending() set enable_hashjoin = off`.execute(db);
  await sql`alter function changes_number_pending() set enable_mergejoin = off`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter function changes_number_pending() reset enable_hashjoin`.execute(db);
  await sql`alter function changes_number_pending() reset enable_mergejoin`.execute(db);
}
