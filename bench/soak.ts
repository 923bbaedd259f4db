/**
 * Soak (not part of `npm test`): minutes of mixed traffic with live subscribers against the
 * production bundle on PostgreSQL (targets: zero errors, resident memory growing less than 10%
 * after warm-up).
 *
 * The bundle (apps/server/dist/main.mjs) runs as its own process on a fresh database. 20 users
 * each hold a tRPC WebSocket subscription and 5 of them a REST event stream (SSE); 8 workers, each
 * a user of its own, loop over create, read, patch, list, history, share, sync and delete. Every
 * answer outside 2xx counts as an error; so does a subscription error. The server's VmRSS is
 * sampled every 10 s; growth is measured from the end of the warm-up (the first fifth of the run)
 * to the end.
 *
 *   npm run build -w @scheduler/server && npx tsx bench/soak.ts [seconds]      (default 300)
 */
import { EventSource } from 'eventsource';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import type { AppRouter } from '@scheduler/api';
import { WebSocket } from 'ws';
import { freshDatabase, machineFacts, positional, register, rssMiB, startServer } from './support.ts';

const SECONDS = Number(positional[0] ?? 300);
const SUBSCRIBERS = 20;
const SSE_STREAMS = 5;
const WORKERS = 8;
const SAMPLE_MS = 10_000;

// The production bundle, unless --child asks for the sources through tsx.
if (!process.argv.includes('--child')) process.argv.push('--bundle');

console.log(JSON.stringify({ bench: 'soak', seconds: SECONDS, ...machineFacts() }));
const database = await freshDatabase('soak');
// The rate limit is the default; the soak's users stay well inside it.
const server = await startServer({ DATABASE_URL: database.url }, { inProcess: false });
const errors: string[] = [];
const counts = { requests: 0, live: 0, sse: 0 };
const clients: Array<ReturnType<typeof createWSClient>> = [];
const streams: EventSource[] = [];

async function call(token: string, method: string, path: string, body?: unknown): Promise<any> {
  counts.requests += 1;
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) {
    errors.push(`${method} ${path} ${res.status} ${text.slice(0, 200)}`);
    return undefined;
  }
  return text ? JSON.parse(text) : undefined;
}

let slot = 0;
/** A one-hour slot nobody else uses: overlap checks never refuse a soak write. */
function nextSlot() {
  slot += 1;
  const start = Date.UTC(2035, 0, 1) + slot * 2 * 3_600_000;
  return { start_time: new Date(start).toISOString(), end_time: new Date(start + 3_600_000).toISOString() };
}

try {
  const listeners = await Promise.all(Array.from({ length: SUBSCRIBERS }, (_, i) => register(server.url, `listener${i}`)));
  const workers = await Promise.all(Array.from({ length: WORKERS }, (_, i) => register(server.url, `worker${i}`)));
  await Promise.all(
    listeners.map(
      (listener) =>
        new Promise<void>((resolve) => {
          const wsClient = createWSClient({
            url: `${server.url.replace(/^http/, 'ws')}/trpc`,
            WebSocket: WebSocket as never,
            connectionParams: async () => ({ token: listener.access }),
          });
          clients.push(wsClient);
          createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] }).live.onChange.subscribe(
            {},
            {
              onStarted: () => resolve(),
              onData: () => (counts.live += 1),
              onError: (error) => errors.push(`subscription: ${error.message}`),
            },
          );
        }),
    ),
  );
  for (const listener of listeners.slice(0, SSE_STREAMS)) {
    const source = new EventSource(`${server.url}/api/events/stream`, {
      fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, authorization: `Bearer ${listener.access}` } }),
    });
    for (const type of ['event.created', 'event.updated', 'event.deleted', 'permission.granted'])
      source.addEventListener(type, () => (counts.sse += 1));
    streams.push(source);
  }

  const started = Date.now();
  const deadline = started + SECONDS * 1000;
  // Each sample: seconds since start, server VmRSS (MiB), requests answered so far.
  const samples: Array<{ s: number; rss: number; requests: number }> = [];
  const sample = () => samples.push({ s: Math.round((Date.now() - started) / 1000), rss: rssMiB(server.pid), requests: counts.requests });
  const sampler = setInterval(sample, SAMPLE_MS);
  sample();

  await Promise.all(
    workers.map(async (worker, w) => {
      let round = 0;
      while (Date.now() < deadline) {
        round += 1;
        const created = await call(worker.access, 'POST', '/api/events', {
          title: `Soak ${w}.${round}`,
          description: 'x'.repeat(200),
          ...nextSlot(),
        });
        const id = created?.event?.id as number | undefined;
        if (id) {
          await call(worker.access, 'GET', `/api/events/${id}`);
          await call(worker.access, 'PATCH', `/api/events/${id}`, { title: `Soak ${w}.${round} (edited)` });
          // Share with two listeners, so live messages reach subscribers.
          const shareTo = [listeners[round % SUBSCRIBERS]!, listeners[(round + w) % SUBSCRIBERS]!];
          await call(worker.access, 'POST', `/api/events/${id}/share`, {
            users: [...new Set(shareTo.map((l) => l.id))].map((user_id) => ({ user_id, role: 'VIEWER' })),
          });
          await call(worker.access, 'GET', `/api/events/${id}/history`);
          if (round % 3 === 0) await call(worker.access, 'DELETE', `/api/events/${id}`);
        }
        await call(worker.access, 'GET', '/api/events?page_size=20&sort=-updated_at');
        if (round % 5 === 0) await call(listeners[round % SUBSCRIBERS]!.access, 'GET', '/api/sync');
      }
    }),
  );
  clearInterval(sampler);
  sample();

  const warmEnd = samples.find((s) => s.s >= SECONDS / 5) ?? samples[0]!;
  const last = samples.at(-1)!;
  const peakAfterWarmup = Math.max(...samples.filter((s) => s.s >= warmEnd.s).map((s) => s.rss));
  console.log(
    JSON.stringify({
      result: 'soak',
      seconds: SECONDS,
      requests: counts.requests,
      requests_per_second: Math.round(counts.requests / SECONDS),
      live_messages: counts.live,
      sse_messages: counts.sse,
      errors: errors.length,
      first_errors: errors.slice(0, 5),
      rss_mib: { start: samples[0]!.rss, after_warmup: warmEnd.rss, end: last.rss, peak_after_warmup: peakAfterWarmup },
      rss_growth_after_warmup_pct: Math.round(((last.rss - warmEnd.rss) / warmEnd.rss) * 1000) / 10,
      samples,
    }),
  );
} finally {
  for (const source of streams) source.close();
  await Promise.all(clients.map((c) => c.close()));
  await server.stop();
  await database.drop();
}
