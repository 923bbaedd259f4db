import { sql, type Kysely } from 'kysely';
import { createRowByRowNumbering } from './2026_12_05_001_feed_numbered_row_by_row.ts';

/**
 * Feed rows are numbered after their transaction commits instead of by it.
 * Numbering inside the commit held the feed lock through the commit's WAL
 * flush, so every write in the database committed one after another. Writers
 * now commit their rows with provisional (negative) ids, which no reader
 * follows, and then call `changes_number_pending()`: one call at a time, to
 * its commit, gives every committed provisional row its final id, so a later
 * call's ids are higher and visible later, and one call numbers the rows of
 * every write that committed meanwhile. Rows keep their transaction together,
 * in the order they were written.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists changes_numbered_at_commit on changes`.execute(db);
  await sql`drop function if exists changes_number_at_commit()`.execute(db);
  await sql`create function changes_number_pending() returns integer language plpgsql as $$
    declare
      numbered integer;
    begin
      perform pg_advisory_xact_lock(7302);
      -- A statement of its own, so its snapshot holds every numbering that committed before the lock
      -- came; planned at each call (EXECUTE), as a plan cached while the feed was small would scan it whole.
      execute $numbering$
        update changes c set id = n.final_id
        from (select pending.id, nextval('changes_id_seq') as final_id
              from (select id from changes where id < 0
                    order by max(id) over (partition by xmin::text) desc, id desc
                    offset 0) pending) n
        where c.id = n.id $numbering$;
      get diagnostics numbered = row_count;
      return numbered;
    end $$`.execute(db);
  // Numbering looks for provisional ids, stepping over the versions earlier numberings left behind
  // until a vacuum removes them: the feed is vacuumed after every thousand or so rows, not after a fifth of it.
  await sql`alter table changes set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table changes reset (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold)`.execute(db);
  await sql`select changes_number_pending()`.execute(db);
  await sql`drop function changes_number_pending()`.execute(db);
  await createRowByRowNumbering(db);
  await sql`create constraint trigger changes_numbered_at_commit after insert on changes
    deferrable initially deferred for each row execute function changes_number_at_commit()`.execute(db);
}
