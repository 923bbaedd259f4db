/**
 * Listing at scale: 100,000 events of 100 owners; one user sees 1,000 of them
 * (600 own, 400 shared). Times GET /api/events pages over HTTP on PostgreSQL.
 *   npx tsx bench/listing.ts
 */
import { freshDatabase, getJson, register, startServer, summarize, timeRuns } from './support.ts';

const database = await freshDatabase('listing');
const server = await startServer({ DATABASE_URL: database.url });
try {
  const me = await register(server.url, 'lister');
  const { pool } = database;
  await pool.query(`insert into users (username, email, password_hash) select 'owner' || i, 'owner' || i || '@b.test', 'x' from generate_series(1, 99) i`);
  const t0 = performance.now();
  // 600 events of mine and 99,400 of 99 other owners, spread over five years.
  await pool.query(
    `insert into events (owner_id, title, description, location, start_time, end_time, timezone, is_recurring, series_end, version, updated_at)
     select case when i <= 600 then $1 else (select min(id) from users where id <> $1) + (i % 99) end,
            'Event ' || i, 'Description of event ' || i, case when i % 7 = 0 then 'Room ' || (i % 13) end,
            timestamptz '2025-01-01' + (i * interval '26 minutes'),
            timestamptz '2025-01-01' + (i * interval '26 minutes') + interval '25 minutes',
            'UTC', false, timestamptz '2025-01-01' + (i * interval '26 minutes') + interval '25 minutes', 1,
            now() - (i * interval '1 second')
     from generate_series(1, 100000) i`,
    [me.id],
  );
  await pool.query(`insert into event_permissions (event_id, user_id, role) select id, owner_id, 'OWNER' from events`);
  await pool.query(
    `insert into event_permissions (event_id, user_id, role)
     select id, $1, case when id % 2 = 0 then 'EDITOR' else 'VIEWER' end from events where owner_id <> $1 order by id limit 400`,
    [me.id],
  );
  await pool.query('analyze');
  console.log(`seeded 100,000 events in ${Math.round(performance.now() - t0)} ms`);
  const visible = (await getJson(`${server.url}/api/events?page_size=1`, me.access)) as { count: number };
  console.log(`the user sees ${visible.count} events`);

  const queries: Record<string, string> = {
    'page 1 (default sort)': 'page=1&page_size=10',
    'page 50': 'page=50&page_size=10',
    'window (one month)': 'start_date=2025-02-01T00:00:00Z&end_date=2025-03-01T00:00:00Z',
    'text search q=': 'q=Event%2012',
    'sort=-updated_at': 'sort=-updated_at',
  };
  for (const [name, query] of Object.entries(queries)) {
    const samples = await timeRuns(200, 20, () => getJson(`${server.url}/api/events?${query}`, me.access));
    console.log(JSON.stringify({ bench: 'listing', query: name, ...summarize(samples) }));
  }
  // The two statements the listing runs: the caller's permission rows, then their events by id.
  const ids = (await pool.query<{ event_id: number }>('select event_id from event_permissions where user_id = $1', [me.id])).rows.map((r) => r.event_id);
  const plan = await pool.query(
    `explain (analyze, buffers)
     with matched as materialized (select * from events e where e.id = any($1::int[]) and e.deleted_at is null)
     select e.*, count(*) over () from matched e order by e.start_time, e.id limit 10`,
    [ids],
  );
  console.log(plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n'));
} finally {
  await server.stop();
  await database.drop();
}
