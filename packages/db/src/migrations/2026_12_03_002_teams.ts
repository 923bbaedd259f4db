import { sql, type Kysely } from 'kysely';

/**
 * Teams and grants to teams. event_permissions stays the table of effective
 * access that every reader joins: `role` is the highest of the user's own
 * grant (`own_role`, null when they are there only through a team) and the
 * grants of their teams, kept up to date by the write that changes any of them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table teams (
    id serial primary key,
    name text not null,
    created_at timestamptz not null default now(),
    created_by integer references users (id)
  )`.execute(db);
  await sql`create table team_members (
    team_id integer not null references teams (id) on delete cascade,
    user_id integer not null references users (id),
    role text not null check (role in ('ADMIN', 'MEMBER')),
    joined_at timestamptz not null default now(),
    primary key (team_id, user_id)
  )`.execute(db);
  await sql`create index team_members_user_idx on team_members (user_id, team_id)`.execute(db);
  await sql`create table event_team_grants (
    event_id integer not null references events (id),
    team_id integer not null references teams (id) on delete cascade,
    role text not null check (role in ('EDITOR', 'VIEWER')),
    granted_at timestamptz not null default now(),
    granted_by integer references users (id),
    primary key (event_id, team_id)
  )`.execute(db);
  await sql`create index event_team_grants_team_idx on event_team_grants (team_id, event_id)`.execute(db);
  await sql`alter table event_permissions add column own_role text check (own_role in ('OWNER', 'EDITOR', 'VIEWER'))`.execute(db);
  await sql`update event_permissions set own_role = role`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from event_permissions where own_role is null`.execute(db);
  await sql`update event_permissions set role = own_role`.execute(db);
  await sql`alter table event_permissions drop column own_role`.execute(db);
  await sql`drop table event_team_grants`.execute(db);
  await sql`drop table team_members`.execute(db);
  await sql`drop table teams`.execute(db);
}
