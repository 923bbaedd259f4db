import { randomBytes } from 'node:crypto';
import { openDatabase } from '@scheduler/db';
import { sql } from 'kysely';
import pg from 'pg';
import { inject, afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/collab.ts';
import { createEvent, freeSlot } from './support/events.ts';
import { apiClient, registerUser, type ApiResponse } from './support/http.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { tcpProxy } from './support/tcp-proxy.ts';

/** Every answer while the database misbehaves: a success, or 503 in the error shape with Retry-After. */
function expectSuccessOr503(res: ApiResponse, successes: number[]) {
  if (successes.includes(res.status)) return;
  expect(res.status, res.text).toBe(503);
  expect(res.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', error: expect.any(String) });
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('PostgreSQL drops the server’s connections (pg_terminate_backend)', () => {
  const appName = `faults_${randomBytes(4).toString('hex')}`;
  let server: TestServer;
  let admin: pg.Client;

  beforeAll(async () => {
    const url = new URL(inject('postgresUrl'));
    url.searchParams.set('application_name', appName);
    const database = await openDatabase({ url: url.toString(), poolSize: 8 });
    server = await startTestServer({}, database);
    admin = new pg.Client({ connectionString: inject('postgresUrl') });
    await admin.connect();
  });
  afterAll(async () => {
    await server?.stop();
    await server?.database.close();
    await admin?.end();
  });

  it('answers 200 or 503 throughout, and recovers by itself', async () => {
    const api = apiClient(server.url);
    const user = await registerUser(api, 'fault');
    const event = await createEvent(api, user);
    let killing = true;
    let terminated = 0;
    const killer = (async () => {
      while (killing) {
        const { rows } = await admin.query(
          'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = $1',
          [appName],
        );
        terminated += rows[0].n as number;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    })();
    const statuses: number[] = [];
    const worker = async () => {
      for (let i = 0; i < 25; i++) {
        const reads = await Promise.all([
          api.get('/api/events', { token: user.access }),
          api.get(`/api/events/${event.id}`, { token: user.access }),
        ]);
        for (const res of reads) {
          expectSuccessOr503(res, [200]);
          statuses.push(res.status);
        }
        const write = await api.post('/api/events', { token: user.access, body: { title: `w${i}`, ...freeSlot() } });
        expectSuccessOr503(write, [201]);
        statuses.push(write.status);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    killing = false;
    await killer;
    expect(terminated).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 200 || s === 201).length).toBeGreaterThan(0);
    // Traffic recovers without a restart.
    await eventually(async () => {
      expect((await api.get(`/api/events/${event.id}`, { token: user.access })).status).toBe(200);
      expect((await api.get('/readyz')).status).toBe(200);
    });
    const after = await api.post('/api/events', { token: user.access, body: { title: 'after', ...freeSlot() } });
    expect(after.status).toBe(201);
  });

  it('retries a read on a fresh connection when its connection is lost mid-query, but never a write', async () => {
    const db = server.database.db;
    /** Terminates this server's backend running `marker` as soon as it is seen running. */
    const killWhenRunning = async (marker: string) => {
      await eventually(async () => {
        const { rows } = await admin.query(
          `select pg_terminate_backend(pid) as killed from pg_stat_activity where application_name = $1 and state = 'active' and query like $2`,
          [appName, `%${marker}%`],
        );
        expect(rows.length).toBeGreaterThan(0);
      });
    };
    const read = sql<{ one: number }>`select 1 as one, pg_sleep(case when ${'retry-read'}::text = '' then 0 else 0.8 end)`.execute(db);
    await killWhenRunning('pg_sleep(case when');
    // The retried statement sleeps again on the fresh connection and answers.
    expect((await read).rows[0]?.one).toBe(1);

    const write =
      sql`insert into users (username, email, password_hash) select 'never_' || md5(random()::text), md5(random()::text) || '@x.y', 'x' from pg_sleep(0.8)`
        .execute(db)
        .then(
          () => 'written',
          (error: unknown) => error,
        );
    await killWhenRunning('from pg_sleep(0.8)');
    // A write may have reached the server: it is never run twice, the caller sees the failure (a 503).
    expect(await write).toBeInstanceOf(Error);
  });
});

describe('the database is away', () => {
  let proxy: Awaited<ReturnType<typeof tcpProxy>>;
  let server: TestServer;

  beforeAll(async () => {
    const target = new URL(inject('postgresUrl'));
    proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const url = new URL(target);
    url.port = String(proxy.port);
    const database = await openDatabase({ url: url.toString(), poolSize: 4, acquireTimeoutMs: 1000 });
    server = await startTestServer({}, database);
  });
  afterAll(async () => {
    await server?.stop();
    await server?.database.close();
    await proxy?.close();
  });

  it('answers 503 with Retry-After, reports not ready, and recovers when it is back', async () => {
    const api = apiClient(server.url);
    const user = await registerUser(api, 'away');
    const event = await createEvent(api, user);
    proxy.down();
    for (const res of [
      await api.get(`/api/events/${event.id}`, { token: user.access }),
      await api.post('/api/events', { token: user.access, body: { title: 'while away', ...freeSlot() } }),
      await api.post('/api/auth/login', { body: { username: user.username, password: user.password } }),
    ]) {
      expect(res.status, res.text).toBe(503);
      expect(res.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', error: expect.any(String) });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    const ready = await api.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect((await api.get('/healthz')).status).toBe(200);
    proxy.up();
    await eventually(async () => {
      expect((await api.get('/readyz')).status).toBe(200);
      expect((await api.get(`/api/events/${event.id}`, { token: user.access })).status).toBe(200);
    });
  });
});
