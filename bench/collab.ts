/**
 * Collaborative typing (target: keystroke-to-other-editor p99 under 150 ms).
 *
 * 50 real y-websocket editors (packages/api/test/support/collab.ts `openDoc`) on one event's
 * description, each typing one character 20 times a second for 30 s at its own cursor (the end
 * of its own line of the seeded text, kept as a Yjs relative position as editors do). A
 * keystroke is identified by the Yjs item id it creates (client id, clock); the typing editor
 * records when it typed it, and every other editor records when the item was integrated into its
 * document (`afterTransaction`, comparing state vectors: no decoding, so all 50 measure). Also
 * the server's CPU and RSS: by default the server is its own process (apps/server/src/main.ts,
 * read from /proc); `--in-process` runs it here and reports process.cpuUsage() for both.
 *
 * All 50 editors in one client process apply every keystroke of the 49 others (~49,000 updates a
 * second at the full rate): on a small machine that process, not the server, saturates first.
 * `--full=N` keeps N editors as complete y-websocket clients (they measure); the others still type
 * at the same rate and are sent everything by the server, but drop the incoming document updates
 * after their initial sync (their keystrokes are then placed within their own text only).
 *
 *   npx tsx bench/collab.ts [editors] [seconds] [--full=N]            (defaults 50, 30, all editors full)
 */
import * as Y from 'yjs';
import { openDoc } from '../packages/api/test/support/collab.ts';
import {
  cpuSeconds,
  freshDatabase,
  loginUsers,
  machineFacts,
  positional,
  rssMiB,
  startServer,
  summarize,
  wantInProcess,
} from './support.ts';

const EDITORS = Number(positional[0] ?? 50);
const SECONDS = Math.min(Number(positional[1] ?? 30), 300);
const RATE = 20; // characters per second per editor
/** One line per editor: each types at the end of its own line. */
const SEED = Array.from({ length: EDITORS }, (_, i) => `Notes of editor ${i + 1}: `).join('\n');
const lineEnd = (text: string, line: number) => {
  let at = -1;
  for (let i = 0; i <= line; i++) at = text.indexOf('\n', at + 1);
  return at === -1 ? text.length : at;
};
const FULL = Math.min(EDITORS, Number(process.argv.find((a) => a.startsWith('--full='))?.slice('--full='.length) ?? EDITORS));

