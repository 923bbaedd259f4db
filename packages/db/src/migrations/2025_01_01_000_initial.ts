import { sql, type Kysely } from 'kysely';

/** Users, sessions, events with their permissions and versions, the change feed and the audit log. */
const up_statements = [
  sql`create extension if not exists btree_gist`,
  sql`create table users (
    id serial primary key,
    username text not null,
    email text not null,
    password_hash text not null,
    created_at timestamptz not null default now()
  )`,
  sql`create unique index users_username_lower_key on users (lower(username))`,
  sql`create unique index users_email_lower_key on users (lower(email))`,
  sql`create index users_username_prefix_idx on users (lower(username) text_pattern_ops)`,
  sql`create table auth_sessions (
    id uuid primary key,
    user_id integer not null references users (id) on delete cascade,
    refresh_jti uuid not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    revoked_at timestamptz,
    revoked_reason text
  )`,
  sql`create index auth_sessions_user_idx on auth_sessions (user_id)`,
  sql`create table events (
    id serial primary key,
    owner_id integer not null references users (id),
    title text not null,
    description text not null default '',
    start_time timestamptz not null,
    end_time timestamptz not null,
    location text,
    timezone text not null default 'UTC',
    is_recurring boolean not null default false,
    recurrence_pattern jsonb,
    rrule text,
    series_end timestamptz,
    span tstzrange generated always as (tstzrange(start_time, series_end, '[]')) stored,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    deleted_at timestamptz,
    constraint events_time_order check (end_time >= start_time),
    constraint events_series_order check (series_end is null or series_end >= start_time)
  )`,
  sql`create index events_owner_span_idx on events using gist (owner_id, span) where deleted_at is null`,
  sql`create index events_span_idx on events using gist (span) where deleted_at is null`,
  sql`create index events_start_idx on events (start_time, id) where deleted_at is null`,
  sql`create table event_permissions (
    event_id integer not null references events (id),
    user_id integer not null references users (id),
    role text not null check (role in ('OWNER', 'EDITOR', 'VIEWER')),
    granted_at timestamptz not null default now(),
    granted_by integer references users (id),
    primary key (event_id, user_id)
  )`,
  sql`create index event_permissions_user_idx on event_permissions (user_id, event_id) include (role)`,
  sql`create unique index event_permissions_one_owner on event_permissions (event_id) where role = 'OWNER'`,
  sql`create table event_versions (
    version_id bigserial primary key,
    event_id integer not null references events (id),
    version integer not null,
    history_type char(1) not null check (history_type in ('+', '~', '-')),
    owner_id integer not null,
    title text not null,
    description text not null,
    start_time timestamptz not null,
    end_time timestamptz not null,
    location text,
    timezone text not null,
    is_recurring boolean not null,
    recurrence_pattern jsonb,
    rrule text,
    series_end timestamptz,
    changed_by integer references users (id),
    history_date timestamptz not null default clock_timestamp(),
    change_reason text,
    unique (event_id, version)
  )`,
  sql`create index event_versions_event_idx on event_versions (event_id, version_id desc)`,
  sql`create index event_versions_date_idx on event_versions (event_id, history_date desc)`,
  sql`create table changes (
    id bigserial primary key,
    event_id integer not null references events (id),
    type text not null,
    actor_id integer references users (id),
    at timestamptz not null default clock_timestamp(),
    version_id bigint,
    subject_user_id integer references users (id),
    role text
  )`,
  sql`create index changes_event_idx on changes (event_id, id)`,
  sql`create index changes_subject_idx on changes (subject_user_id, id) where subject_user_id is not null`,
  sql`create table audit_log (
    id bigserial primary key,
    user_id integer references users (id),
    action text not null,
    target_type text,
    target_id text,
    at timestamptz not null default clock_timestamp(),
    request_id text,
    ip text
  )`,
  sql`create index audit_log_user_idx on audit_log (user_id, id desc)`,
  sql`create table collab_updates (
    id bigserial primary key,
    event_id integer not null references events (id),
    update bytea not null,
    created_at timestamptz not null default now()
  )`,
  sql`create index collab_updates_event_idx on collab_updates (event_id, id)`,
  sql`create table collab_documents (
    event_id integer primary key references events (id),
    state bytea not null,
    compacted_through bigint not null default 0,
    updated_at timestamptz not null default now()
  )`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of up_statements) await statement.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'collab_documents',
    'collab_updates',
    'audit_log',
    'changes',
    'event_versions',
    'event_permissions',
    'events',
    'auth_sessions',
    'users',
  ]) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  }
}
