import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '@scheduler/db';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pruneFeed } from '../src/live/retention.ts';
import { recordEventChange } from '../src/services/changes.ts';
import { numberFeed } from '../src/services/feed-numbering.ts';
import { createEvent } from './support/events.ts';
import { eventually } from './support/eventually.ts';
import { apiClient, registerUser } from './support/http.ts';
import { ownDatabase, type OwnDatabase } from './support/own-database.ts';
import { startTestServer, TEST_DB, type TestServer } from './support/server.ts';
import { inFeedOrder, startReceiver } from './support/webhook-receiver.ts';

// One signing key for both servers, so the owner's token outlives the restart.
const ENV = {
  JWT_SECRET: randomBytes(32).toString('hex'),
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_RETRY_MS: '200',
  WEBHOOK_TIMEOUT_MS: '2000',
};

/**
 * The database survives the server: PostgreSQL a database of this file's own,
 * PGlite a data directory on disk, closed and opened again between the two servers.
 */
let own: OwnDatabase | undefined;
let dataDir: string | undefined;
async function openAgain(): Promise<DatabaseHandle> {
  if (own?.url) return openDatabase({ url: own.url, poolSize: 10 });
  const handle = await openDatabase({ dataDir: dataDir! });
  await migrateToLatest(handle.db);
  return handle;
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let handle: DatabaseHandle | undefined;
let server: TestServer | undefined;

beforeAll(async () => {
  receiver = await startReceiver((req, res) =>
    req.path === '/lag' ? res.writeHead(200).end() : res.writeHead(503).end('down for maintenance'),
  );
  if (TEST_DB === 'postgres') own = await ownDatabase();
  else dataDir = mkdtempSync(path.join(tmpdir(), 'webhooks-restart-'));
});
afterAll(async () => {
  await server?.stop();
  await handle?.close();
  await own?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  await receiver?.close();
});

it('delivers what was pending when the server stopped, once each, from the next server on the same database', async () => {
  handle = await openAgain();
  server = await startTestServer(ENV, handle);
  const api = apiClient(server.url);
  const owner = await registerUser(api, 'wh_restart');
  const hook = await api.post('/api/webhooks', { token: owner.access, body: { url: receiver.url('/restart'), types: ['event.created'] } });
  expect(hook.status).toBe(201);
  const titles = ['one', 'two', 'three', 'four', 'five'];
  for (const title of titles) await createEvent(api, owner, { title });

  // Every message has been tried and refused: they wait in the outbox for their next attempt.
  await eventually(async () => {
    const log = (await api.get(`/api/webhooks/${hook.body.id}/deliveries`, { token: owner.access })).body as Array<{
      message_id: string;
      ok: boolean;
    }>;
    expect(new Set(log.map((a) => a.message_id)).size).toBe(titles.length);
    expect(log.every((a) => !a.ok)).toBe(true);
  });
  await server.stop();
  server = undefined;
  await handle.close();
  handle = undefined;

  const refusedBefore = receiver.received.length;
  receiver.respondWith((_req, res) => res.writeHead(200).end('ok'));
  handle = await openAgain();
  server = await startTestServer(ENV, handle);
  const restarted = apiClient(server.url);
  await eventually(async () => {
    const rows = await handle!.db
      .selectFrom('webhook_deliveries')
      .select(['message_id', 'status'])
      .where('webhook_id', '=', hook.body.id)
      .execute();
    expect(rows).toHaveLength(titles.length);
    expect(rows.every((r) => r.status === 'delivered')).toBe(true);
  }, 30_000);
  const accepted = receiver.received.slice(refusedBefore);
  const ids = accepted.map((r) => r.headers['webhook-id']);
  expect(ids).toHaveLength(titles.length);
  expect(new Set(ids).size).toBe(titles.length);
  expect(accepted.map((r) => JSON.parse(r.body).event.title).sort()).toEqual([...titles].sort());
  const log = (await restarted.get(`/api/webhooks/${hook.body.id}/deliveries`, { token: owner.access })).body as Array<{ ok: boolean }>;
  expect(log.filter((a) => a.ok)).toHaveLength(titles.length);
});

it('never prunes feed rows the outbox has not read: they are delivered once a server reads them', async () => {
  const api = apiClient(server!.url);
  const owner = await registerUser(api, 'wh_lag');
  const hook = await api.post('/api/webhooks', { token: owner.access, body: { url: receiver.url('/lag'), types: ['event.updated'] } });
  const event = await createEvent(api, owner, { title: 'lagging' });
  // The outbox has read the whole feed…
  await eventually(async () => {
    const head = await handle!.db
      .selectFrom('changes')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirstOrThrow();
    const read = await handle!.db.selectFrom('webhook_feed_cursor').select('last_change_id').executeTakeFirstOrThrow();
    expect(read.last_change_id).toBe(head.id);
  });
  await server!.stop();
  server = undefined;

  // Written while no server reads the feed: the outbox's cursor stays behind these rows.
  for (const title of ['late 1', 'late 2']) {
    await handle!.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('events')
        .set((eb) => ({ title, version: eb('version', '+', 1) }))
        .where('id', '=', event.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordEventChange(trx, { event: updated, historyType: '~', type: 'event.updated', actorId: owner.id });
    });
  }
  // As every writer does once committed (the write paths do it in `inTransaction`).
  await numberFeed(handle!.db);
  const { last_change_id: cursor } = await handle!.db.selectFrom('webhook_feed_cursor').select('last_change_id').executeTakeFirstOrThrow();
  const unread = await handle!.db.selectFrom('changes').select('id').where('id', '>', cursor).execute();
  expect(unread).toHaveLength(2);

  // Pruning everything old enough (all of it) keeps what the outbox has not read.
  await pruneFeed(handle!.db, 0);
  const kept = await handle!.db.selectFrom('changes').select('id').where('id', '>', cursor).execute();
  expect(kept).toEqual(unread);
  const older = await handle!.db
    .selectFrom('changes')
    .select('id')
    .where('id', '<=', cursor)
    .where('subject_user_id', 'is', null)
    .execute();
  expect(older.length).toBeLessThanOrEqual(1); // at most the feed's head

  server = await startTestServer(ENV, handle);
  await eventually(() => expect(inFeedOrder(receiver.at('/lag')).map((m) => m.event?.title)).toEqual(['late 1', 'late 2']), 20_000);
  expect(hook.status).toBe(201);
});
