import { sql, type Kysely } from 'kysely';

/**
 * Feed ids are handed out at commit. A reader follows the feed by id, so ids
 * must become visible in id order: an id drawn early by a transaction that
 * commits late would be passed over. Rows are written with a provisional
 * negative id; a deferred trigger, run by the commit itself, takes the feed
 * lock and gives the transaction's rows their final ids, in the order they
 * were written. The lock is held from there to the end of the commit, inside
 * the database, never across a round trip to the application, so commits
 * queue behind each other only for that moment.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create sequence changes_pending_id_seq`.execute(db);
  await sql`alter table changes alter column id set default -nextval('changes_pending_id_seq')`.execute(db);
  await createSetBasedNumbering(db);
  await sql`create constraint trigger changes_numbered_at_commit after insert on changes
    deferrable initially deferred for each row execute function changes_number_at_commit()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists changes_numbered_at_commit on changes`.execute(db);
  await sql`drop function if exists changes_number_at_commit()`.execute(db);
  await sql`alter table changes alter column id set default nextval('changes_id_seq')`.execute(db);
  await sql`drop sequence if exists changes_pending_id_seq`.execute(db);
}

/**
 * This migration's numbering function: the first row's trigger renumbers all
 * of the transaction's rows in one statement. Exported for the migration that
 * replaced it, to put it back on the way down.
 */
export async function createSetBasedNumbering(db: Kysely<any>): Promise<void> {
  await sql`create or replace function changes_number_at_commit() returns trigger language plpgsql as $$
    begin
      -- The first row's trigger numbers every row of the transaction; the others have nothing left to do.
      if current_setting('scheduler.feed_numbered', true) = 'yes' then
        return null;
      end if;
      perform set_config('scheduler.feed_numbered', 'yes', true);
      perform pg_advisory_xact_lock(7302);
      update changes c set id = numbered.id
        from (select pending.id as provisional, nextval('changes_id_seq') as id
              from (select id from changes where id < 0 order by id desc offset 0) pending) numbered
        where c.id = numbered.provisional;
      return null;
    end $$`.execute(db);
}
