import { sql, type Kysely } from 'kysely';

/**
 * One row per owner whose calendar was written, counting its writes. A write
 * that checks for overlaps either bumps it first inside its transaction (the
 * row lock then serializes the owner's writers, as the advisory lock did), or
 * reads it with the overlap check and bumps it only if it is unchanged, in the
 * statement that writes: a create with no lock held across a round trip.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table calendar_versions (
    owner_id integer primary key references users (id) on delete cascade,
    version bigint not null
  )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists calendar_versions`.execute(db);
}
