/**
 * History at depth: one event with 10,000 versions. Times the newest history page, the
 * changelog page, one version, and a diff between the first and the last version (plain and
 * word-level), over HTTP on PostgreSQL.
 *   npx tsx bench/history.ts
 */
import { freshDatabase, getJson, register, startServer, summarize, timeRuns } from './support.ts';

const database = await freshDatabase('history');
const server = await startServer({ DATABASE_URL: database.url });
try {
  const user = await register(server.url, 'historian');
  const created = await fetch(`${server.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${user.access}` },
    body: JSON.stringify({ title: 'Deep history', description: 'version 1 of a long description', start_time: '2030-01-01T10:00:00Z', end_time: '2030-01-01T11:00:00Z' }),
  });
  const eventId = ((await created.json()) as { event: { id: number } }).event.id;
  // 9,999 more versions, each with a slightly different title and description.
  await database.pool.query(
    `insert into event_versions (event_id, version, history_type, owner_id, title, description, start_time, end_time,
                                 location, timezone, is_recurring, recurrence_pattern, rrule, series_end, changed_by, change_reason)
     select e.id, v, '~', e.owner_id, 'Deep history rev ' || v, 'version ' || v || ' of a long description with words ' || repeat('lorem ', v % 50),
            e.start_time, e.end_time, e.location, e.timezone, e.is_recurring, e.recurrence_pattern, e.rrule, e.series_end, e.owner_id, null
     from events e, generate_series(2, 10000) v where e.id = $1`,
    [eventId],
  );
  await database.pool.query(`update events set version = 10000, title = 'Deep history rev 10000' where id = $1`, [eventId]);
  await database.pool.query('analyze');
  const history = (await getJson(`${server.url}/api/events/${eventId}/history?limit=1`, user.access)) as Array<{ version_id: number }>;
  const oldest = (await getJson(`${server.url}/api/events/${eventId}/changelog?limit=1`, user.access)) as Array<{ history_id: number }>;
  const first = oldest[0]!.history_id;
  const last = history[0]!.version_id;
  const base = `${server.url}/api/events/${eventId}`;
  const cases: Record<string, string> = {
    'history, newest 100': `${base}/history?limit=100`,
    'history, a page deep inside (cursor)': `${base}/history?limit=100&cursor=${first + 5000}`,
    'changelog, 100 from the middle': `${base}/changelog?limit=100&cursor=${first + 5000}`,
    'one version': `${base}/history/${first + 4321}`,
    'diff first..last': `${base}/diff/${first}/${last}`,
    'diff first..last, word level': `${base}/diff/${first}/${last}?detail=true`,
  };
  for (const [name, url] of Object.entries(cases)) {
    const samples = await timeRuns(200, 20, () => getJson(url, user.access));
    console.log(JSON.stringify({ bench: 'history-10k-versions', case: name, ...summarize(samples) }));
  }
} finally {
  await server.stop();
  await database.drop();
}
