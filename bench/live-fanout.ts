/**
 * Live fan-out: 2,000 WebSocket subscribers (real @trpc/client wsLink clients) to one event on
 * one server process; 20 updates, one every 500 ms. Measures, for every receipt, the time from
 * the PUT's response (and from its request) to the subscriber's receipt, and the server's memory.
 *   npx tsx bench/live-fanout.ts [subscribers]
 */
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { WebSocket } from 'ws';
import type { AppRouter } from '@scheduler/api';
import { freshDatabase, mintUsers, register, rssMiB, startServer, summarize } from './support.ts';

const SUBSCRIBERS = Number(process.argv[2] ?? 2000);
const UPDATES = 20;

const database = await freshDatabase('fanout');
const server = await startServer({ DATABASE_URL: database.url });
const clients: Array<ReturnType<typeof createWSClient>> = [];
try {
  const owner = await register(server.url, 'host');
  const created = await fetch(`${server.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.access}` },
    body: JSON.stringify({ title: 'Town hall', start_time: '2030-01-01T10:00:00Z', end_time: '2030-01-01T11:00:00Z' }),
  });
  const eventId = ((await created.json()) as { event: { id: number } }).event.id;
  const users = await mintUsers(database.pool, SUBSCRIBERS, 'listener');
  await database.pool.query(
    `insert into event_permissions (event_id, user_id, role) select $1, unnest($2::int[]), 'VIEWER'`,
    [eventId, users.map((u) => u.id)],
  );
  const rssIdle = rssMiB(server.child.pid!);

  const receipts = new Map<string, number[]>(); // title -> receipt times
  let started = 0;
  await new Promise<void>((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error(`only ${started} of ${SUBSCRIBERS} subscriptions started`)), 120_000);
    for (const user of users) {
      const wsClient = createWSClient({ url: server.url.replace('http', 'ws') + '/trpc', WebSocket: WebSocket as never, connectionParams: async () => ({ token: user.token }) });
      clients.push(wsClient);
      const trpc = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
      trpc.live.onChange.subscribe(
        { event_id: eventId },
        {
          onStarted: () => {
            started += 1;
            if (started === SUBSCRIBERS) {
              clearTimeout(timeout);
              resolve();
            }
          },
          onData: (envelope) => {
            const title = envelope.data.event?.title;
            if (title) {
              let list = receipts.get(title);
              if (!list) receipts.set(title, (list = []));
              list.push(performance.now());
            }
          },
        },
      );
    }
  });
  const rssSubscribed = rssMiB(server.child.pid!);
  console.log(`${SUBSCRIBERS} subscriptions started; server RSS ${rssIdle} MiB idle, ${rssSubscribed} MiB subscribed`);

  const fromResponse: number[] = [];
  const fromRequest: number[] = [];
  let peakRss = rssSubscribed;
  for (let i = 0; i < UPDATES; i++) {
    const title = `Town hall update ${i}`;
    const sent = performance.now();
    const res = await fetch(`${server.url}/api/events/${eventId}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.access}` },
      body: JSON.stringify({ title }),
    });
    await res.arrayBuffer();
    const answered = performance.now();
    await new Promise((r) => setTimeout(r, 500));
    peakRss = Math.max(peakRss, rssMiB(server.child.pid!));
    const times = receipts.get(title) ?? [];
    if (times.length !== SUBSCRIBERS) console.log(`update ${i}: ${times.length} of ${SUBSCRIBERS} received within 500 ms`);
    for (const t of times) {
      fromResponse.push(Math.max(0, t - answered));
      fromRequest.push(t - sent);
    }
  }
  // Late arrivals count too.
  await new Promise((r) => setTimeout(r, 2000));
  const total = [...receipts.values()].reduce((n, list) => n + list.length, 0);
  console.log(JSON.stringify({ bench: 'live-fanout', subscribers: SUBSCRIBERS, updates: UPDATES, receipts: total, expected: SUBSCRIBERS * UPDATES }));
  console.log(JSON.stringify({ bench: 'live-fanout', measure: 'PUT response -> receipt (ms)', ...summarize(fromResponse) }));
  console.log(JSON.stringify({ bench: 'live-fanout', measure: 'PUT request -> receipt (ms)', ...summarize(fromRequest) }));
  console.log(JSON.stringify({ bench: 'live-fanout', server_rss_mib: { idle: rssIdle, subscribed: rssSubscribed, peak: peakRss } }));
} finally {
  await Promise.all(clients.map((c) => c.close()));
  await server.stop();
  await database.drop();
}
