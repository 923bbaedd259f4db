import { sql, type Kysely } from 'kysely';

/**
 * The change feed is pruned past a retention age. `feed_horizon` remembers
 * how far: a sync cursor or live resume id below `pruned_through` may have
 * missed pruned rows and must start again. The index on `at` finds the
 * rows old enough to prune.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table feed_horizon (
    id integer primary key default 1 check (id = 1),
    pruned_through bigint not null default 0
  )`.execute(db);
  await sql`insert into feed_horizon (id, pruned_through) values (1, 0)`.execute(db);
  await sql`create index changes_at_idx on changes (at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists changes_at_idx`.execute(db);
  await sql`drop table if exists feed_horizon`.execute(db);
}
