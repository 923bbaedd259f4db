import { sql, type Kysely } from 'kysely';

/**
 * Tags and metadata are event content: on the event and on every version (a
 * version is a full snapshot). The GIN index serves the listing's tag filters
 * (`tags && array[...]`, `tags @> array[...]`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['events', 'event_versions']) {
    await sql`alter table ${sql.table(table)} add column tags text[] not null default '{}'`.execute(db);
    await sql`alter table ${sql.table(table)} add column metadata jsonb not null default '{}'`.execute(db);
  }
  await sql`create index events_tags_idx on events using gin (tags)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index events_tags_idx`.execute(db);
  for (const table of ['events', 'event_versions']) {
    await sql`alter table ${sql.table(table)} drop column metadata`.execute(db);
    await sql`alter table ${sql.table(table)} drop column tags`.execute(db);
  }
}
