/**
 * The floor under the live fan-out benchmark on this machine: the same 2,000 @trpc/client
 * WebSocket subscribers as bench/live-fanout.ts, served by the least a server can do. The
 * "server" here is a child process that speaks just enough of tRPC's WebSocket protocol
 * (connectionParams, subscription -> started, then data frames) and, per update, writes one
 * ready-made frame to each socket: no database, no authentication, no per-subscriber work.
 * Whatever latency remains is the clients' and the kernel's, and it bounds what any server can
 * show with this harness here.
 *
 * A receipt's latency is from the moment the server starts writing an update (wall clock,
 * shared by both processes) to the subscriber's onData.
 *
 *   npx tsx bench/live-fanout-floor.ts [subscribers]            (default 2000)
 */
import { fork } from 'node:child_process';
import type { createWSClient } from '@trpc/client';
import { WebSocketServer, type WebSocket } from 'ws';
import { machineFacts, positional, subscribeEach, summarize } from './support.ts';

const SUBSCRIBERS = Number(positional[0] ?? 2000);
const UPDATES = 20;
/** Unmeasured updates first, as bench/live-fanout.ts sends them. */
const WARMUP_UPDATES = 2;
const INTERVAL_MS = 500;
const now = () => performance.timeOrigin + performance.now();

if (process.argv.includes('--serve')) serve();
else await measure();

/** The floor server: tRPC's wire protocol and nothing else. */
function serve(): void {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  const subscriptions: Array<{ ws: WebSocket; id: number | string }> = [];
  wss.on('connection', (ws) => {
    ws.on('message', (raw) => {
      const text = String(raw);
      if (text === 'PING') return ws.send('PONG');
      const message = JSON.parse(text) as { id?: number | string; method?: string };
      if (message.method !== 'subscription' || message.id === undefined) return;
      subscriptions.push({ ws, id: message.id });
      ws.send(JSON.stringify({ id: message.id, result: { type: 'started' } }));
    });
  });
  wss.on('listening', () => process.send!({ port: (wss.address() as { port: number }).port }));
  process.on('message', ({ title, version }: { title: string; version: number }) => {
    // A message of the same shape and size as the real server's event.updated.
    const data = JSON.stringify({
      type: 'event.updated',
      event_id: 1,
      version_id: version,
      actor: { id: 1, username: 'host' },
      at: new Date().toISOString(),
      event: {
        id: 1,
        title,
        description: '',
        start_time: '2030-01-01T10:00:00Z',
        end_time: '2030-01-01T11:00:00Z',
        location: null,
        timezone: 'UTC',
        is_recurring: false,
        recurrence_pattern: null,
        rrule: null,
        owner_id: 1,
        version,
        my_role: 'VIEWER',
        created_at: '2030-01-01T09:00:00Z',
        updated_at: new Date().toISOString(),
      },
    });
    const startedAt = now();
    for (const { ws, id } of subscriptions) {
      ws.send(`{"id":${JSON.stringify(id)},"result":{"type":"data","data":{"id":"${version}","data":${data}},"id":"${version}"}}`);
    }
    process.send!({ title, startedAt, wroteMs: now() - startedAt });
  });
}

async function measure(): Promise<void> {
  console.log(JSON.stringify({ bench: 'live-fanout-floor', ...machineFacts() }));
  const server = fork(new URL(import.meta.url).pathname, ['--serve'], { execArgv: process.execArgv });
  const { port } = await new Promise<{ port: number }>((resolve) => server.once('message', resolve as never));
  const clients: Array<ReturnType<typeof createWSClient>> = [];
  const receipts = new Map<string, number[]>();
  try {
    const tokens = Array.from({ length: SUBSCRIBERS }, () => 'unused');
    await subscribeEach(clients, `ws://127.0.0.1:${port}`, tokens, 1, (title) => {
      let list = receipts.get(title);
      if (!list) receipts.set(title, (list = []));
      list.push(now());
    });
    await new Promise((r) => setTimeout(r, 2000));
    const sent: Array<{ title: string; startedAt: number; wroteMs: number }> = [];
    for (let i = -WARMUP_UPDATES; i < UPDATES; i++) {
      const title = i < 0 ? `Town hall warm-up ${i + WARMUP_UPDATES}` : `Town hall update ${i}`;
      const reply = new Promise<{ title: string; startedAt: number; wroteMs: number }>((resolve) =>
        server.once('message', resolve as never),
      );
      server.send({ title, version: i + WARMUP_UPDATES + 2 });
      const written = await reply;
      if (i >= 0) sent.push(written);
      await new Promise((r) => setTimeout(r, INTERVAL_MS));
    }
    await new Promise((r) => setTimeout(r, 2000));
    const latencies: number[] = [];
    const last: number[] = [];
    for (const { title, startedAt } of sent) {
      const times = receipts.get(title) ?? [];
      for (const t of times) latencies.push(t - startedAt);
      last.push(Math.max(...times) - startedAt);
    }
    console.log(
      JSON.stringify({
        bench: 'live-fanout-floor',
        subscribers: SUBSCRIBERS,
        updates: UPDATES,
        receipts: latencies.length,
        expected: SUBSCRIBERS * UPDATES,
      }),
    );
    console.log(JSON.stringify({ bench: 'live-fanout-floor', measure: 'server starts writing -> receipt (ms)', ...summarize(latencies) }));
    console.log(
      JSON.stringify({ bench: 'live-fanout-floor', measure: 'per update: last receipt (ms, median)', last: summarize(last).p50 }),
    );
    console.log(
      JSON.stringify({
        bench: 'live-fanout-floor',
        measure: 'server time to write every socket (ms, median)',
        write: summarize(sent.map((s) => s.wroteMs)).p50,
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    server.kill();
  }
}
