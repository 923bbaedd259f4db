/**
 * The HTTP entry path: GET one event over REST and over tRPC HTTP against the production bundle,
 * alternating in one run with a floor (a bare `node:http` process answering the same body after
 * one `pg` round trip), with autocannon at 50 connections.
 *
 *   npm run build -w @scheduler/server
 *   npx tsx bench/entry-path.ts [seconds=8] [rounds=3] [--bundle=NAME=path/to/main.mjs ...]
 *
 * Each `--bundle` is started as its own server on the same fresh database (default: the current
 * bundle as "after"), so two builds can be compared in one run. The database is created on the
 * local PostgreSQL and dropped at the end. Prints a table and writes bench/results/entry-path.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freshDatabase, JWT_SECRET, positional } from './support.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const seconds = Number(positional[0] ?? 8);
const rounds = Number(positional[1] ?? 3);
const bundles = process.argv
  .filter((a) => a.startsWith('--bundle='))
  .map((a) => a.slice('--bundle='.length).split('='))
  .map(([name, file]) => ({ name: name!, file: path.resolve(file!) }));
if (bundles.length === 0) bundles.push({ name: 'after', file: path.join(root, 'apps/server/dist/main.mjs') });

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no answer from ${url}`);
}

async function start(file: string, env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [file], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child);
  return { url, child };
}

/** The floor: a bare node:http server, one pg round trip per request, the same body. */
const FLOOR_SOURCE = `
import http from 'node:http';
import pg from 'pg';
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const body = Buffer.from(process.env.FLOOR_BODY);
http.createServer(async (req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  await pool.query('select id, version from events where id = $1', [Number(process.env.FLOOR_EVENT_ID)]);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

interface Figures {
  /** Server CPU time (user + system) per answered request, in microseconds: robust on a busy machine. */
  cpuUs: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** CPU ticks (user + system) the process has used so far. */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
const TICK_US = 1_000_000 / 100; // USER_HZ is 100 on Linux

async function load(url: string, headers: Record<string, string>, pid: number): Promise<Figures> {
  const before = cpuTicks(pid);
  const result = await autocannon({ url, connections: 50, duration: seconds, headers });
  const cpu = (cpuTicks(pid) - before) * TICK_US;
  return {
    cpuUs: Math.round(cpu / Math.max(1, result.requests.total)),
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main() {
  const db = await freshDatabase('entry');
  const children: ChildProcess[] = [];
  try {
    const env = { DATABASE_URL: db.url, NODE_ENV: 'production', JWT_SECRET, LOG_LEVEL: 'warn' };
    const servers: Array<{ name: string; url: string; pid: number }> = [];
    for (const bundle of bundles) {
      const { url, child } = await start(bundle.file, env);
      children.push(child);
      servers.push({ name: bundle.name, url, pid: child.pid! });
    }
    const first = servers[0]!.url;
    const register = await fetch(`${first}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bench', email: 'bench@example.com', password: 'correct-horse-battery' }),
    });
    const { access } = (await register.json()) as { access: string };
    const auth = { authorization: `Bearer ${access}` };
    const created = await fetch(`${first}/api/events`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        title: 'Planning',
        start_time: '2030-01-01T09:00:00Z',
        end_time: '2030-01-01T10:00:00Z',
        description: 'Quarterly planning',
      }),
    });
    const { event } = (await created.json()) as { event: { id: number } };
    const restPath = `/api/events/${event.id}`;
    const trpcPath = `/trpc/events.get?input=${encodeURIComponent(JSON.stringify({ id: event.id }))}`;
    const body = await (await fetch(`${first}${restPath}`, { headers: auth })).text();
    for (const server of servers) {
      const check = await fetch(`${server.url}${trpcPath}`, { headers: auth });
      if (!check.ok) throw new Error(`${server.name}: tRPC answered ${check.status}`);
    }

    const floorFile = path.join(root, 'bench/.entry-floor.mjs');
    writeFileSync(floorFile, FLOOR_SOURCE);
    const floor = await start(floorFile, { DATABASE_URL: db.url, FLOOR_BODY: body, FLOOR_EVENT_ID: String(event.id) });
    children.push(floor.child);

    const scenarios: Array<{ name: string; url: string; headers: Record<string, string>; pid: number }> = [
      { name: 'floor', url: `${floor.url}/`, headers: {}, pid: floor.child.pid! },
    ];
    for (const server of servers) {
      scenarios.push({ name: `${server.name} REST GET /api/events/{id}`, url: `${server.url}${restPath}`, headers: auth, pid: server.pid });
      scenarios.push({ name: `${server.name} tRPC GET /trpc/events.get`, url: `${server.url}${trpcPath}`, headers: auth, pid: server.pid });
    }
    // Warm-up, then rounds in which every scenario runs once, alternating.
    for (const scenario of scenarios) await autocannon({ url: scenario.url, connections: 10, duration: 1, headers: scenario.headers });
    const runs = new Map<string, Figures[]>(scenarios.map((s) => [s.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const scenario of scenarios) {
        const figures = await load(scenario.url, scenario.headers, scenario.pid);
        runs.get(scenario.name)!.push(figures);
        console.error(
          `round ${round + 1}: ${scenario.name}: ${Math.round(figures.rps)} req/s, p99 ${figures.p99} ms, ${figures.cpuUs} µs CPU/request`,
        );
      }
    }
    const floorRps = median(runs.get('floor')!.map((f) => f.rps));
    const floorCpu = median(runs.get('floor')!.map((f) => f.cpuUs));
    const rows = scenarios.map((s) => {
      const list = runs.get(s.name)!;
      const rps = median(list.map((f) => f.rps));
      return {
        scenario: s.name,
        rps: Math.round(rps),
        p50: median(list.map((f) => f.p50)),
        p99: median(list.map((f) => f.p99)),
        errors: list.reduce((sum, f) => sum + f.errors + f.non2xx, 0),
        floor_ratio: Math.round((rps / floorRps) * 100) / 100,
        cpu_us: median(list.map((f) => f.cpuUs)),
        cpu_floor_ratio: Math.round((floorCpu / median(list.map((f) => f.cpuUs))) * 100) / 100,
      };
    });
    console.log(`\n${seconds} s per run, 50 connections, median of ${rounds} rounds, node ${process.version}\n`);
    console.log('| scenario | req/s | p50 ms | p99 ms | errors | share of the floor (req/s) | server CPU µs/request | floor CPU ÷ this |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(
        `| ${r.scenario} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.floor_ratio.toFixed(2)} | ${r.cpu_us} | ${r.cpu_floor_ratio.toFixed(2)} |`,
      );
    }
    mkdirSync(path.join(root, 'bench/results'), { recursive: true });
    writeFileSync(
      path.join(root, 'bench/results/entry-path.json'),
      JSON.stringify({ at: new Date().toISOString(), seconds, rounds, rows }, null, 2),
    );
  } finally {
    // Let every process close its pool before the database goes.
    await Promise.all(
      children.map((child) =>
        child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM')),
      ),
    );
    await db.drop();
  }
}

await main();
