import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import pg from 'pg';
import { migrateToLatest, openDatabase } from '@scheduler/db';
import { startServerProcess, type ServerProcess } from '../packages/api/test/support/processes.ts';

export const ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const JWT_SECRET = randomBytes(32).toString('hex');

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

/** The real server as its own process (so its CPU and memory are its own). */
export function startServer(env: Record<string, string>): Promise<ServerProcess> {
  return startServerProcess({ JWT_SECRET, LOG_LEVEL: 'warn', ...env });
}

/** The process that runs the server: tsx starts the program as a child of its own process. */
export function serverPid(wrapperPid: number): number {
  try {
    const children = readFileSync(`/proc/${wrapperPid}/task/${wrapperPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.length ? serverPid(Number(children[0])) : wrapperPid;
  } catch {
    return wrapperPid;
  }
}

/** Resident memory of a process in MiB, from /proc. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${serverPid(pid)}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${serverPid(pid)}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

/** Creates users straight in the database with sessions and real signed access tokens. */
export async function mintUsers(pool: pg.Pool, count: number, prefix: string): Promise<Array<{ id: number; token: string }>> {
  const { rows } = await pool.query<{ id: number }>(
    `insert into users (username, email, password_hash)
     select $1 || i, $1 || i || '@bench.test', 'not-a-login' from generate_series(1, $2::int) as i
     returning id`,
    [prefix, count],
  );
  const secret = new TextEncoder().encode(JWT_SECRET);
  const users: Array<{ id: number; token: string }> = [];
  for (const { id } of rows) {
    const sid = randomUUID();
    await pool.query(`insert into auth_sessions (id, user_id, refresh_jti, expires_at) values ($1, $2, $3, now() + interval '1 day')`, [sid, id, randomUUID()]);
    const token = await new SignJWT({ token_type: 'access', sid })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(id))
      .setJti(randomUUID())
      .setIssuer('event-scheduler')
      .setAudience('event-scheduler-api')
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(secret);
    users.push({ id, token });
  }
  return users;
}

export async function register(baseUrl: string, name: string): Promise<{ id: number; access: string }> {
  const res = await fetch(`${baseUrl}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: `${name}_${process.pid}_${Date.now()}`, email: `${name}_${process.pid}_${Date.now()}@bench.test`, password: 'bench-password' }),
  });
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

/** Times `runs` sequential calls after `warmup` unmeasured ones; milliseconds. */
export async function timeRuns(runs: number, warmup: number, call: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await call();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
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
