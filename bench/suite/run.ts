/**
 * `npm run bench`: the benchmark suite of issue 10.
 *
 * Builds the production bundle, starts it as its own process on the local PostgreSQL in a
 * database of its own (created, migrated, dropped at the end, on failure and on Ctrl-C too),
 * seeds it, and drives it from a separate load process (autocannon, @trpc/client over
 * WebSocket). Every load scenario alternates the floor (floor.ts: bare node:http, one pg round
 * trip, the same body) with the product, `rounds` pairs, and reports medians and ratios. The
 * larger scenarios (fan-out, collaboration) run the existing scripts as children. Results go to
 * <out>/benchmarks.json and the generated section of <out>/benchmarks.md.
 *
 *   npm run bench -- [--quick] [--out=DIR] [scenario ...]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import {
  ADMIN_URL,
  freshDatabase,
  inParallel,
  JWT_SECRET,
  loginUsers,
  UNLIMITED,
  machineFacts,
  register,
  startBundle,
  type BenchServer,
} from '../support.ts';
import { batchItems, seedHistory, seedListing } from '../seeds.ts';
import { parseArgs, type Settings } from './cli.ts';
import type { FloorRoute } from './floor.ts';
import type { LoadJob, LoadResult } from './load.ts';
import {
  buildBundle,
  cleanUp,
  cleanUpOnSignals,
  forkHelper,
  interrupted,
  onCleanup,
  ROOT,
  runScript,
  watch,
  rssMiBOf,
  type Helper,
} from './processes.ts';
import { renderSection, spliceSection, type ScenarioResult, type SuiteReport } from './report.ts';
import { aggregate, median, pairedRatio, ratio, type RunFigures } from './stats.ts';
import { judge, TARGETS } from './targets.ts';

type Load = Helper<LoadJob, { result?: LoadResult; error?: string }>;
type Floor = Helper<FloorRoute, { ok: true }>;

interface Product {
  server: BenchServer;
  /** A user, its token and its event (with a few shares, so GET returns permissions). */
  owner: { id: number; token: string };
  eventId: number;
}

interface PostgresProduct extends Product {
  database: Awaited<ReturnType<typeof freshDatabase>>;
  writers: Array<{ id: number; token: string }>;
  /** One event per writer, for PUT. */
  putEvents: number[];
  lister: { id: number; token: string } | null;
  history: { eventId: number; first: number; last: number } | null;
}

interface Suite {
  settings: Settings;
  load: Load;
  /** The floor process, started on first use (it queries the suite's PostgreSQL database). */
  floor: () => Promise<{ helper: Floor; pid: number; url: string }>;
  postgres: () => Promise<PostgresProduct>;
  pglite: () => Promise<Product & { writers: string[] }>;
}

type Outcome = Omit<ScenarioResult, 'id' | 'title' | 'method' | 'targets' | 'measuredAt'>;

interface Scenario {
  id: string;
  title: string;
  method: (s: Settings) => string;
  run: (suite: Suite) => Promise<Outcome>;
}

