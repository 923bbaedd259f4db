/**
 * Listing at scale (target: a page under 20 ms on PostgreSQL).
 *
 * Seeds, set-based in SQL, 100,000 events of 100 owners spread over ~5 years (every 40th one
 * weekly-recurring, 10 occurrences), one OWNER permission row per event, one extra VIEWER/EDITOR
 * share per event among the other owners, and 400 shares to the measured user, who owns 600:
 * that user sees exactly 1,000 events. Then ANALYZE, and times GET /api/events over HTTP
 * (200 sequential requests per query after 20 warm-up ones) and prints EXPLAIN (ANALYZE, BUFFERS)
 * of the SQL statements the server really ran for one request (captured with a Kysely plugin).
 *
 *   npx tsx bench/listing.ts            (server in this process; `--child` runs apps/server instead, without plans)
 */
import { PostgresQueryCompiler, type KyselyPlugin } from 'kysely';
import { openDatabase } from '@scheduler/db';
import { seedListing } from './seeds.ts';
import { freshDatabase, getJson, machineFacts, register, startServer, summarize, timeRuns, wantInProcess } from './support.ts';

const EVENTS = 100_000;
const RUNS = 200;

console.log(JSON.stringify({ bench: 'listing', ...machineFacts() }));
const database = await freshDatabase('listing');

// The server's own database handle, with a plugin that records the SQL it sends while `captured` is set.
const compiler = new PostgresQueryCompiler();
// (transformQuery also sees sub-queries as they are built; only statements that return a result ran.)
let captured: Array<{ sql: string; parameters: readonly unknown[] }> | null = null;
const built = new Map<string, { sql: string; parameters: readonly unknown[] }>();
const recorder: KyselyPlugin = {
  transformQuery: ({ node, queryId }) => {
    if (captured) built.set(queryId.queryId, compiler.compileQuery(node, queryId));
    return node;
  },
  transformResult: async ({ result, queryId }) => {
    const statement = built.get(queryId.queryId);
    if (captured && statement) captured.push(statement);
    return result;
  },
};
const inProcess = wantInProcess(true);
const handle = await openDatabase({ url: database.url, poolSize: 10 });
const server = await startServer(
  { DATABASE_URL: database.url },
  { inProcess, database: { ...handle, db: handle.db.withPlugin(recorder) } },
);
if (!inProcess) await handle.close();
try {
  const me = await register(server.url, 'lister');
  const { pool } = database;
  const t0 = performance.now();
  const sizes = await seedListing(pool, me.id, EVENTS);
  const visible = (await getJson(`${server.url}/api/events?page_size=1`, me.access)) as { count: number };
  console.log(
    JSON.stringify({
      bench: 'listing',
      seed_ms: Math.round(performance.now() - t0),
      ...sizes,
      api_count: visible.count,
      in_process: inProcess,
    }),
  );
  if (visible.count !== 1000) throw new Error(`expected the user to see 1,000 events, saw ${visible.count}`);

  const queries: Record<string, string> = {
    'page 1': 'page=1&page_size=10',
    'page 50 (last)': 'page=50&page_size=10',
    'one-month window': 'page=1&page_size=10&start_date=2026-03-01T00:00:00Z&end_date=2026-04-01T00:00:00Z',
    'text search q=review': 'page=1&page_size=10&q=review',
    'sort=-updated_at': 'page=1&page_size=10&sort=-updated_at',
  };
  // For scale: an authenticated request that reads one row (token check, session lookup, JSON).
  const floor = await timeRuns(RUNS, 20, () => getJson(`${server.url}/api/auth/me`, me.access));
  console.log(JSON.stringify({ bench: 'listing', query: '/api/auth/me (floor)', ...summarize(floor) }));
  for (const [name, query] of Object.entries(queries)) {
    const url = `${server.url}/api/events?${query}`;
    const samples = await timeRuns(RUNS, 20, () => getJson(url, me.access));
    const page = (await getJson(url, me.access)) as { count: number };
    console.log(JSON.stringify({ bench: 'listing', query, name, matches: page.count, ...summarize(samples) }));
  }

  if (inProcess) {
    for (const name of ['page 1', 'one-month window', 'text search q=review']) {
      captured = [];
      await getJson(`${server.url}/api/events?${queries[name]}`, me.access);
      const statements = captured.filter((s) => /^(select|with)/i.test(s.sql.trim()) && /"event(s|_permissions)"/.test(s.sql));
      captured = null;
      built.clear();
      for (const statement of statements) {
        const plan = await pool.query(`explain (analyze, buffers) ${statement.sql}`, [...statement.parameters]);
        const shown = statement.sql.replace(/\s+/g, ' ').replace(/any\(\$\d+::int\[\]\)/, 'any($ids::int[])');
        console.log(`\n-- ${name}: ${shown.length > 300 ? shown.slice(0, 300) + ' ...' : shown}`);
        const lines = plan.rows.map((r: Record<string, string>) =>
          r['QUERY PLAN']!.replace(/'\{[\d,]{200,}\}'/, (ids) => `'{…${ids.split(',').length} ids…}'`),
        );
        console.log(lines.join('\n'));
      }
    }
  }
} finally {
  await server.stop();
  await database.drop();
}
