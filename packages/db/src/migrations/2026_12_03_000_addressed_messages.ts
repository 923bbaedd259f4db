import { sql, type Kysely } from 'kysely';

/**
 * The change feed carries more than event changes: messages addressed to one
 * user (an invitation, a notice about one of their webhooks) and messages with
 * a body of their own (a reminder). `recipient_id` set: only that user receives
 * the row; `payload`: fields merged into the live message. Such rows may have
 * no event, and sync ignores them (they are news, not state).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table changes alter column event_id drop not null`.execute(db);
  await sql`alter table changes add column recipient_id integer references users (id) on delete cascade`.execute(db);
  await sql`alter table changes add column payload jsonb`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table changes drop column payload`.execute(db);
  await sql`alter table changes drop column recipient_id`.execute(db);
  await sql`delete from changes where event_id is null`.execute(db);
  await sql`alter table changes alter column event_id set not null`.execute(db);
}
