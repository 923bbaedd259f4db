/**
 * History at depth (target: under 20 ms per request on PostgreSQL).
 *
 * One event created through the API, then 9,999 more versions inserted set-based into
 * event_versions (versions 2..10,000, each with a different title and description) and the
 * event row brought to version 10,000. Times, over HTTP, 200 sequential requests each after 20
 * warm-up ones: the newest history page, the oldest changelog page, a page deep inside both,
 * one snapshot, and the diff between the first and the last version (plain and word-level).
 *
 *   npx tsx bench/history.ts            (server in this process; `--child` runs apps/server instead)
 */
import { seedHistory } from './seeds.ts';
import { freshDatabase, getJson, machineFacts, register, startServer, summarize, timeRuns, wantInProcess } from './support.ts';

const VERSIONS = 10_000;
const RUNS = 200;

console.log(JSON.stringify({ bench: 'history', ...machineFacts() }));
const database = await freshDatabase('history');
const server = await startServer({ DATABASE_URL: database.url }, { inProcess: wantInProcess(true) });
try {
  const user = await register(server.url, 'historian');
  const created = await fetch(`${server.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${user.access}` },
    body: JSON.stringify({
      title: 'Deep history',
      description: 'version 1 of a long description',
      start_time: '2030-01-01T10:00:00Z',
      end_time: '2030-01-01T11:00:00Z',
    }),
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`);
  const eventId = ((await created.json()) as { event: { id: number } }).event.id;
  const t0 = performance.now();
  const { n, first, last } = await seedHistory(database.pool, eventId, VERSIONS);
  console.log(JSON.stringify({ bench: 'history', versions: n, seed_ms: Math.round(performance.now() - t0), in_process: server.inProcess }));
  if (n !== VERSIONS) throw new Error(`expected ${VERSIONS} versions, found ${n}`);

  const base = `${server.url}/api/events/${eventId}`;
  const middle = first + VERSIONS / 2;
  const cases: Record<string, string> = {
    'history?limit=100 (newest page)': `${base}/history?limit=100`,
    'history?limit=100&cursor=… (page 50)': `${base}/history?limit=100&cursor=${middle}`,
    'changelog?limit=100 (oldest page)': `${base}/changelog?limit=100`,
    'changelog?limit=100&cursor=… (page 50)': `${base}/changelog?limit=100&cursor=${middle}`,
    'history/{version_id} (one snapshot)': `${base}/history/${first + 4321}`,
    'diff/{first}/{last}': `${base}/diff/${first}/${last}`,
    'diff/{first}/{last}?detail=true': `${base}/diff/${first}/${last}?detail=true`,
  };
  for (const [name, url] of Object.entries(cases)) {
    const answer = await getJson(url, user.access);
    const samples = await timeRuns(RUNS, 20, () => getJson(url, user.access));
    const size = Array.isArray(answer) ? answer.length : Object.keys(answer as object).length;
    console.log(JSON.stringify({ bench: 'history', case: name, answer_items: size, ...summarize(samples) }));
  }
} finally {
  await server.stop();
  await database.drop();
}
