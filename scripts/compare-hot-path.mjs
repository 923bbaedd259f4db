// Measures the request hot path of one or more production bundles against a bare node:http floor
// (one pg round trip, the same body), alternating in one run on a fresh PostgreSQL database.
//
//   node scripts/compare-hot-path.mjs [label=path/to/main.mjs ...]
//
// Environment: PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres), ROUNDS (3),
// SECONDS (5), CONNECTIONS (50). Prints a Markdown table: req/s, p50/p99 and the ratio to the floor.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';

const ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.SECONDS ?? 5);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const bundles = (process.argv.slice(2).length ? process.argv.slice(2) : ['current=apps/server/dist/main.mjs']).map((arg) => {
  const [label, file] = arg.includes('=') ? arg.split('=') : [arg, arg];
  return { label, file: path.resolve(file) };
});

const dbName = `scheduler_hotpath_${randomBytes(4).toString('hex')}`;
const dbUrl = ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`);
const children = [];

function start(file, env) {
  const child = spawn(process.execPath, [file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /"url":"(http:\/\/[^"]+)"|LISTENING (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1] ?? match[2]);
    });
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}: ${out}`)));
  });
}

async function json(url, init) {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() };
}

function run(url, headers) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`create database ${dbName}`);
try {
  const secret = randomBytes(32).toString('hex');
  const serverEnv = { DATABASE_URL: dbUrl, JWT_SECRET: secret, NODE_ENV: 'production', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0' };
  // The first server migrates; the others start on the migrated database.
  const servers = [];
  for (const bundle of bundles) servers.push({ ...bundle, url: await start(bundle.file, serverEnv) });
  const base = servers[0].url;

  const register = (name) =>
    json(`${base}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: name, email: `${name}@example.com`, password: 'correct-horse-battery' }),
    }).then((r) => r.body);
  const owner = await register(`owner_${randomBytes(3).toString('hex')}`);
  const friends = [await register(`alice_${randomBytes(3).toString('hex')}`), await register(`bob_${randomBytes(3).toString('hex')}`)];
  const auth = { authorization: `Bearer ${owner.access}` };
  const created = await json(`${base}/api/events`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      title: 'Bench',
      description: 'One event',
      start_time: '2030-01-01T10:00:00Z',
      end_time: '2030-01-01T11:00:00Z',
    }),
  });
  const id = created.body.event.id;
  await json(`${base}/api/events/${id}/share`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ users: friends.map((f, i) => ({ user_id: f.user.id, role: i ? 'VIEWER' : 'EDITOR' })) }),
  });
  const body = JSON.stringify((await json(`${base}/api/events/${id}`, { headers: auth })).body);

  // The floor: a bare node:http server, one pg round trip per request, the same body.
  const floorFile = path.join(tmpdir(), `${dbName}-floor.mjs`);
  writeFileSync(
    floorFile,
    `import http from 'node:http';
import pg from ${JSON.stringify(new URL(import.meta.resolve('pg')).pathname)};
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const body = ${JSON.stringify(body)};
const server = http.createServer(async (req, res) => {
  await pool.query('select id from events where id = $1', [${id}]);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => console.log('LISTENING http://127.0.0.1:' + server.address().port));
`,
  );
  const floorUrl = await start(floorFile, { DATABASE_URL: dbUrl });

  const trpcInput = encodeURIComponent(JSON.stringify({ id }));
  const scenarios = [{ name: 'floor', url: `${floorUrl}/`, headers: {} }];
  for (const s of servers) {
    scenarios.push(
      { name: `${s.label} GET /api/events/{id}`, url: `${s.url}/api/events/${id}`, headers: auth },
      { name: `${s.label} GET /trpc/events.get`, url: `${s.url}/trpc/events.get?input=${trpcInput}`, headers: auth },
      { name: `${s.label} GET /api/auth/me`, url: `${s.url}/api/auth/me`, headers: auth },
    );
  }
  for (const s of scenarios) {
    const res = await fetch(s.url, { headers: s.headers });
    if (res.status !== 200) throw new Error(`${s.name}: ${res.status} ${await res.text()}`);
  }
  const results = new Map(scenarios.map((s) => [s.name, []]));
  await run(scenarios[1].url, auth); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of scenarios) {
      const r = await run(s.url, s.headers);
      results.get(s.name).push({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx });
      process.stderr.write(`${s.name}: ${Math.round(r.requests.average)} req/s p99 ${r.latency.p99} ms\n`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const floorRps = median(results.get('floor').map((r) => r.rps));
  console.log(`\n${CONNECTIONS} connections, ${SECONDS} s, median of ${ROUNDS}, alternating in one run\n`);
  console.log('| request | req/s | p50 ms | p99 ms | errors | share of the floor |\n|---|---|---|---|---|---|');
  for (const [name, rs] of results) {
    const rps = median(rs.map((r) => r.rps));
    console.log(
      `| ${name} | ${Math.round(rps)} | ${median(rs.map((r) => r.p50))} | ${median(rs.map((r) => r.p99))} | ${rs.reduce((n, r) => n + r.errors, 0)} | ${(rps / floorRps).toFixed(2)} |`,
    );
  }
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await admin.query(`drop database if exists ${dbName} with (force)`).catch((e) => console.error(e.message));
  await admin.end();
}