const json = { 'content-type': 'application/json' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function ask(load: Load, job: LoadJob): Promise<LoadResult> {
  const reply = await load.ask(job);
  if (reply.error || !reply.result) throw new Error(`load generator: ${reply.error}`);
  return reply.result;
}

/** The product's answer to one request: what the floor will answer, byte for byte. */
async function capture(url: string, init: RequestInit): Promise<{ status: number; body: string; contentType: string }> {
  const res = await fetch(url, init);
  const body = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${body}`);
  return { status: res.status, body, contentType: res.headers.get('content-type') ?? 'application/json' };
}

interface AgainstFloor {
  product: { url: string; pid: number };
  floorRoute: FloorRoute;
  /** The job for one run against `url` (the floor's or the product's). */
  job: (url: string, side: 'floor' | 'product', seconds: number) => Promise<LoadJob>;
}

/** Warm-up of both sides, then `rounds` × (floor run, product run), each watched from /proc. */
async function againstFloor(suite: Suite, spec: AgainstFloor): Promise<Outcome> {
  const { settings, load } = suite;
  const floor = await suite.floor();
  await floor.helper.ask(spec.floorRoute);
  const floorUrl = floor.url;
  await ask(load, await spec.job(floorUrl, 'floor', settings.warmupSeconds));
  await ask(load, await spec.job(spec.product.url, 'product', settings.warmupSeconds));
  const runs: { product: RunFigures[]; floor: RunFigures[] } = { product: [], floor: [] };
  const statusCodes: Record<string, Record<string, number>> = { product: {}, floor: {} };
  for (let round = 0; round < settings.rounds; round++) {
    for (const side of ['floor', 'product'] as const) {
      const url = side === 'floor' ? floorUrl : spec.product.url;
      const job = await spec.job(url, side, settings.seconds);
      const pid = side === 'floor' ? floor.pid : spec.product.pid;
      const watched = await watch(pid, () => ask(load, job));
      const r = watched.result;
      runs[side].push({
        reqPerSec: r.reqPerSec,
        p50: r.p50,
        p99: r.p99,
        errors: r.errors,
        requests: r.requests,
        cpuPercent: watched.cpuPercent,
        peakRssMiB: watched.peakRssMiB,
      });
      for (const [code, count] of Object.entries(r.statusCodes ?? {})) statusCodes[side]![code] = (statusCodes[side]![code] ?? 0) + count;
      console.log(
        `  ${side.padEnd(7)} round ${round + 1}: ${r.reqPerSec} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}, CPU ${watched.cpuPercent} %, peak RSS ${watched.peakRssMiB} MiB`,
      );
    }
  }
  const product = aggregate(runs.product);
  const floorFigures = aggregate(runs.floor);
  return {
    product,
    floor: floorFigures,
    floorLabel: 'bare node:http + one pg round trip, same body',
    metrics: { ratio: ratio(product.reqPerSec, floorFigures.reqPerSec), p99Ratio: ratio(product.p99, floorFigures.p99) },
    runs,
    details: {
      ...(spec.floorRoute.wsData ? {} : { 'status codes': statusCodes }),
      'response bytes': Buffer.byteLength(spec.floorRoute.body),
    },
  };
}

const eventRow = (id: number) => ({ sql: 'select * from events where id = $1', params: [id] });

/** A GET through autocannon against the floor and the product. */
async function plainGet(
  suite: Suite,
  product: Product,
  pathAndQuery: string,
  token: string,
  floorSql = eventRow(product.eventId),
): Promise<Outcome> {
  const headers = bearer(token);
  const captured = await capture(product.server.url + pathAndQuery, { headers });
  return againstFloor(suite, {
    product: { url: product.server.url, pid: product.server.pid },
    floorRoute: { ...floorSql, ...captured },
    job: async (url, _side, seconds) => ({
      kind: 'http',
      url,
      connections: suite.settings.connections,
      seconds,
      request: { method: 'GET', path: pathAndQuery, headers },
    }),
  });
}

async function createAgainstFloor(
  suite: Suite,
  product: Product,
  tokens: string[],
  firstStartMs: number,
  writeFloorIn?: pg.Pool,
): Promise<Outcome> {
  const captured = await capture(`${product.server.url}/api/events`, {
    method: 'POST',
    headers: { ...json, ...bearer(tokens[0]!) },
    body: JSON.stringify({ title: 'Captured', start_time: '2020-01-01T10:00:00Z', end_time: '2020-01-01T11:00:00Z' }),
  });
  const job = async (url: string, seconds: number): Promise<LoadJob> => ({
    kind: 'http',
    url,
    connections: suite.settings.connections,
    seconds,
    request: { method: 'POST', path: '/api/events', headers: json, body: '{}' },
    create: { tokens, firstStartMs },
  });
  const outcome = await againstFloor(suite, {
    product: { url: product.server.url, pid: product.server.pid },
    floorRoute: { ...eventRow(product.eventId), ...captured },
    job: (url, _side, seconds) => job(url, seconds),
  });
  if (!writeFloorIn) return outcome;
  const write = await writeFloor(suite, writeFloorIn, captured, (url) => job(url, suite.settings.seconds));
  return {
    ...outcome,
    details: {
      ...outcome.details,
      'write floor (one committed INSERT per request, same body), req/s per run': write.runs,
      'write floor req/s (median)': write.reqPerSec,
      'product ÷ write floor': ratio(outcome.product?.reqPerSec, write.reqPerSec),
    },
  };
}

/**
 * The least a durable write can cost here: the floor process answering the same body after one
 * INSERT committed on its own (one round trip, one WAL flush), `rounds` runs. Reported beside
 * create's ratio to the read floor, so the cost of committing is not mistaken for the product's.
 */
async function writeFloor(
  suite: Suite,
  pool: pg.Pool,
  captured: { status: number; body: string; contentType: string },
  job: (url: string) => Promise<LoadJob>,
): Promise<{ reqPerSec: number; runs: number[] }> {
  await pool.query('create table if not exists floor_writes (id bigserial primary key, body text not null)');
  const floor = await suite.floor();
  await floor.helper.ask({ sql: 'insert into floor_writes (body) values ($1)', params: [captured.body], ...captured });
  await ask(suite.load, await job(floor.url));
  const runs: number[] = [];
  for (let round = 0; round < suite.settings.rounds; round++) {
    const r = await ask(suite.load, await job(floor.url));
    runs.push(r.reqPerSec);
    console.log(`  write floor round ${round + 1}: ${r.reqPerSec} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}`);
  }
  return { reqPerSec: median(runs), runs };
}

const SCENARIOS: Scenario[] = [
  {
    id: 'get-event',
    title: 'GET one event (REST)',
    method: (s) => `\`GET /api/events/{id}\` by its owner (the event has 3 shares), autocannon ${s.connections} connections.`,
    run: async (suite) => {
      const p = await suite.postgres();
      return plainGet(suite, p, `/api/events/${p.eventId}`, p.owner.token);
    },
  },
  {
    id: 'get-event-trpc',
    title: 'GET one event (tRPC HTTP)',
    method: (s) => `\`GET /trpc/events.get?input={"id":…}\`, the typed clients' path, autocannon ${s.connections} connections.`,
    run: async (suite) => {
      const p = await suite.postgres();
      return plainGet(suite, p, `/trpc/events.get?input=${encodeURIComponent(JSON.stringify({ id: p.eventId }))}`, p.owner.token);
    },
  },
  {
    id: 'get-event-ws',
    title: 'GET one event (tRPC WebSocket query)',
    method: (s) =>
      `\`events.get\` as a query over one WebSocket per loop: ${s.connections} @trpc/client (wsLink) clients each calling in a loop. ` +
      'The floor here is the same clients against the floor process, which answers the tRPC query frame after one pg round trip.',
    run: async (suite) => {
      const p = await suite.postgres();
      const trpc = await capture(`${p.server.url}/trpc/events.get?input=${encodeURIComponent(JSON.stringify({ id: p.eventId }))}`, {
        headers: bearer(p.owner.token),
      });
      const wsData = JSON.stringify((JSON.parse(trpc.body) as { result: { data: unknown } }).result.data);
      return againstFloor(suite, {
        product: { url: p.server.url, pid: p.server.pid },
        floorRoute: { ...eventRow(p.eventId), ...trpc, wsData },
        job: async (url, _side, seconds) => ({
          kind: 'trpc-ws',
          url: `${url.replace('http', 'ws')}/trpc`,
          connections: suite.settings.connections,
          seconds,
          token: p.owner.token,
          path: 'events.get',
          input: { id: p.eventId },
        }),
      });
    },
  },
  {
    id: 'auth-me',
    title: 'GET /api/auth/me',
    method: (s) => `\`GET /api/auth/me\` with a real access token, autocannon ${s.connections} connections. Floor query: the user's row.`,
    run: async (suite) => {
      const p = await suite.postgres();
      return plainGet(suite, p, '/api/auth/me', p.owner.token, {
        sql: 'select id, username, email from users where id = $1',
        params: [p.owner.id],
      });
    },
  },
  {
    id: 'listing',
    title: 'Listing page over 100,000 events',
    method: (s) =>
      `\`GET /api/events?page=1&page_size=10\` by a user who sees ~1,000 of ${s.listingEvents.toLocaleString('en-US')} events (seeded set-based as bench/listing.ts does), autocannon ${s.connections} connections.`,
    run: async (suite) => {
      const p = await suite.postgres();
      const outcome = await plainGet(suite, p, '/api/events?page=1&page_size=10', p.lister!.token);
      const visible = (await (await fetch(`${p.server.url}/api/events?page_size=1`, { headers: bearer(p.lister!.token) })).json()) as {
        count: number;
      };
      return { ...outcome, details: { ...outcome.details, 'events visible to the user': visible.count } };
    },
  },
  {
    id: 'create',
    title: 'Create with conflict check',
    method: (s) =>
      `\`POST /api/events\`, ${s.connections} connections, each as its own user, every request at a time no other uses (so each succeeds after the overlap check). ` +
      'Floor: the same 201 body after one pg round trip (a read). Beside it, a write floor: the same body after one committed INSERT.',
    run: async (suite) => {
      const p = await suite.postgres();
      return createAgainstFloor(
        suite,
        p,
        p.writers.map((w) => w.token),
        Date.UTC(2031, 0, 1),
        p.database.pool,
      );
    },
  },
  {
    id: 'put',
    title: 'PUT with If-Match',
    method: (s) =>
      `\`PUT /api/events/{id}\` (title change) with \`If-Match\` carrying the version last seen; ${s.connections} connections, each on its own user's event.`,
    run: async (suite) => {
      const p = await suite.postgres();
      const body = JSON.stringify({ title: 'Renamed under load' });
      const captured = await capture(`${p.server.url}/api/events/${p.eventId}`, {
        method: 'PUT',
        headers: { ...json, ...bearer(p.owner.token) },
        body,
      });
      // The versions as they stand once the previous run's last requests (answered after autocannon
      // stopped listening) have committed: read until two readings 500 ms apart agree.
      const events = async () => {
        const read = async () =>
          (
            await p.database.pool.query<{ id: number; version: number }>(
              'select id, version from events where id = any($1::int[]) order by id',
              [p.putEvents],
            )
          ).rows;
        let [before, after] = [await read(), [] as Array<{ id: number; version: number }>];
        for (let i = 0; i < 20; i++, before = after) {
          await new Promise((r) => setTimeout(r, 500));
          after = await read();
          if (JSON.stringify(after) === JSON.stringify(before)) break;
        }
        const version = new Map(after.map((r) => [r.id, r.version]));
        return p.putEvents.map((id, i) => ({ id, version: version.get(id)!, token: p.writers[i]!.token }));
      };
      return againstFloor(suite, {
        product: { url: p.server.url, pid: p.server.pid },
        floorRoute: { ...eventRow(p.eventId), ...captured },
        job: async (url, _side, seconds) => ({
          kind: 'http',
          url,
          connections: suite.settings.connections,
          seconds,
          request: { method: 'PUT', path: '/api/events/0', headers: json, body },
          put: { events: await events() },
        }),
      });
    },
  },
  {
    id: 'batch',
    title: 'Batch create of 10,000 events',
    method: (s) =>
      `\`POST /api/events/batch\` with ${s.batchItems.toLocaleString('en-US')} valid events, ${s.batchRuns} runs, each by a fresh user; p50 is the median batch time, p99 the slowest. No floor.`,
    run: async (suite) => {
      const p = await suite.postgres();
      const times: number[] = [];
      const runs: RunFigures[] = [];
      for (let i = 0; i < suite.settings.batchRuns; i++) {
        const user = await register(p.server.url, `batch${i}`);
        const body = JSON.stringify(batchItems(suite.settings.batchItems, 400 + i * 500));
        const watched = await watch(p.server.pid, async () => {
          const t0 = performance.now();
          const res = await fetch(`${p.server.url}/api/events/batch`, {
            method: 'POST',
            headers: { ...json, ...bearer(user.access) },
            body,
          });
          const answer = (await res.json()) as { created_events?: unknown[] };
          if (res.status !== 201 || answer.created_events?.length !== suite.settings.batchItems) throw new Error(`batch: ${res.status}`);
          return performance.now() - t0;
        });
        times.push(Math.round(watched.result));
        runs.push({
          reqPerSec: NaN,
          p50: watched.result,
          p99: watched.result,
          errors: 0,
          requests: 1,
          cpuPercent: watched.cpuPercent,
          peakRssMiB: watched.peakRssMiB,
        });
        console.log(`  batch ${i + 1}: ${Math.round(watched.result)} ms, CPU ${watched.cpuPercent} %, peak RSS ${watched.peakRssMiB} MiB`);
      }
      const a = aggregate(runs);
      const product = { ...a, reqPerSec: NaN, p50: median(times), p99: Math.max(...times) };
      return {
        product,
        floor: null,
        floorLabel: null,
        metrics: { batchMs: median(times) },
        runs: { product: runs, floor: [] },
        details: { 'runs (ms)': times },
      };
    },
  },
  {
    id: 'history',
    title: 'History page over 10,000 versions',
    method: (s) =>
      `\`GET /api/events/{id}/history?limit=100\` of an event with ${s.historyVersions.toLocaleString('en-US')} versions (seeded as bench/history.ts does). Floor query: one version row.`,
    run: async (suite) => {
      const p = await suite.postgres();
      const h = p.history!;
      return plainGet(suite, p, `/api/events/${h.eventId}/history?limit=100`, p.owner.token, {
        sql: 'select * from event_versions where version_id = $1',
        params: [h.last],
      });
    },
  },
  {
    id: 'diff',
    title: 'Diff of the first and last of 10,000 versions',
    method: () => '`GET /api/events/{id}/diff/{first}/{last}?detail=true` (word-level) on the same event. Floor query: one version row.',
    run: async (suite) => {
      const p = await suite.postgres();
      const h = p.history!;
      return plainGet(suite, p, `/api/events/${h.eventId}/diff/${h.first}/${h.last}?detail=true`, p.owner.token, {
        sql: 'select * from event_versions where version_id = $1',
        params: [h.last],
      });
    },
  },
  {
    id: 'pglite-get-event',
    title: 'Embedded database (PGlite): GET one event',
    method: (s) =>
      `\`GET /api/events/{id}\` on a bundle with no DATABASE_URL (PGlite in memory), autocannon ${s.connections} connections, against the PostgreSQL floor.`,
    run: async (suite) => {
      const p = await suite.pglite();
      const outcome = await plainGet(suite, p, `/api/events/${p.eventId}`, p.owner.token, {
        sql: 'select * from events limit 1',
        params: [],
      });
      return { ...outcome, floorLabel: 'PostgreSQL floor (bare node:http + one pg round trip, same body)' };
    },
  },
  {
    id: 'pglite-create',
    title: 'Embedded database (PGlite): create with conflict check',
    method: (s) =>
      `\`POST /api/events\` on the PGlite bundle, ${s.connections} connections as their own users, distinct times; against the PostgreSQL floor.`,
    run: async (suite) => {
      const p = await suite.pglite();
      const outcome = await createAgainstFloor(suite, p, p.writers, Date.UTC(2032, 0, 1));
      return { ...outcome, floorLabel: 'PostgreSQL floor (bare node:http + one pg round trip, same body)' };
    },
  },
  {
    id: 'live-fanout',
    title: 'Live fan-out to 2,000 WebSocket subscribers',
    method: (s) =>
      `bench/live-fanout-floor.ts then bench/live-fanout.ts --bundle, in turn ${s.rounds === 1 ? 'once' : `${s.rounds} times`}, with ${s.fanoutSubscribers.toLocaleString('en-US')} @trpc/client subscribers, 20 PUTs 500 ms apart after 2 unmeasured (on both sides). ` +
      "p50/p99: PUT response → receipt (product), server starts writing → receipt (floor), medians over the rounds; the ratio is the median of each round's product p99 ÷ the floor p99 measured just before it; peak RSS: the highest. Each product run uses its own database, dropped after.",
    run: async (suite) => {
      const n = String(suite.settings.fanoutSubscribers);
      const find = (all: Array<Record<string, unknown>>, key: string, value?: string) =>
        all.find((l) => (value === undefined ? key in l : l[key] === value));
      // One update's slow tail sets a run's p99, and the floor's own p99 moves with the machine:
      // floor and product alternate `rounds` times, and each product run is judged against the
      // floor run just before it (the median of those ratios).
      const runs: { product: RunFigures[]; floor: RunFigures[] } = { product: [], floor: [] };
      const rssByRun: Array<Record<string, number>> = [];
      for (let round = 0; round < suite.settings.rounds; round++) {
        const floorLines = await runScript('live-fanout-floor.ts', [n], async () => {});
        const lines = await runScript('live-fanout.ts', [n, '--bundle'], (pid) => dropDatabase(`bench_fanout_${pid}`));
        const receipt = find(lines, 'measure', 'PUT response -> receipt (ms)') as { p50: number; p99: number };
        const floorReceipt = find(floorLines, 'measure', 'server starts writing -> receipt (ms)') as { p50: number; p99: number };
        const rss = (find(lines, 'rss_mib') as { rss_mib: { server_process: Record<string, number> } }).rss_mib.server_process;
        const cpu =
          (find(lines, 'cpu_percent_of_one_core_during_updates') as { cpu_percent_of_one_core_during_updates: { server_process?: number } })
            .cpu_percent_of_one_core_during_updates.server_process ?? null;
        const counts = find(lines, 'receipts') as { receipts: number; expected: number };
        const floorCounts = find(floorLines, 'receipts') as { receipts: number; expected: number };
        rssByRun.push(rss);
        runs.floor.push({
          reqPerSec: NaN,
          p50: floorReceipt.p50,
          p99: floorReceipt.p99,
          errors: floorCounts.expected - floorCounts.receipts,
          requests: floorCounts.expected,
          cpuPercent: null,
          peakRssMiB: null,
        });
        runs.product.push({
          reqPerSec: NaN,
          p50: receipt.p50,
          p99: receipt.p99,
          errors: counts.expected - counts.receipts,
          requests: counts.expected,
          cpuPercent: cpu,
          peakRssMiB: rss['peak']!,
        });
        console.log(
          `  fan-out round ${round + 1}: floor p99 ${floorReceipt.p99} ms, product p99 ${receipt.p99} ms, receipts ${counts.receipts} of ${counts.expected}, peak RSS ${rss['peak']} MiB`,
        );
      }
      const product = aggregate(runs.product);
      const floor = aggregate(runs.floor);
      const p99s = (side: RunFigures[]) => side.map((r) => r.p99);
      return {
        product,
        floor,
        floorLabel: 'harness floor (bench/live-fanout-floor.ts)',
        metrics: { p99Ratio: pairedRatio(p99s(runs.product), p99s(runs.floor)), peakRssMB: Math.round(product.peakRssMiB! * 1.048576) },
        runs,
        details: {
          'p99 per round, floor / product (ms)': runs.floor
            .map((f, i) => `${f.p99} / ${runs.product[i]!.p99} (${ratio(runs.product[i]!.p99, f.p99)})`)
            .join(', '),
          'ratio of the medians (for comparison)': ratio(product.p99, floor.p99),
          'server RSS MiB (per round)': rssByRun,
          receipts: `${runs.product.reduce((sum, r) => sum + r.requests - r.errors, 0)} of ${runs.product.reduce((sum, r) => sum + r.requests, 0)}`,
        },
      };
    },
  },
  {
    id: 'idle-ws',
    title: '10,000 idle WebSocket connections',
    method: (s) =>
      `A fresh bundle process on the same database; ${s.idleConnections.toLocaleString('en-US')} WebSocket connections to /trpc, each sending its token (connectionParams), then idle. ` +
      'Memory per connection: (VmRSS 5 s after the last opened − VmRSS before) ÷ connections.',
    run: async (suite) => {
      const p = await suite.postgres();
      const server = await startBundle(productEnv({ DATABASE_URL: p.database.url }));
      const stopServer = onCleanup('idle server', () => server.stop());
      try {
        await new Promise((r) => setTimeout(r, 2000));
        const before = rssMiBOf(server.pid);
        const watched = await watch(server.pid, async () => {
          const opened = await ask(suite.load, {
            kind: 'idle-open',
            url: `${server.url.replace('http', 'ws')}/trpc`,
            count: suite.settings.idleConnections,
            token: p.owner.token,
          });
          await new Promise((r) => setTimeout(r, 5000));
          return opened;
        });
        const after = rssMiBOf(server.pid);
        const closed = await ask(suite.load, { kind: 'idle-close' });
        const opened = watched.result.opened ?? 0;
        const perConnection = opened ? Math.round(((after - before) * 1048576) / opened) : null;
        const product = {
          reqPerSec: NaN,
          p50: NaN,
          p99: NaN,
          errors: watched.result.errors,
          cpuPercent: watched.cpuPercent,
          peakRssMiB: watched.peakRssMiB,
          runs: 1,
        };
        return {
          product,
          floor: null,
          floorLabel: null,
          metrics: { bytesPerConnection: perConnection },
          runs: { product: [], floor: [] },
          details: {
            'RSS before / after (MiB)': `${before} / ${after}`,
            opened,
            'still open at the end': closed.opened,
            'bytes per connection': perConnection,
          },
        };
      } finally {
        stopServer();
        await server.stop();
      }
    },
  },
  {
    id: 'collab',
    title: '50 Yjs editors',
    method: (s) =>
      `bench/collab.ts --bundle: ${s.collabEditors} y-websocket editors typing 20 characters a second each for ${s.collabSeconds} s; p50/p99 keystroke → each other editor. Its own database, dropped after. No floor.`,
    run: async (suite) => {
      const lines = await runScript(
        'collab.ts',
        [String(suite.settings.collabEditors), String(suite.settings.collabSeconds), '--bundle'],
        (pid) => dropDatabase(`bench_collab_${pid}`),
      );
      const latency = lines.find((l) => l['measure'] === 'keystroke -> each other editor (ms)') as { p50: number; p99: number };
      const usage = lines.find((l) => 'server_cpu_percent_of_one_core' in l) as {
        server_cpu_percent_of_one_core: number;
        server_rss_mib: { before: number; peak: number };
      };
      const { bench: _, ...summary } = lines.find((l) => 'keystrokes' in l) ?? {};
      const product = {
        reqPerSec: NaN,
        p50: latency.p50,
        p99: latency.p99,
        errors: 0,
        cpuPercent: usage.server_cpu_percent_of_one_core,
        peakRssMiB: usage.server_rss_mib.peak,
        runs: 1,
      };
      return {
        product,
        floor: null,
        floorLabel: null,
        metrics: { p99Ms: latency.p99 },
        runs: { product: [], floor: [] },
        details: summary,
      };
    },
  },
];

