/**
 * Collaborative typing: 50 real y-websocket editors on one document, each typing 20
 * characters a second for 30 s. For every keystroke, the time until each other editor has it
 * (matched by the Yjs item id the keystroke created), and the server's CPU and memory.
 *   npx tsx bench/collab.ts [editors] [seconds]
 */
import * as Y from 'yjs';
import { openDoc } from '../packages/api/test/support/collab.ts';
import { cpuSeconds, freshDatabase, mintUsers, rssMiB, startServer, summarize } from './support.ts';

const EDITORS = Number(process.argv[2] ?? 50);
const SECONDS = Number(process.argv[3] ?? 30);
const RATE = 20; // characters per second per editor

const database = await freshDatabase('collab');
const server = await startServer({ DATABASE_URL: database.url, COLLAB_WRITEBACK_MS: '2000' });
const docs: Array<ReturnType<typeof openDoc>> = [];
try {
  const [owner, ...editors] = await mintUsers(database.pool, EDITORS, 'typist');
  const { rows } = await database.pool.query<{ id: number }>(
    `insert into events (owner_id, title, start_time, end_time, timezone, is_recurring, series_end, version, updated_at)
     values ($1, 'Shared notes', '2030-01-01T10:00:00Z', '2030-01-01T11:00:00Z', 'UTC', false, '2030-01-01T11:00:00Z', 1, now()) returning id`,
    [owner!.id],
  );
  const eventId = rows[0]!.id;
  await database.pool.query(`insert into event_permissions (event_id, user_id, role) values ($1, $2, 'OWNER')`, [eventId, owner!.id]);
  await database.pool.query(`insert into event_permissions (event_id, user_id, role) select $1, unnest($2::int[]), 'EDITOR'`, [eventId, editors.map((e) => e.id)]);
  await database.pool.query(
    `insert into event_versions (event_id, version, history_type, owner_id, title, description, start_time, end_time, timezone, is_recurring, series_end, changed_by)
     select id, 1, '+', owner_id, title, description, start_time, end_time, timezone, is_recurring, series_end, owner_id from events where id = $1`,
    [eventId],
  );

  const sentAt = new Map<string, number>(); // "client:clock" -> when typed
  const latencies: number[] = [];
  // Everyone types; the first MEASURING editors also time arrivals (decoding every update in all
  // 50 editors would make this process, not the server, the bottleneck).
  const MEASURING = 10;
  for (const [index, user] of [owner!, ...editors].entries()) {
    const doc = openDoc(server.url, eventId, user.token);
    docs.push(doc);
    if (index >= MEASURING) continue;
    doc.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === null || origin === doc.doc.clientID) return; // our own keystrokes
      const now = performance.now();
      for (const struct of Y.decodeUpdate(update).structs) {
        if (struct.id.client === doc.doc.clientID) continue;
        const sent = sentAt.get(`${struct.id.client}:${struct.id.clock}`);
        if (sent !== undefined) latencies.push(now - sent);
      }
    });
  }
  await Promise.all(docs.map((d) => d.synced()));
  console.log(`${EDITORS} editors connected`);

  const cpuBefore = cpuSeconds(server.child.pid!);
  const rssBefore = rssMiB(server.child.pid!);
  let peakRss = rssBefore;
  const started = performance.now();
  const timers = docs.map((d, i) =>
    setInterval(() => {
      const clock = Y.getState(d.doc.store, d.doc.clientID);
      sentAt.set(`${d.doc.clientID}:${clock}`, performance.now());
      const text = d.text;
      text.insert(Math.floor(Math.random() * (text.length + 1)), String.fromCharCode(97 + (i % 26)));
    }, 1000 / RATE),
  );
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMiB(server.child.pid!))), 1000);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  timers.forEach(clearInterval);
  clearInterval(sampler);
  const elapsed = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 3000));
  const cpu = cpuSeconds(server.child.pid!) - cpuBefore;

  const texts = new Set(docs.map((d) => d.text.toString()));
  const keystrokes = sentAt.size;
  console.log(JSON.stringify({ bench: 'collab', editors: EDITORS, seconds: SECONDS, keystrokes, chars_per_editor_per_second: Math.round((keystrokes / EDITORS / elapsed) * 10) / 10, receipts: latencies.length, expected_receipts_about: Math.round(keystrokes * (Math.min(MEASURING, EDITORS) - Math.min(MEASURING, EDITORS) / EDITORS)), converged: texts.size === 1, length: docs[0]!.text.length }));
  console.log(JSON.stringify({ bench: 'collab', measure: 'keystroke -> every other editor (ms)', ...summarize(latencies) }));
  console.log(JSON.stringify({ bench: 'collab', server_cpu_percent_of_one_core: Math.round((cpu / elapsed) * 100), server_rss_mib: { before: rssBefore, peak: peakRss } }));
  const saved = await database.pool.query<{ description: string }>('select description from events where id = $1', [eventId]);
  console.log(JSON.stringify({ bench: 'collab', written_back: saved.rows[0]!.description.length === docs[0]!.text.length }));
} finally {
  for (const d of docs) d.destroy();
  await server.stop();
  await database.drop();
}
