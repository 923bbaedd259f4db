import { sql, type Kysely } from 'kysely';

/**
 * One secret calendar feed per user (`GET /api/calendar/{secret}.ics`). Only
 * a SHA-256 hash of the secret is kept: the feed is found by hashing what the
 * URL presents, so the lookup compares no secret byte by byte and a leaked
 * table gives no working URL. Rotating replaces the row's hash.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table calendar_feeds (
    user_id integer primary key references users (id) on delete cascade,
    secret_hash text not null,
    created_at timestamptz not null default now()
  )`.execute(db);
  await sql`create unique index calendar_feeds_secret_hash_key on calendar_feeds (secret_hash)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists calendar_feeds`.execute(db);
}