console.log(JSON.stringify({ bench: 'collab', ...machineFacts() }));
const database = await freshDatabase('collab');
const server = await startServer({ DATABASE_URL: database.url, COLLAB_WRITEBACK_MS: '2000' }, { inProcess: wantInProcess(false) });
const serverCpu = () => (server.inProcess ? cpuOfThisProcess() : cpuSeconds(server.pid));
const serverRss = () => (server.inProcess ? Math.round(process.memoryUsage().rss / 2 ** 20) : rssMiB(server.pid));
const cpuOfThisProcess = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
const docs: Array<ReturnType<typeof openDoc>> = [];
try {
  const [owner, ...editors] = await loginUsers(server.url, database.pool, EDITORS, 'typist');
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${owner!.token}` };
  const created = await fetch(`${server.url}/api/events`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      title: 'Shared notes',
      description: SEED,
      start_time: '2030-01-01T10:00:00Z',
      end_time: '2030-01-01T11:00:00Z',
    }),
  });
  const eventId = ((await created.json()) as { event: { id: number } }).event.id;
  const shared = await fetch(`${server.url}/api/events/${eventId}/share`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ users: editors.map((e) => ({ user_id: e.id, role: 'EDITOR' })) }),
  });
  if (shared.status !== 200) throw new Error(`share: ${shared.status} ${await shared.text()}`);

  const typedAt = new Map<number, number[]>(); // Yjs client id -> time typed, by clock
  const latencies: number[] = [];
  for (const [index, user] of [owner!, ...editors].entries()) {
    const doc = openDoc(server.url, eventId, user.token);
    docs.push(doc);
    const self = doc.doc.clientID;
    typedAt.set(self, []);
    if (index >= FULL) {
      // A typing-only editor: after the initial sync, incoming document updates are read and dropped.
      void doc.synced().then(() => (doc.provider.messageHandlers[0] = () => {}));
      continue;
    }
    doc.doc.on('afterTransaction', (tr: Y.Transaction) => {
      if (tr.local) return;
      const now = performance.now();
      tr.afterState.forEach((after, client) => {
        const times = client === self ? undefined : typedAt.get(client);
        if (!times) return;
        for (let clock = tr.beforeState.get(client) ?? 0; clock < after; clock++) {
          const t = times[clock];
          if (t !== undefined) latencies.push(now - t);
        }
      });
    });
  }
  await Promise.all(docs.map((d) => d.synced()));
  console.log(JSON.stringify({ bench: 'collab', editors: EDITORS, connected: true, in_process: server.inProcess }));

  const cpuBefore = serverCpu();
  const clientCpuBefore = cpuOfThisProcess();
  const rssBefore = serverRss();
  let peakRss = rssBefore;
  let keystrokes = 0;
  const started = performance.now();
  // Each editor types at its own cursor, which starts at the end of its own line of the seeded text
  // and follows the text as others type (a Yjs relative position, as editors keep cursors).
  const cursors = docs.map((d, i) => Y.createRelativePositionFromTypeIndex(d.text, lineEnd(d.text.toString(), i), -1));
  const type = (d: (typeof docs)[number], i: number) => {
    const self = d.doc.clientID;
    const clock = Y.getState(d.doc.store, self);
    typedAt.get(self)![clock] = performance.now();
    const at = Y.createAbsolutePositionFromRelativePosition(cursors[i]!, d.doc)?.index ?? d.text.length;
    d.text.insert(at, String.fromCharCode(97 + (i % 26)));
    cursors[i] = Y.createRelativePositionFromTypeIndex(d.text, at + 1, -1);
    keystrokes++;
  };
  // Keystroke k of editor i is due at started + (k + i / EDITORS) / RATE seconds; one timer types
  // whatever is due, so a late timer catches up and the asked rate is kept rather than drifting.
  const typedBy = docs.map(() => 0);
  const typeDue = () => {
    const elapsedSeconds = (performance.now() - started) / 1000;
    if (elapsedSeconds >= SECONDS) return;
    docs.forEach((d, i) => {
      const due = Math.min(SECONDS * RATE, Math.floor(elapsedSeconds * RATE - i / EDITORS) + 1);
      while (typedBy[i]! < due) {
        type(d, i);
        typedBy[i]!++;
      }
    });
  };
  const timers = [setInterval(typeDue, 5)];
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, serverRss())), 1000);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  timers.forEach(clearInterval);
  const elapsed = (performance.now() - started) / 1000;
  const cpu = serverCpu() - cpuBefore;
  const clientCpu = cpuOfThisProcess() - clientCpuBefore;
  // Let the last keystrokes arrive everywhere (bounded).
  const deadline = performance.now() + 15_000;
  const full = docs.slice(0, FULL);
  while (performance.now() < deadline && full.some((d) => d.text.length !== SEED.length + keystrokes))
    await new Promise((r) => setTimeout(r, 100));
  clearInterval(sampler);

  const converged = new Set(full.map((d) => d.text.toString())).size === 1;
  console.log(
    JSON.stringify({
      bench: 'collab',
      seconds: Math.round(elapsed * 10) / 10,
      keystrokes,
      chars_per_editor_per_second: Math.round((keystrokes / EDITORS / elapsed) * 10) / 10,
      receipts: latencies.length,
      full_editors: FULL,
      expected_receipts: Math.round(keystrokes * FULL * (1 - 1 / EDITORS)), // every full editor gets every keystroke but its own
      converged,
      length: docs[0]!.text.length,
    }),
  );
  console.log(JSON.stringify({ bench: 'collab', measure: 'keystroke -> each other editor (ms)', ...summarize(latencies) }));
  console.log(
    JSON.stringify({
      bench: 'collab',
      [server.inProcess ? 'cpu_percent_of_one_core_server_and_clients' : 'server_cpu_percent_of_one_core']: Math.round(
        (cpu / elapsed) * 100,
      ),
      ...(server.inProcess ? {} : { client_process_cpu_percent_of_one_core: Math.round((clientCpu / elapsed) * 100) }),
      [server.inProcess ? 'rss_mib_server_and_clients' : 'server_rss_mib']: { before: rssBefore, peak: peakRss },
    }),
  );
  // The text lands in the event within a few seconds of the last keystroke (bounded wait).
  const expected = docs[0]!.text.toString();
  let writtenBack = false;
  for (let i = 0; i < 40 && !writtenBack; i++) {
    const saved = await database.pool.query<{ description: string }>('select description from events where id = $1', [eventId]);
    writtenBack = saved.rows[0]!.description === expected;
    if (!writtenBack) await new Promise((r) => setTimeout(r, 250));
  }
  console.log(JSON.stringify({ bench: 'collab', written_back: writtenBack }));
} finally {
  for (const d of docs) d.destroy();
  await server.stop();
  await database.drop();
}
