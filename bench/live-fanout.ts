/**
 * Live fan-out (targets: p99 under 100 ms and under 300 MB resident with 2,000 subscribers).
 *
 * One event, shared (VIEWER, through POST /api/events/{id}/share) with 2,000 users who were
 * created set-based in SQL and logged in through POST /api/auth/login (real tokens). Each
 * subscribes with its own @trpc/client WebSocket client (`live.onChange`, `{ event_id }`, token in
 * connectionParams). Then two unmeasured PUTs (as the harness floor warms up too) and 20 measured
 * PUTs of the title, one every 500 ms; for every receipt, the time
 * from the PUT's response (and from its request) to the subscriber's onData. Memory: by default
 * the server is its own process (apps/server/src/main.ts) and its VmRSS is read from /proc;
 * with `--in-process` the server runs in this process and process.memoryUsage().rss covers
 * server and clients together.
 *
 * `--bundle` runs the server from the production bundle (apps/server/dist/main.mjs) instead of tsx.
 *
 *   npx tsx bench/live-fanout.ts [subscribers] [--in-process | --bundle]            (default 2000)
 */
import type { createWSClient } from '@trpc/client';
import {
  cpuSeconds,
  freshDatabase,
  loginUsers,
  machineFacts,
  positional,
  register,
  rssMiB,
  startServer,
  subscribeEach,
  summarize,
  wantInProcess,
} from './support.ts';

const SUBSCRIBERS = Number(positional[0] ?? 2000);
const UPDATES = 20;
/** Unmeasured updates first, as the harness floor sends them: each socket's first frames warm its write path. */
const WARMUP_UPDATES = 2;
const INTERVAL_MS = 500;
const WARMUP_TITLE = 'Town hall warm-up';