async function dropDatabase(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(`drop database if exists ${name} with (force)`);
  } finally {
    await client.end();
  }
}

/** The product process's environment: production mode, tokens that outlive the run. */
function productEnv(env: Record<string, string>): Record<string, string> {
  return { NODE_ENV: 'production', LOG_LEVEL: 'warn', ACCESS_TOKEN_TTL: '3h', JWT_SECRET, ...UNLIMITED, ...env };
}

async function createEvent(url: string, token: string, body: Record<string, unknown>): Promise<number> {
  const res = await fetch(`${url}/api/events`, { method: 'POST', headers: { ...json, ...bearer(token) }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { event: { id: number } }).event.id;
}

const THE_EVENT = {
  title: 'Quarterly planning',
  description: 'Review of the quarter, goals for the next one, and the hiring plan. Bring the numbers.',
  location: 'Room 4',
  start_time: '2030-02-01T10:00:00Z',
  end_time: '2030-02-01T11:30:00Z',
};

/** The owner, its event shared with three writers, and each writer's own event. */
async function seedCommon(
  url: string,
  owner: { id: number; token: string },
  writers: Array<{ id: number; token: string }>,
): Promise<{ eventId: number; putEvents: number[] }> {
  const eventId = await createEvent(url, owner.token, THE_EVENT);
  const share = await fetch(`${url}/api/events/${eventId}/share`, {
    method: 'POST',
    headers: { ...json, ...bearer(owner.token) },
    body: JSON.stringify({ users: writers.slice(0, 3).map((w, i) => ({ user_id: w.id, role: i === 0 ? 'EDITOR' : 'VIEWER' })) }),
  });
  if (share.status !== 200) throw new Error(`share: ${share.status} ${await share.text()}`);
  const putEvents = await inParallel(writers, 8, (w) =>
    createEvent(url, w.token, { title: `Writer ${w.id}`, start_time: '2030-03-01T10:00:00Z', end_time: '2030-03-01T11:00:00Z' }),
  );
  return { eventId, putEvents };
}

function lazy<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | null = null;
  return () => (made ??= make());
}

