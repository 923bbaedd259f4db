import { sql, type Kysely } from 'kysely';

/**
 * Reminders: an event's `reminders` (content, so every version keeps them)
 * and the due-time table the scheduler reads. `reminder_schedule` holds, per
 * event and offset, the next time a reminder fires; the index on `fire_at`
 * lets the scheduler find what is due without looking at any series.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table events add column reminders jsonb not null default '[]'`.execute(db);
  await sql`alter table event_versions add column reminders jsonb not null default '[]'`.execute(db);
  await sql`create table reminder_schedule (
    event_id integer not null references events (id) on delete cascade,
    minutes_before integer not null,
    occurrence_start timestamptz not null,
    fire_at timestamptz not null,
    primary key (event_id, minutes_before)
  )`.execute(db);
  await sql`create index reminder_schedule_fire_at_idx on reminder_schedule (fire_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists reminder_schedule`.execute(db);
  await sql`delete from changes where type = 'event.reminder'`.execute(db);
  await sql`alter table event_versions drop column reminders`.execute(db);
  await sql`alter table events drop column reminders`.execute(db);
}