console.log(JSON.stringify({ bench: 'live-fanout', ...machineFacts() }));
const database = await freshDatabase('fanout');
const server = await startServer({ DATABASE_URL: database.url }, { inProcess: wantInProcess(false) });
const serverRss = () => (server.inProcess ? Math.round(process.memoryUsage().rss / 2 ** 20) : rssMiB(server.pid));
const clients: Array<ReturnType<typeof createWSClient>> = [];
try {
  const owner = await register(server.url, 'host');
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${owner.access}` };
  const created = await fetch(`${server.url}/api/events`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ title: 'Town hall', start_time: '2030-01-01T10:00:00Z', end_time: '2030-01-01T11:00:00Z' }),
  });
  const eventId = ((await created.json()) as { event: { id: number } }).event.id;
  const rssStarted = serverRss();
  let t0 = performance.now();
  const users = await loginUsers(server.url, database.pool, SUBSCRIBERS, 'listener');
  const loginMs = performance.now() - t0;
  t0 = performance.now();
  for (let i = 0; i < users.length; i += 100) {
    const res = await fetch(`${server.url}/api/events/${eventId}/share`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ users: users.slice(i, i + 100).map((u) => ({ user_id: u.id, role: 'VIEWER' })) }),
    });
    if (res.status !== 200) throw new Error(`share: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
  const shareMs = performance.now() - t0;
  const rssIdle = serverRss(); // after 2,000 logins (argon2id, 19 MiB each, 8 at a time)

  const receipts = new Map<string, number[]>(); // title -> receipt times
  const duringFanout: number[] = []; // GET /healthz sent at each update's first receipt
  t0 = performance.now();
  const recordReceipt = (title: string) => {
    if (title.startsWith(WARMUP_TITLE)) return;
    let list = receipts.get(title);
    if (!list) {
      receipts.set(title, (list = []));
      // A request sent while this change is being fanned out: how long does it wait?
      const probe = performance.now();
      void fetch(`${server.url}/healthz`)
        .then((res) => res.arrayBuffer())
        .then(() => duringFanout.push(performance.now() - probe));
    }
    list.push(performance.now());
  };
  await subscribeEach(
    clients,
    server.url.replace('http', 'ws') + '/trpc',
    users.map((u) => u.token),
    eventId,
    recordReceipt,
  );
  const subscribeMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 2000)); // let connection set-up garbage settle
  const rssSubscribed = serverRss();
  console.log(
    JSON.stringify({
      bench: 'live-fanout',
      subscribers: SUBSCRIBERS,
      login_ms: Math.round(loginMs),
      share_ms: Math.round(shareMs),
      subscribe_ms: Math.round(subscribeMs),
      in_process: server.inProcess,
    }),
  );

  let peakRss = rssSubscribed;
  /** One PUT of the title, answered 200; then the interval, and a sample of the server's RSS. */
  const update = async (title: string): Promise<{ request: number; response: number }> => {
    const request = performance.now();
    const res = await fetch(`${server.url}/api/events/${eventId}`, { method: 'PUT', headers, body: JSON.stringify({ title }) });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`PUT: ${res.status}`);
    const response = performance.now();
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
    peakRss = Math.max(peakRss, serverRss());
    return { request, response };
  };
  for (let i = 0; i < WARMUP_UPDATES; i++) await update(`${WARMUP_TITLE} ${i}`);
  const fromResponse: number[] = [];
  const fromRequest: number[] = [];
  const sent: Array<{ title: string; request: number; response: number }> = [];
  const cpuStart = { server: server.inProcess ? NaN : cpuSeconds(server.pid), client: process.cpuUsage(), at: performance.now() };
  for (let i = 0; i < UPDATES; i++) {
    const title = `Town hall update ${i}`;
    sent.push({ title, ...(await update(title)) });
  }
  const busySeconds = (performance.now() - cpuStart.at) / 1000;
  const clientCpu = process.cpuUsage(cpuStart.client);
  const cpuPercent = {
    ...(server.inProcess ? {} : { server_process: Math.round(((cpuSeconds(server.pid) - cpuStart.server) / busySeconds) * 100) }),
    [server.inProcess ? 'server_and_clients' : 'client_process']: Math.round(
      ((clientCpu.user + clientCpu.system) / 1e6 / busySeconds) * 100,
    ),
  };
  await new Promise((r) => setTimeout(r, 2000)); // late arrivals count too
  let late = 0;
  const firstReceipt: number[] = [];
  const lastReceipt: number[] = [];
  for (const { title, request, response } of sent) {
    const times = receipts.get(title) ?? [];
    firstReceipt.push(Math.min(...times) - response);
    lastReceipt.push(Math.max(...times) - response);
    for (const t of times) {
      if (t < response) late++; // arrived before this process had read the PUT's answer
      fromResponse.push(Math.max(0, t - response));
      fromRequest.push(t - request);
    }
  }
  const total = [...receipts.values()].reduce((n, list) => n + list.length, 0);
  console.log(
    JSON.stringify({
      bench: 'live-fanout',
      updates: UPDATES,
      receipts: total,
      expected: SUBSCRIBERS * UPDATES,
      received_before_put_response: late,
    }),
  );
  console.log(JSON.stringify({ bench: 'live-fanout', measure: 'PUT response -> receipt (ms)', ...summarize(fromResponse) }));
  console.log(JSON.stringify({ bench: 'live-fanout', measure: 'PUT request -> receipt (ms)', ...summarize(fromRequest) }));
  // How long one update takes to reach its first and its last subscriber (median over the updates).
  console.log(
    JSON.stringify({
      bench: 'live-fanout',
      measure: 'per update, PUT response -> first / last receipt (ms, median)',
      first: summarize(firstReceipt).p50,
      last: summarize(lastReceipt).p50,
    }),
  );
  console.log(
    JSON.stringify({
      bench: 'live-fanout',
      measure: 'GET /healthz sent at the first receipt of each update (ms)',
      ...summarize(duringFanout),
    }),
  );
  console.log(JSON.stringify({ bench: 'live-fanout', cpu_percent_of_one_core_during_updates: cpuPercent }));
  console.log(
    JSON.stringify({
      bench: 'live-fanout',
      rss_mib: server.inProcess
        ? { server_and_clients_in_one_process: { started: rssStarted, after_logins: rssIdle, subscribed: rssSubscribed, peak: peakRss } }
        : {
            server_process: { started: rssStarted, after_logins: rssIdle, subscribed: rssSubscribed, peak: peakRss },
            client_process: Math.round(process.memoryUsage().rss / 2 ** 20),
          },
    }),
  );
} finally {
  await Promise.all(clients.map((c) => c.close()));
  await server.stop();
  await database.drop();
}