async function main(): Promise<void> {
  const options = parseArgs(
    process.argv.slice(2),
    SCENARIOS.map((s) => s.id),
  );
  if (options.help) {
    console.log(
      'npm run bench -- [--quick] [--out=DIR] [scenario ...]\nscenarios:\n' +
        SCENARIOS.map((s) => `  ${s.id.padEnd(18)} ${s.title}`).join('\n'),
    );
    return;
  }
  const { settings } = options;
  const out = path.resolve(ROOT, options.out ?? (settings.quick ? 'bench/results' : 'docs'));
  cleanUpOnSignals();
  const startedAt = new Date().toISOString();
  console.log(JSON.stringify({ bench: 'suite', scenarios: options.scenarios, ...settings, ...machineFacts() }));

  await buildBundle();
  const load = (await forkHelper<LoadJob, { result?: LoadResult; error?: string }>('./load.ts')).helper;

  const postgres = lazy(async (): Promise<PostgresProduct> => {
    console.log('seeding PostgreSQL …');
    const database = await freshDatabase('suite');
    onCleanup('suite database', () => database.drop());
    const server = await startBundle(productEnv({ DATABASE_URL: database.url }));
    onCleanup('product server', () => server.stop());
    let lister: PostgresProduct['lister'] = null;
    let history: PostgresProduct['history'] = null;
    // The listing's events first: its shares are placed by event id, which then starts at 1.
    if (options.scenarios.includes('listing')) {
      const me = await register(server.url, 'lister');
      const sizes = await seedListing(database.pool, me.id, settings.listingEvents);
      console.log(JSON.stringify({ seeded: 'listing', ...sizes }));
      lister = { id: me.id, token: me.access };
    }
    const registered = await register(server.url, 'owner');
    const owner = { id: registered.id, token: registered.access };
    const writers = await loginUsers(server.url, database.pool, settings.connections, 'writer');
    const { eventId, putEvents } = await seedCommon(server.url, owner, writers);
    if (options.scenarios.some((id) => id === 'history' || id === 'diff')) {
      const id = await createEvent(server.url, owner.token, {
        title: 'Deep history',
        description: 'version 1 of a long description',
        start_time: '2030-01-01T10:00:00Z',
        end_time: '2030-01-01T11:00:00Z',
      });
      const { n, first, last } = await seedHistory(database.pool, id, settings.historyVersions);
      console.log(JSON.stringify({ seeded: 'history', versions: n }));
      history = { eventId: id, first, last };
    }
    return { server, database, owner, eventId, writers, putEvents, lister, history };
  });

  const pgliteServer = lazy(async () => {
    console.log('starting the bundle on the embedded database …');
    const server = await startBundle(productEnv({ DATA_DIR: ':memory:' }));
    const stop = onCleanup('pglite server', () => server.stop());
    const registered = await register(server.url, 'owner');
    const owner = { id: registered.id, token: registered.access };
    const writers = await inParallel(
      Array.from({ length: settings.connections }, (_, i) => i),
      8,
      async (i) => {
        const w = await register(server.url, `pgwriter${i}`);
        return { id: w.id, token: w.access };
      },
    );
    const { eventId } = await seedCommon(server.url, owner, writers);
    return { server, owner, eventId, writers: writers.map((w) => w.token), stop };
  });

  // The floor queries the suite's PostgreSQL database, also when it is the floor of the PGlite scenarios.
  const floor = lazy(async () => {
    const { database } = await postgres();
    const { helper, hello } = await forkHelper<FloorRoute, { ok: true }>('./floor.ts', { FLOOR_DATABASE_URL: database.url });
    return { helper, pid: helper.child.pid!, url: `http://127.0.0.1:${(hello as { port: number }).port}` };
  });
  const suite: Suite = { settings, load, floor, postgres, pglite: pgliteServer };

  const previous = readPrevious(out);
  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS.filter((s) => options.scenarios.includes(s.id))) {
    if (interrupted()) break;
    console.log(`\n== ${scenario.id}: ${scenario.title}`);
    const base = { id: scenario.id, title: scenario.title, method: scenario.method(settings) };
    try {
      const outcome = await scenario.run(suite);
      results.push({
        ...base,
        ...outcome,
        targets: judge(TARGETS[scenario.id] ?? [], outcome.metrics),
        measuredAt: new Date().toISOString(),
      });
    } catch (error) {
      console.error(error);
      results.push({
        ...base,
        product: null,
        floor: null,
        floorLabel: null,
        metrics: {},
        targets: judge(TARGETS[scenario.id] ?? [], {}),
        runs: { product: [], floor: [] },
        details: {},
        measuredAt: new Date().toISOString(),
        error: error instanceof Error ? error.message : String(error),
      });
    }
    // The embedded server (~500 MB) is stopped once its scenarios are over.
    if (scenario.id === 'pglite-create' || (scenario.id === 'pglite-get-event' && !options.scenarios.includes('pglite-create'))) {
      const embedded = await pgliteServer().catch(() => null);
      if (embedded) {
        embedded.stop();
        await embedded.server.stop();
      }
    }
  }

  if (interrupted()) return;
  const report: SuiteReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    quick: settings.quick,
    machine: machine(),
    commit: commit(),
    settings: {
      connections: settings.connections,
      'seconds per run': settings.seconds,
      'floor/product pairs': settings.rounds,
      'warm-up seconds': settings.warmupSeconds,
    },
    scenarios: merge(
      previous,
      results,
      SCENARIOS.map((s) => s.id),
    ),
  };
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'benchmarks.json'), JSON.stringify(report, null, 2) + '\n');
  const mdPath = path.join(out, 'benchmarks.md');
  const existing = existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : '# Benchmarks\n';
  writeFileSync(mdPath, spliceSection(existing, renderSection(report)));
  console.log(
    `\nwrote ${path.relative(ROOT, path.join(out, 'benchmarks.json'))} and the generated section of ${path.relative(ROOT, mdPath)}`,
  );
  for (const s of results) {
    for (const t of s.targets) console.log(`  ${s.id.padEnd(18)} ${t.text.padEnd(34)} ${t.measured ?? '–'} ${t.verdict}`);
  }
}

/** Scenarios of an earlier run that this one did not repeat are kept (each carries its own time). */
function readPrevious(out: string): ScenarioResult[] {
  try {
    return (JSON.parse(readFileSync(path.join(out, 'benchmarks.json'), 'utf8')) as SuiteReport).scenarios;
  } catch {
    return [];
  }
}

function merge(previous: ScenarioResult[], current: ScenarioResult[], order: string[]): ScenarioResult[] {
  const byId = new Map(previous.map((s) => [s.id, s]));
  for (const s of current) byId.set(s.id, s);
  return order.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
}

function commit(): string | null {
  try {
    const hash = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'apps', 'packages'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${hash} + uncommitted changes` : hash;
  } catch {
    return null;
  }
}

function machine(): Record<string, unknown> {
  const facts = machineFacts();
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
  return { cores: facts['nproc'], cpu, node: facts['node'], 'load average at start': facts['loadavg'] };
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanUp();
    process.exit();
  });
