import { sql, type Kysely } from 'kysely';

/**
 * What a collaborative document last agreed with its event: the event version
 * and the last update included (so a document reopened after a crash can tell
 * edits never written back from a REST change made meanwhile), and who made
 * each update (so a recovered write-back names its editors).
 */
const up_statements = [
  sql`alter table collab_documents add column synced_version integer not null default 0`,
  sql`alter table collab_documents add column synced_through bigint not null default 0`,
  sql`alter table collab_updates add column user_id integer references users (id)`,
  // Documents from before: take them as in agreement with their event as it is now.
  sql`update collab_documents d
        set synced_version = e.version,
            synced_through = greatest(d.compacted_through, coalesce((select max(u.id) from collab_updates u where u.event_id = d.event_id), 0))
        from events e where e.id = d.event_id`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of up_statements) await statement.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table collab_updates drop column user_id`.execute(db);
  await sql`alter table collab_documents drop column synced_through`.execute(db);
  await sql`alter table collab_documents drop column synced_version`.execute(db);
}
