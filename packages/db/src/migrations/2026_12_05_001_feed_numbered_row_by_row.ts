import { sql, type Kysely } from 'kysely';
import { createSetBasedNumbering } from './2026_12_04_000_feed_numbered_at_commit.ts';

/**
 * The commit-time numbering of 2026_12_04_000 renumbered a transaction's feed
 * rows in one UPDATE joined to `select id from changes where id < 0`. Inside
 * the trigger function that plan is generic: a sequential scan of the whole
 * feed and a hash join, once per commit, so every commit cost more than the
 * one before (a create took 12 ms to commit on a feed of 36,000 rows). Each
 * row's own trigger now moves that row by its primary key; deferred row
 * triggers fire in the order the rows were written, so ids keep that order.
 * The first trigger of a transaction takes the feed lock.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await createRowByRowNumbering(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await createSetBasedNumbering(db);
}

/** This migration's numbering function, exported for the migration that replaced it, to put it back on the way down. */
export async function createRowByRowNumbering(db: Kysely<any>): Promise<void> {
  await sql`create or replace function changes_number_at_commit() returns trigger language plpgsql as $$
    begin
      if current_setting('scheduler.feed_numbered', true) is distinct from 'yes' then
        perform set_config('scheduler.feed_numbered', 'yes', true);
        perform pg_advisory_xact_lock(7302);
      end if;
      update changes set id = nextval('changes_id_seq') where id = new.id;
      return null;
    end $$`.execute(db);
}
