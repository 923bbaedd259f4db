import { sql } from 'kysely';
import { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { appendUpdates, compact, loadDocument } from '../src/collab/persistence.ts';
import { loadEventFor } from '../src/services/events/access.ts';
import { contentOf } from '../src/services/events/content.ts';
import { writeEventContent } from '../src/services/events/event-service.ts';
import { inTransaction } from '../src/services/write.ts';
import { openDoc } from './support/collab.ts';
import { eventually } from './support/eventually.ts';
import { apiClient, registerUser, type TestUser } from './support/http.ts';
import { startTestServer } from './support/server.ts';
import { useTestServer } from './support/test-context.ts';

/**
 * Regression tests for the collaboration review: lost updates between a
 * REST change and a write-back, write-backs that were not awaited, compaction
 * that deleted an update it never folded in, and document limits that could
 * be passed.
 */

/** Writes back only when the last client leaves (or at shutdown), so each test decides when. */
const ctx = useTestServer({ env: { COLLAB_WRITEBACK_MS: '60000' } });
const { api } = ctx;

let slot = 0;
async function eventFor(owner: TestUser, description: string, client = api): Promise<number> {
  slot += 1;
  const start = new Date(Date.UTC(2036, 0, 1) + slot * 3 * 3600_000);
  const res = await client.post('/api/events', {
    token: owner.access,
    body: {
      title: `Integrity ${slot}`,
      description,
      start_time: start.toISOString(),
      end_time: new Date(start.getTime() + 3600_000).toISOString(),
    },
  });
  expect(res.status).toBe(201);
  return res.body.event.id as number;
}

async function descriptionOf(eventId: number, token: string, client = api): Promise<string> {
  const res = await client.get(`/api/events/${eventId}`, { token });
  expect(res.status).toBe(200);
  return res.body.description as string;
}

async function storedUpdates(eventId: number): Promise<number> {
  const rows = await ctx.server.database.db.selectFrom('collab_updates').select('id').where('event_id', '=', eventId).execute();
  return rows.length;
}

/** A y-websocket update message carrying `update`. */
function updateMessage(update: Uint8Array): Uint8Array {
  const message = encoding.createEncoder();
  encoding.writeVarUint(message, 0);
  syncProtocol.writeUpdate(message, update);
  return encoding.toUint8Array(message);
}

function rawConnect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
  });
}

describe('write-back and REST changes', () => {
  it('keeps a change of the description committed after the document last synced (no lost update)', async () => {
    const owner = await ctx.user('owner');
    const eventId = await eventFor(owner, 'draft one');
    const a = openDoc(ctx.server.url, eventId, owner.access);
    await a.synced();
    a.text.insert(a.text.length, ' two');
    await eventually(async () => expect(await storedUpdates(eventId)).toBeGreaterThan(0));

    // An update of the description through the one change path (what REST and tRPC run), holding the
    // event's row lock while the last client leaves: the write-back that follows has to wait for it.
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    let leave!: () => void;
    const left = new Promise<void>((resolve) => (leave = resolve));
    const restUpdate = inTransaction(ctx.server.deps, async (trx) => {
      const { event: current } = await loadEventFor(trx, eventId, { id: owner.id }, 'update', { forUpdate: true });
      locked();
      await left;
      await writeEventContent(
        trx,
        current,
        { ...contentOf(current), description: 'final one' },
        { actorId: owner.id, type: 'event.updated', onConflict: 'allow' },
      );
    });
    await isLocked;
    a.destroy();
    // Nothing outside shows that the server has received the close; give it time to start the write-back.
    await new Promise((r) => setTimeout(r, 500));
    leave();
    await restUpdate;

    await eventually(() => expect(ctx.server.collab.openDocuments).toBe(0));
    expect(await descriptionOf(eventId, owner.access)).toBe('final one two');
    // And the change is in the document for good.
    const again = openDoc(ctx.server.url, eventId, owner.access);
    try {
      await again.synced();
      await eventually(() => expect(again.text.toString()).toBe('final one two'));
    } finally {
      again.destroy();
    }
    await eventually(() => expect(ctx.server.collab.openDocuments).toBe(0));
    expect(await descriptionOf(eventId, owner.access)).toBe('final one two');
  });

  it('shutdown waits for a write-back that is already running', async () => {
    const local = await startTestServer({ COLLAB_WRITEBACK_MS: '60000' }, ctx.server.database);
    const localApi = apiClient(local.url);
    const owner = await registerUser(localApi, 'owner');
    const eventId = await eventFor(owner, 'before', localApi);
    const a = openDoc(local.url, eventId, owner.access);
    await a.synced();
    a.text.insert(a.text.length, ' after');
    await eventually(async () => expect(await storedUpdates(eventId)).toBeGreaterThan(0));

    // Hold the event's row lock, so the write-back that starts when the client leaves has to wait.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = ctx.server.database.db.transaction().execute(async (trx) => {
      await trx.selectFrom('events').select('id').where('id', '=', eventId).forUpdate().execute();
      locked();
      await released;
    });
    let outcome: string;
    try {
      await isLocked;
      a.destroy();
      // Nothing outside shows that the server has received the close; give it time to start the write-back.
      await new Promise((r) => setTimeout(r, 500));
      const stopping = local.stop().then(() => 'stopped');
      outcome = await Promise.race([stopping, new Promise<string>((r) => setTimeout(() => r('still writing back'), 1500))]);
      release();
      await holder;
      await stopping;
    } finally {
      release();
      await holder;
    }
    // The server stopped only after the text was in the event.
    expect(outcome).toBe('still writing back');
    const row = await ctx.server.database.db.selectFrom('events').select('description').where('id', '=', eventId).executeTakeFirstOrThrow();
    expect(row.description).toBe('before after');
  });
});

