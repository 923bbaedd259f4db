import { randomBytes } from 'node:crypto';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '@scheduler/db';
import pg from 'pg';
import { inject, afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneFeed } from '../src/live/retention.ts';
import { createEvent, shareWith } from './support/events.ts';
import { apiClient, errorBody, registerUser, type ApiClient, type TestUser } from './support/http.ts';
import { wsSubscriber } from './support/live.ts';
import { openTestDatabase, startTestServer, TEST_DB, type TestServer } from './support/server.ts';

/**
 * Pruning touches the whole feed, so this file has a database of its own: on
 * PostgreSQL a fresh one (other files share the run's database), on PGlite
 * its own instance as always.
 */
async function ownDatabase(): Promise<{ handle: DatabaseHandle; drop(): Promise<void> }> {
  if (TEST_DB === 'pglite') {
    const handle = await openTestDatabase();
    return { handle, drop: () => handle.close() };
  }
  const base = new URL(inject('postgresUrl'));
  const name = `retention_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ url: url.toString(), poolSize: 5 });
  await migrateToLatest(handle.db);
  return {
    handle,
    drop: async () => {
      await handle.close();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

let own: Awaited<ReturnType<typeof ownDatabase>>;
let server: TestServer;
let api: ApiClient;
let owner: TestUser;
let reader: TestUser;
let eventId: number;
let oldCursor: string;
let sharedAt: string;

const pause = () => new Promise((resolve) => setTimeout(resolve, 1100));

beforeAll(async () => {
  own = await ownDatabase();
  server = await startTestServer({}, own.handle);
  api = apiClient(server.url);
  owner = await registerUser(api, 'ret_owner');
  reader = await registerUser(api, 'ret_reader');
  const event = await createEvent(api, owner, { title: 'Before' });
  eventId = event.id;
  await shareWith(api, owner, eventId, reader, 'VIEWER');
  oldCursor = (await api.get('/api/sync', { token: reader.access })).body.next_cursor;
  await pause();
  sharedAt = new Date().toISOString();
  await pause();
  for (const title of ['One', 'Two', 'Three']) {
    expect((await api.patch(`/api/events/${eventId}`, { token: owner.access, body: { title } })).status).toBe(200);
  }
  // Everything but the newest row is older than "now": prune with no age to keep.
  const deleted = await pruneFeed(server.deps.db, 0);
  expect(deleted).toBeGreaterThan(0);
});
afterAll(async () => {
  await server?.stop();
  await own?.drop();
});

describe('a pruned change feed', () => {
  it('answers an old sync cursor with 410 in the error shape; starting again works', async () => {
    const stale = await api.get(`/api/sync?cursor=${oldCursor}`, { token: reader.access });
    expect(stale.status).toBe(410);
    expect(errorBody(stale).code).toBe('GONE');
    const fresh = await api.get('/api/sync', { token: reader.access });
    expect(fresh.status).toBe(200);
    expect(fresh.body.changes.map((c: { event: { title: string } }) => c.event.title)).toEqual(['Three']);
    const next = await api.get(`/api/sync?cursor=${fresh.body.next_cursor}`, { token: reader.access });
    expect(next.status).toBe(200);
    expect(next.body.changes).toEqual([]);
  });

  it('still answers as_of: access and content at a moment whose feed rows were pruned', async () => {
    const then = await api.get(`/api/events/${eventId}?as_of=${encodeURIComponent(sharedAt)}`, { token: reader.access });
    expect(then.status, then.text).toBe(200);
    expect(then.body).toMatchObject({ title: 'Before', my_role: 'VIEWER' });
    const list = await api.get(`/api/events?as_of=${encodeURIComponent(sharedAt)}`, { token: reader.access });
    expect(list.body.results.map((e: { title: string }) => e.title)).toEqual(['Before']);
  });

  it('refuses a live resume older than the retained feed, saying so, over SSE and tRPC', async () => {
    const stream = await fetch(`${server.url}/api/events/stream`, {
      headers: { authorization: `Bearer ${reader.access}`, 'last-event-id': oldCursor },
    });
    expect(stream.status).toBe(410);
    const body = (await stream.json()) as { error: string; code: string };
    expect(body.code).toBe('GONE');
    expect(body.error).toMatch(/older than the retained change feed/);

    const sub = wsSubscriber(server.url, reader.access, { lastEventId: oldCursor });
    try {
      await sub.inbox.waitFor((inbox) => inbox.errors.length > 0);
      expect(String((sub.inbox.errors[0] as Error).message)).toMatch(/older than the retained change feed/);
    } finally {
      await sub.close();
    }
  });

  it('resumes normally from a position inside the retained feed', async () => {
    const head = (await api.get('/api/sync', { token: reader.access })).body.next_cursor as string;
    const sub = wsSubscriber(server.url, reader.access, { lastEventId: head });
    try {
      await sub.ready;
      expect((await api.patch(`/api/events/${eventId}`, { token: owner.access, body: { title: 'Four' } })).status).toBe(200);
      await sub.inbox.waitFor((inbox) => inbox.types(eventId).includes('event.updated'));
      expect(sub.inbox.errors).toEqual([]);
    } finally {
      await sub.close();
    }
  });
});
