import { sql, type Kysely } from 'kysely';

/**
 * Invitations (a grant that waits for the invitee's answer) and RSVPs (each
 * participant's answer to an event). RSVPs have a table of their own rather
 * than a column of event_permissions: a participant may hold access through
 * more than one grant, and the answer belongs to the person, not the grant.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table invitations (
    id serial primary key,
    event_id integer not null references events (id),
    inviter_id integer not null references users (id) on delete cascade,
    invitee_id integer not null references users (id) on delete cascade,
    role text not null check (role in ('EDITOR', 'VIEWER')),
    message text,
    status text not null default 'pending' check (status in ('pending', 'accepted', 'declined', 'cancelled')),
    created_at timestamptz not null default now(),
    responded_at timestamptz
  )`.execute(db);
  // At most one pending invitation per person and event, whatever the concurrency.
  await sql`create unique index invitations_one_pending on invitations (event_id, invitee_id) where status = 'pending'`.execute(db);
  await sql`create index invitations_invitee_idx on invitations (invitee_id, id)`.execute(db);
  await sql`create index invitations_event_idx on invitations (event_id, id)`.execute(db);
  await sql`create table event_rsvps (
    event_id integer not null references events (id),
    user_id integer not null references users (id) on delete cascade,
    response text not null check (response in ('accepted', 'declined', 'tentative')),
    updated_at timestamptz not null default now(),
    primary key (event_id, user_id)
  )`.execute(db);
  await sql`create index event_rsvps_user_idx on event_rsvps (user_id, event_id) where response = 'accepted'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from changes where type in ('invitation.created', 'invitation.accepted', 'invitation.declined', 'invitation.cancelled', 'rsvp.updated')`.execute(
    db,
  );
  await sql`drop table event_rsvps`.execute(db);
  await sql`drop table invitations`.execute(db);
}