describe('compaction', () => {
  it('never deletes an update it did not fold in (a later id with an earlier time)', async () => {
    const owner = await ctx.user('owner');
    const eventId = await eventFor(owner, '');
    const db = ctx.server.database.db;
    await loadDocument(db, eventId, { description: '', version: 1 });

    const writer = new Y.Doc();
    const updates: Uint8Array[] = [];
    writer.on('update', (update: Uint8Array) => updates.push(update));
    writer.getText('description').insert(0, 'first ');
    writer.getText('description').insert(6, 'second');
    const {
      ids: [firstId],
    } = await appendUpdates(db, eventId, [{ update: updates[0]!, userId: owner.id }]);
    const {
      ids: [secondId],
    } = await appendUpdates(db, eventId, [{ update: updates[1]!, userId: owner.id }]);
    // The second came from a transaction that started two minutes earlier and waited on the lock:
    // its created_at (the transaction's start) is older than the first's.
    await sql`update collab_updates set created_at = now() - interval '2 minutes' where id = ${secondId!}`.execute(db);
    expect(secondId!).toBeGreaterThan(firstId!);

    await compact(db, eventId);
    const { doc } = await loadDocument(db, eventId, { description: '', version: 1 });
    expect(doc.getText('description').toString()).toBe('first second');
  });
});

describe('document limits', () => {
  it('counts updates waiting in the current round towards the text limit', async () => {
    const owner = await ctx.user('owner');
    const eventId = await eventFor(owner, 'x'.repeat(99_990));
    const watcher = openDoc(ctx.server.url, eventId, owner.access);
    const ws = await rawConnect(ctx.server.url.replace(/^http/, 'ws') + `/collab/${eventId}?token=${owner.access}`);
    try {
      await watcher.synced();
      const writer = new Y.Doc();
      Y.applyUpdate(writer, Y.encodeStateAsUpdate(watcher.doc));
      const updates: Uint8Array[] = [];
      writer.on('update', (update: Uint8Array) => updates.push(update));
      // Each alone fits (99,990 + 10); together they do not.
      writer.getText('description').insert(0, 'a'.repeat(10));
      writer.getText('description').insert(0, 'b'.repeat(10));
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      // Both in one round: sent together, the second arrives while the first is being stored.
      for (const update of updates) ws.send(updateMessage(update));
      await eventually(() => expect(watcher.text.length).toBeGreaterThanOrEqual(100_000));
      expect(await Promise.race([closed, new Promise((r) => setTimeout(() => r('still open'), 2000))])).toBe(1009);
      expect(watcher.text.length).toBe(100_000);
    } finally {
      ws.close();
      watcher.destroy();
    }
    await eventually(() => expect(ctx.server.collab.openDocuments).toBe(0));
    expect((await descriptionOf(eventId, owner.access)).length).toBe(100_000);
  });

  it('bounds the whole document, not only its description', async () => {
    const owner = await ctx.user('owner');
    const eventId = await eventFor(owner, 'small');
    const ws = await rawConnect(ctx.server.url.replace(/^http/, 'ws') + `/collab/${eventId}?token=${owner.access}`);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    const writer = new Y.Doc();
    const notes = writer.getMap('notes');
    let sent = 0;
    let code: number | undefined;
    void closed.then((c) => (code = c));
    try {
      // 400 KB a message (under the message limit), into a shared type the event never sees.
      while (code === undefined && sent < 16) {
        const before = Y.encodeStateVector(writer);
        notes.set(`n${sent}`, 'z'.repeat(400_000));
        ws.send(updateMessage(Y.encodeStateAsUpdate(writer, before)));
        sent += 1;
        await eventually(async () => expect(code !== undefined || (await storedUpdates(eventId)) === sent).toBe(true));
      }
      expect(code).toBe(1009);
    } finally {
      ws.close();
    }
    const stored = await ctx.server.database.db
      .selectFrom('collab_updates')
      .select((eb) => eb.fn.sum<string>(eb.fn('octet_length', ['update'])).as('bytes'))
      .where('event_id', '=', eventId)
      .executeTakeFirstOrThrow();
    expect(Number(stored.bytes)).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(await descriptionOf(eventId, owner.access)).toBe('small');
  });
});
