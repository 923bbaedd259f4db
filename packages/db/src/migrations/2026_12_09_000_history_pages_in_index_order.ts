import { sql, type Kysely } from 'kysely';

/**
 * A page of an event's history is read in version order from
 * `event_versions_event_idx` (event, version id), stopping after the page.
 * Planned on statistics that put most of the table in the event (an event
 * edited far more than others, or statistics older than the table's growth),
 * PostgreSQL walked the primary key backwards instead and stepped over every
 * newer version of every other event: 30 ms a page in the benchmark, 115,000
 * rows skipped, growing with every edit anywhere. Or, with too low an
 * estimate, it read all of the event's versions and sorted them.
 * `event_versions_page` asks for the order only that index gives (the event
 * as a range, so the planner keeps it in the order) and turns off the scans
 * and sorts that could stand in for it. The cursor is exclusive, null for the
 * first page.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create function event_versions_page(event integer, after_version bigint, page integer, newest_first boolean)
    returns setof event_versions language plpgsql stable
    set enable_seqscan = off set enable_bitmapscan = off set enable_sort = off
    as $$
    begin
      if newest_first then
        return query select * from event_versions
          where event_id between event and event and version_id < coalesce(after_version, 9223372036854775807)
          order by event_id, version_id desc limit page;
      else
        return query select * from event_versions
          where event_id between event and event and version_id > coalesce(after_version, 0)
          order by event_id desc, version_id limit page;
      end if;
    end $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function event_versions_page(integer, bigint, integer, boolean)`.execute(db);
}
