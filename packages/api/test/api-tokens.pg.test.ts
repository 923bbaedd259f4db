import { randomBytes } from 'node:crypto';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '@scheduler/db';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withinOneSecond } from './support/cache-scenarios.ts';
import { apiClient, errorBody, registerUser } from './support/http.ts';
import { startServerProcess, type ServerProcess } from './support/processes.ts';

const JWT_SECRET = randomBytes(32).toString('hex');
let database: DatabaseHandle;

beforeAll(async () => {
  database = await openDatabase({ url: inject('postgresUrl') });
  await migrateToLatest(database.db);
});
afterAll(async () => {
  await database?.close();
});

const lastUsed = async (id: number) =>
  (await sql<{ last_used_at: Date | null }>`select last_used_at from api_tokens where id = ${id}`.execute(database.db)).rows[0]!
    .last_used_at;

describe('API tokens on two server processes sharing one database', () => {
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    // Uses are never written by the timer here: only at shutdown.
    const env = { DATABASE_URL: inject('postgresUrl'), JWT_SECRET, API_TOKEN_USAGE_FLUSH_MS: '600000' };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('a token revoked on one instance is refused on the other within a second', async () => {
    const apiA = apiClient(a.url);
    const apiB = apiClient(b.url);
    const user = await registerUser(apiA, 'revoker');
    const created = await apiA.post('/api/tokens', { token: user.access, body: { name: 'ci', access: 'read' } });
    expect(created.status).toBe(201);
    // Cached on B.
    for (let i = 0; i < 3; i++) expect((await apiB.get('/api/events', { token: created.body.token })).status).toBe(200);
    expect((await apiA.delete(`/api/tokens/${created.body.id}`, { token: user.access })).status).toBe(200);
    await withinOneSecond(async () => {
      const res = await apiB.get('/api/events', { token: created.body.token });
      expect(res.status).toBe(401);
      expect(errorBody(res).error).toMatch(/revoked/);
    });
  });

  it('writes last_used_at at shutdown, not per request', async () => {
    const apiB = apiClient(b.url);
    const user = await registerUser(apiB, 'user');
    const created = await apiB.post('/api/tokens', { token: user.access, body: { name: 'ci', access: 'read' } });
    for (let i = 0; i < 3; i++) expect((await apiB.get('/api/auth/me', { token: created.body.token })).status).toBe(200);
    expect(await lastUsed(created.body.id)).toBeNull();
    await b.stop();
    expect(await lastUsed(created.body.id)).toBeInstanceOf(Date);
  });
});
