import { sql, type Kysely } from 'kysely';

/**
 * Long-lived API tokens for scripts and integrations. Only the SHA-256 of a
 * token is stored (hex): tokens are 32 random bytes, so a fast hash is enough
 * and lets a request find its token by an indexed equality. `access` caps the
 * user's role (read: no writes); `tags` / `event_ids`, when set, narrow the
 * events the token can see. `last_used_at` is written in batches, not per request.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table api_tokens (
    id serial primary key,
    user_id integer not null references users (id) on delete cascade,
    name text not null,
    token_hash text not null unique,
    access text not null check (access in ('read', 'write')),
    tags text[],
    event_ids integer[],
    expires_at timestamptz,
    created_at timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at timestamptz
  )`.execute(db);
  await sql`create index api_tokens_user_idx on api_tokens (user_id, id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists api_tokens`.execute(db);
}
