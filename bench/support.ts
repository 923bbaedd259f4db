/**
 * Shared helpers for the benchmark scripts in this folder (not a benchmark itself).
 *
 * - freshDatabase(): a new database `bench_<name>_<pid>` on the local PostgreSQL, migrated, dropped by drop().
 * - startServer(): the real server, in this process (`startApp(loadConfig(...))`, the default for
 *   the request benchmarks) or as its own process (`apps/server/src/main.ts` through tsx, so its
 *   memory and CPU can be read from /proc). `--in-process` / `--child` on a script's command line
 *   override its default; `--bundle` runs the child from the esbuild bundle `npm start` runs
 *   (apps/server/dist/main.mjs, built by `npm run build -w @scheduler/server`).
 * - loginUsers(): many users created set-based in SQL with one real argon2 hash, then logged in
 *   through POST /api/auth/login, so every token is a real one issued by the server.
 * - timeRuns() / summarize(): sequential timing with performance.now(), bounded in count and time.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { hash } from '@node-rs/argon2';
import pg from 'pg';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { WebSocket } from 'ws';
import type { AppRouter } from '@scheduler/api';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '@scheduler/db';
import { loadConfig, startApp } from '@scheduler/api';
import { startServerProcess } from '../packages/api/test/support/processes.ts';

export const ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** 64 hex characters. */
export const JWT_SECRET = randomBytes(32).toString('hex');
/**
 * A benchmark drives one user (or one address) far past what a person sends: the per-user
 * request and WebSocket limits that protect a public server would measure themselves instead.
 */
export const UNLIMITED = { RATE_LIMIT_REQUESTS: '1000000000', WS_MAX_CONNECTIONS_PER_USER: '100000' };

/** A fresh, migrated database on the local PostgreSQL; drop() removes it. */
export async function freshDatabase(name: string): Promise<{ url: string; pool: pg.Pool; drop(): Promise<void> }> {
  const db = `bench_${name}_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${db} with (force)`);
  await admin.query(`create database ${db}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${db}`;
  const handle = await openDatabase({ url: url.toString() });
  await migrateToLatest(handle.db);
  await handle.close();
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  return {
    url: url.toString(),
    pool,
    drop: async () => {
      await pool.end();
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${db} with (force)`);
      await c.end();
    },
  };
}

export interface BenchServer {
  url: string;
  /** The process that serves requests (this one when in-process). */
  pid: number;
  inProcess: boolean;
  stop(): Promise<void>;
}

/** In-process unless the script defaults otherwise; `--in-process` or `--child` on the command line decide. */
export function wantInProcess(defaultInProcess: boolean): boolean {
  if (process.argv.includes('--in-process')) return true;
  if (process.argv.includes('--child') || process.argv.includes('--bundle')) return false;
  return defaultInProcess;
}

/** The command-line arguments that are not flags (sizes, durations). */
export const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));

/**
 * Starts the real server on 127.0.0.1 and a free port. In-process: `startApp(loadConfig(env))`,
 * optionally on an already-open database handle. Child: `apps/server/src/main.ts` via tsx.
 */
export async function startServer(
  env: Record<string, string>,
  options: { inProcess: boolean; database?: DatabaseHandle },
): Promise<BenchServer> {
  if (options.inProcess) {
    const config = loadConfig({ NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', JWT_SECRET, ...UNLIMITED, ...env });
    const app = await startApp(config, options.database ? { database: options.database } : {});
    return {
      url: app.url,
      pid: process.pid,
      inProcess: true,
      stop: async () => {
        await app.close();
        await options.database?.close();
      },
    };
  }
  if (process.argv.includes('--bundle')) return startBundle({ JWT_SECRET, LOG_LEVEL: 'warn', ...UNLIMITED, ...env });
  const child = await startServerProcess({ JWT_SECRET, LOG_LEVEL: 'warn', ...UNLIMITED, ...env });
  return { url: child.url, pid: serverPid(child.child.pid!), inProcess: false, stop: () => child.stop() };
}

/** The node flags `npm start` runs the bundle with (the root package.json), so the bench runs what production runs. */
function productionNodeFlags(): string[] {
  const start = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }).scripts
    .start;
  const command = start.split('&&').at(-1)!.trim().split(/\s+/);
  return command.slice(1, -1); // between `node` and the bundle
}

/** The production bundle as its own process, started as `npm start` starts it. */
export async function startBundle(env: Record<string, string>): Promise<BenchServer> {
  const bundle = new URL('../apps/server/dist/main.mjs', import.meta.url).pathname;
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: npm run build -w @scheduler/server`);
  console.log(JSON.stringify({ bundle, built_at: statSync(bundle).mtime.toISOString() }));
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  // BENCH_SERVER_NODE_ARGS adds flags for the server process only (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
  const extra = (process.env['BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...productionNodeFlags(), ...extra, bundle], {
    env: { ...process.env, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), DATA_DIR: ':memory:', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 200))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('the bundled server did not start');
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
  }
  const stop = () =>
    new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM'))));
  return { url, pid: child.pid!, inProcess: false, stop };
}

