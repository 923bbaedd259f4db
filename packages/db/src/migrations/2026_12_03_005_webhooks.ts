import { sql, type Kysely } from 'kysely';

/**
 * Webhooks: a user's hooks, an outbox of deliveries (one per message and
 * hook), the log of their attempts, and how far the change feed has been
 * turned into deliveries. Deliveries are claimed with a lease, so a message
 * goes out once per hook whatever the number of instances and restarts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table webhooks (
    id serial primary key,
    user_id integer not null references users (id) on delete cascade,
    url text not null,
    secret text not null,
    types text[],
    event_id integer references events (id) on delete cascade,
    tags text[],
    active boolean not null default true,
    created_at timestamptz not null default now(),
    failing_since timestamptz,
    disabled_reason text
  )`.execute(db);
  await sql`create index webhooks_user_idx on webhooks (user_id)`.execute(db);

  await sql`create table webhook_deliveries (
    id bigserial primary key,
    webhook_id integer not null references webhooks (id) on delete cascade,
    change_id bigint,
    message_id text not null,
    type text not null,
    payload jsonb not null,
    event_id integer,
    attempt integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    lease_until timestamptz,
    status text not null default 'pending' check (status in ('pending', 'delivered', 'failed', 'dropped')),
    created_at timestamptz not null default now(),
    unique (webhook_id, change_id)
  )`.execute(db);
  await sql`create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status = 'pending'`.execute(db);

  await sql`create table webhook_attempts (
    id bigserial primary key,
    delivery_id bigint not null references webhook_deliveries (id) on delete cascade,
    attempt integer not null,
    status_code integer,
    ok boolean not null,
    error text,
    at timestamptz not null default now()
  )`.execute(db);
  await sql`create index webhook_attempts_delivery_idx on webhook_attempts (delivery_id)`.execute(db);

  // Starts at the feed's head: a new deployment does not replay history to hooks created later.
  await sql`create table webhook_feed_cursor (
    id integer primary key default 1 check (id = 1),
    last_change_id bigint not null default 0
  )`.execute(db);
  await sql`insert into webhook_feed_cursor (id, last_change_id) select 1, coalesce(max(id), 0) from changes`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists webhook_feed_cursor`.execute(db);
  await sql`drop table if exists webhook_attempts`.execute(db);
  await sql`drop table if exists webhook_deliveries`.execute(db);
  await sql`drop table if exists webhooks`.execute(db);
}
