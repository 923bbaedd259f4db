import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from './support/eventually.ts';
import { apiClient, registerUser } from './support/http.ts';
import { ownDatabase, type OwnDatabase } from './support/own-database.ts';
import { startServerProcess, type ServerProcess } from './support/processes.ts';
import { startReceiver } from './support/webhook-receiver.ts';

let own: OwnDatabase;
let a: ServerProcess;
let b: ServerProcess;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  // A receiver that takes a moment, so both instances have deliveries in flight at once.
  receiver = await startReceiver((_req, res) => void setTimeout(() => res.writeHead(200).end('ok'), 30));
  own = await ownDatabase();
  const env = {
    DATABASE_URL: own.url!,
    JWT_SECRET: randomBytes(32).toString('hex'),
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_MS: '200',
  };
  [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await own?.drop();
  await receiver?.close();
});

it('two instances on one database deliver each message to each hook exactly once', async () => {
  const apiA = apiClient(a.url);
  const apiB = apiClient(b.url);
  const owner = await registerUser(apiA, 'wh_multi');
  const hooks: number[] = [];
  for (const name of ['first', 'second']) {
    const res = await apiA.post('/api/webhooks', { token: owner.access, body: { url: receiver.url(`/${name}`) } });
    expect(res.status).toBe(201);
    hooks.push(res.body.id as number);
  }
  const count = 20;
  for (let i = 0; i < count; i += 1) {
    const api = i % 2 === 0 ? apiA : apiB;
    const start = Date.UTC(2041, 0, 1) + i * 3_600_000;
    const res = await api.post('/api/events', {
      token: owner.access,
      body: { title: `multi ${i}`, start_time: new Date(start).toISOString(), end_time: new Date(start + 1_800_000).toISOString() },
    });
    expect(res.status).toBe(201);
  }
  await eventually(
    async () => {
      for (const id of hooks) {
        const log = (await apiB.get(`/api/webhooks/${id}/deliveries`, { token: owner.access })).body as Array<{ ok: boolean }>;
        expect(log.filter((entry) => entry.ok)).toHaveLength(count);
      }
    },
    { timeout: 30_000, interval: 200 },
  );
  for (const path of ['/first', '/second']) {
    const ids = receiver.at(path).map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(count);
    expect(new Set(ids).size).toBe(count);
    expect(
      receiver
        .messages(path)
        .map((m) => m.event.title)
        .sort(),
    ).toEqual(Array.from({ length: count }, (_, i) => `multi ${i}`).sort());
  }
});
