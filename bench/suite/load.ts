/**
 * The load generator, run by the suite as its own process (`fork`) so that the load's CPU is
 * never the server's: autocannon for HTTP, @trpc/client (wsLink) loops for tRPC over WebSocket,
 * and plain `ws` connections for the idle-connection scenario. Jobs arrive over IPC; each
 * answer is the job's figures (see LoadResult).
 */
import autocannon from 'autocannon';
import { createTRPCUntypedClient, createWSClient, wsLink } from '@trpc/client';
import { WebSocket } from 'ws';
import { percentile } from './stats.ts';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export type LoadJob =
  | {
      kind: 'http';
      url: string;
      connections: number;
      seconds: number;
      request: HttpRequest;
      /** Each connection creates events as its own user, at times no other request uses. */
      create?: { tokens: string[]; firstStartMs: number };
      /** Each connection updates its own event, with If-Match carrying the version it last saw. */
      put?: { events: Array<{ id: number; version: number; token: string }> };
    }
  | { kind: 'trpc-ws'; url: string; connections: number; seconds: number; token: string; path: string; input: unknown }
  | { kind: 'idle-open'; url: string; count: number; token: string }
  | { kind: 'idle-close' };

export interface LoadResult {
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
  statusCodes?: Record<string, number>;
  opened?: number;
}

function versionOf(body: Buffer): number | undefined {
  try {
    const version = (JSON.parse(body.toString('utf8')) as { event?: { version?: unknown } }).event?.version;
    return typeof version === 'number' ? version : undefined;
  } catch {
    return undefined; // not JSON: leave If-Match as it was
  }
}

// Create bodies get consecutive two-hour slots across every run of this process.
let createSlot = 0;

async function http(job: Extract<LoadJob, { kind: 'http' }>): Promise<LoadResult> {
  let connectionIndex = 0;
  const setupClient = (client: autocannon.Client) => {
    const index = connectionIndex++;
    if (job.create) {
      const { tokens, firstStartMs } = job.create;
      const headers = { ...job.request.headers, authorization: `Bearer ${tokens[index % tokens.length]}` };
      const body = () => {
        const start = firstStartMs + createSlot++ * 7_200_000;
        return JSON.stringify({
          title: `Load ${createSlot}`,
          start_time: new Date(start).toISOString(),
          end_time: new Date(start + 3_600_000).toISOString(),
        });
      };
      client.setHeadersAndBody(headers, body());
      client.on('response', () => client.setBody(body()));
    }
    if (job.put) {
      const event = job.put.events[index % job.put.events.length]!;
      const headers = (version: number) => ({ ...job.request.headers, authorization: `Bearer ${event.token}`, 'if-match': `"${version}"` });
      // setRequests, not setRequest: the client returns to requests[0] after every answer.
      client.setRequests([
        { method: 'PUT', path: `/api/events/${event.id}`, headers: headers(event.version), body: job.request.body ?? '{}' },
      ]);
      client.on('body', (body: Buffer) => {
        const version = versionOf(body);
        if (version !== undefined) client.setHeaders(headers(version));
      });
    }
  };
  const result = await autocannon({
    url: job.url + job.request.path,
    connections: job.connections,
    duration: job.seconds,
    method: job.request.method,
    headers: job.request.headers,
    ...(job.request.body === undefined ? {} : { body: job.request.body }),
    setupClient,
  });
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, Number(count)]));
  return {
    reqPerSec: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
    requests: result.requests.total,
    statusCodes,
  };
}

/** N @trpc/client WebSocket clients, each calling the query in a loop for the same time. */
async function trpcWs(job: Extract<LoadJob, { kind: 'trpc-ws' }>): Promise<LoadResult> {
  const sockets = Array.from({ length: job.connections }, () =>
    createWSClient({ url: job.url, WebSocket: WebSocket as never, connectionParams: async () => ({ token: job.token }) }),
  );
  try {
    const clients = sockets.map((client) => createTRPCUntypedClient({ links: [wsLink({ client })] }));
    await Promise.all(clients.map((c) => c.query(job.path, job.input))); // connected and warm
    const latencies: number[] = [];
    let errors = 0;
    const started = performance.now();
    const deadline = started + job.seconds * 1000;
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          try {
            await client.query(job.path, job.input);
            latencies.push(performance.now() - t0);
          } catch {
            errors++;
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return {
      reqPerSec: Math.round(latencies.length / seconds),
      p50: Math.round(percentile(latencies, 50) * 10) / 10,
      p99: Math.round(percentile(latencies, 99) * 10) / 10,
      errors,
      requests: latencies.length + errors,
    };
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
  }
}

/** Idle connections: open, send connectionParams (the token), then nothing until idle-close. */
let idle: WebSocket[] = [];
async function idleOpen(job: Extract<LoadJob, { kind: 'idle-open' }>): Promise<LoadResult> {
  const params = JSON.stringify({ method: 'connectionParams', data: { token: job.token } });
  let opened = 0;
  let failed = 0;
  const openOne = () =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(job.url);
      idle.push(ws);
      ws.once('open', () => {
        ws.send(params);
        opened++;
        resolve();
      });
      ws.once('error', () => {
        failed++;
        resolve();
      });
    });
  // 200 handshakes in flight at a time: a steady ramp, not a SYN flood.
  for (let i = 0; i < job.count; i += 200) await Promise.all(Array.from({ length: Math.min(200, job.count - i) }, openOne));
  return { reqPerSec: 0, p50: NaN, p99: NaN, errors: failed, requests: job.count, opened };
}

async function idleClose(): Promise<LoadResult> {
  const open = idle.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  await Promise.all(
    idle.map(
      (ws) =>
        new Promise<void>((resolve) =>
          ws.readyState === WebSocket.CLOSED ? resolve() : (ws.once('close', () => resolve()), ws.terminate()),
        ),
    ),
  );
  idle = [];
  return { reqPerSec: 0, p50: NaN, p99: NaN, errors: 0, requests: 0, opened: open };
}

function run(job: LoadJob): Promise<LoadResult> {
  switch (job.kind) {
    case 'http':
      return http(job);
    case 'trpc-ws':
      return trpcWs(job);
    case 'idle-open':
      return idleOpen(job);
    case 'idle-close':
      return idleClose();
  }
}

process.on('message', (job: LoadJob) => {
  run(job).then(
    (result) => process.send!({ result }),
    (error: unknown) => process.send!({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