/** The process that runs the server: tsx starts the program as a child of its own process. */
function serverPid(wrapperPid: number): number {
  try {
    const children = readFileSync(`/proc/${wrapperPid}/task/${wrapperPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.length ? serverPid(Number(children[0])) : wrapperPid;
  } catch {
    return wrapperPid;
  }
}

/** Resident memory of a process in MiB (VmRSS from /proc). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function inParallel<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await task(items[i]!);
      }
    }),
  );
  return out;
}

/**
 * `count` users inserted set-based (one real argon2 hash shared by all), then each logged in
 * through POST /api/auth/login: real sessions and real access tokens.
 */
export async function loginUsers(
  baseUrl: string,
  pool: pg.Pool,
  count: number,
  prefix: string,
): Promise<Array<{ id: number; token: string }>> {
  const password = 'bench-password';
  const passwordHash = await hash(password);
  const tag = `${prefix}${process.pid}_`;
  const { rows } = await pool.query<{ id: number; username: string }>(
    `insert into users (username, email, password_hash)
     select $1 || i, $1 || i || '@bench.test', $3 from generate_series(1, $2::int) as i
     order by i returning id, username`,
    [tag, count, passwordHash],
  );
  return inParallel(rows, 8, async ({ id, username }) => {
    const res = await fetch(`${baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { access: string };
    return { id, token: body.access };
  });
}

export async function register(baseUrl: string, name: string): Promise<{ id: number; access: string }> {
  const unique = `${name}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const res = await fetch(`${baseUrl}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: unique, email: `${unique}@bench.test`, password: 'bench-password' }),
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { user: { id: number }; access: string };
  return { id: body.user.id, access: body.access };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function summarize(samples: number[]): { n: number; p50: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return { n: sorted.length, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? NaN) };
}

/** Times up to `runs` sequential calls (at most `maxMs` in all) after `warmup` unmeasured ones; milliseconds. */
export async function timeRuns(runs: number, warmup: number, call: () => Promise<unknown>, maxMs = 60_000): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await call();
  const samples: number[] = [];
  const deadline = performance.now() + maxMs;
  for (let i = 0; i < runs && performance.now() < deadline; i++) {
    const t0 = performance.now();
    await call();
    samples.push(performance.now() - t0);
  }
  return samples;
}

export async function getJson(url: string, token: string): Promise<unknown> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Machine facts printed at the top of every run. */
export function machineFacts(): Record<string, unknown> {
  const cpus = readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return { nproc: cpus, node: process.version, loadavg: load, at: new Date().toISOString() };
}

/**
 * One real @trpc/client per token (`createWSClient` + `wsLink`, token in connectionParams),
 * each subscribed to `live.onChange` for one event and added to `clients` (for the caller to
 * close, even on failure); resolves once every subscription has started. `onTitle` is called
 * with the event title of every message received.
 */
export async function subscribeEach(
  clients: Array<ReturnType<typeof createWSClient>>,
  wsUrl: string,
  tokens: string[],
  eventId: number,
  onTitle: (title: string) => void,
): Promise<void> {
  let started = 0;
  await new Promise<void>((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error(`only ${started} of ${tokens.length} subscriptions started`)), 120_000);
    for (const token of tokens) {
      const wsClient = createWSClient({ url: wsUrl, WebSocket: WebSocket as never, connectionParams: async () => ({ token }) });
      clients.push(wsClient);
      const trpc = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
      trpc.live.onChange.subscribe(
        { event_id: eventId },
        {
          onStarted: () => {
            if (++started === tokens.length) {
              clearTimeout(timeout);
              resolve();
            }
          },
          onData: (envelope) => {
            const title = envelope.data.event?.title;
            if (title) onTitle(title);
          },
          onError: reject,
        },
      );
    }
  });
}
