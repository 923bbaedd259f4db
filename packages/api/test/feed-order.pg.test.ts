import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { numberFeed } from '../src/services/feed-numbering.ts';
import { freeSlot } from './support/events.ts';
import { wsSubscriber } from './support/live.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;

/**
 * Readers follow the feed by id. A transaction that writes its feed row first
 * but commits last must still be read: final ids are given after commit, so
 * its row lands after the one that committed before it instead of behind the
 * reader. (PostgreSQL only: the embedded database runs one transaction at a time.)
 */
describe('the change feed under transactions that commit out of order', () => {
  it('delivers a row written early and committed late, after the one that committed first', async () => {
    const owner = await ctx.user('order');
    const event = await ctx.event(owner, { title: 'Ordered' });
    // Another event for the write that commits first (the open transaction's row holds a key lock on the first).
    const other = await ctx.event(owner, { title: 'Other' });
    const sub = wsSubscriber(ctx.url, owner.access);
    await sub.ready;
    try {
      let written!: () => void;
      let release!: () => void;
      const rowWritten = new Promise<void>((resolve) => (written = resolve));
      const held = new Promise<void>((resolve) => (release = resolve));
      const payload = JSON.stringify({ user: { id: owner.id, username: owner.username }, response: 'tentative' });
      const late = ctx.server.deps.db.transaction().execute(async (trx) => {
        await sql`insert into changes (event_id, type, actor_id, payload)
                  values (${event.id}, 'rsvp.updated', ${owner.id}, ${payload}::jsonb)`.execute(trx);
        written();
        await held;
      });
      await rowWritten;

      // Written after the open transaction's row, committed before it.
      expect((await api.put(`/api/events/${other.id}`, { token: owner.access, body: { title: 'Committed first' } })).status).toBe(200);
      await sub.inbox.waitFor((inbox) => inbox.types(other.id).includes('event.updated'));

      release();
      await late;
      // What every writer does once committed (the write paths do it in `inTransaction`).
      await numberFeed(ctx.server.deps.db);
      ctx.server.deps.commits?.committed();
      await sub.inbox.waitFor((inbox) => inbox.types(event.id).includes('rsvp.updated'));
      expect(sub.inbox.types()).toEqual(['event.updated', 'rsvp.updated']);
      const ids = sub.inbox.items.map((item) => Number(item.id));
      expect(ids[1]).toBeGreaterThan(ids[0]!);

      // The feed holds them in commit order, with final ids.
      const rows = await ctx.server.deps.db
        .selectFrom('changes')
        .select(['id', 'type'])
        .where('event_id', 'in', [event.id, other.id])
        .orderBy('id')
        .execute();
      expect(rows.map((r) => r.type)).toEqual(['event.created', 'event.created', 'event.updated', 'rsvp.updated']);
      expect(rows.every((r) => r.id > 0)).toBe(true);
    } finally {
      await sub.close();
    }
  });

  it('numbers the rows of one transaction in the order they were written, next to each other', async () => {
    const owner = await ctx.user('rows');
    const event = await ctx.event(owner, { title: 'Three notices' });
    const marks = ['first', 'second', 'third'];
    await ctx.server.deps.db.transaction().execute(async (trx) => {
      for (const mark of marks) {
        await sql`insert into changes (event_id, type, actor_id, payload)
                  values (${event.id}, 'rsvp.updated', ${owner.id}, ${JSON.stringify({ mark })}::jsonb)`.execute(trx);
      }
    });
    await numberFeed(ctx.server.deps.db);
    const rows = await ctx.server.deps.db
      .selectFrom('changes')
      .select(['id', 'payload'])
      .where('event_id', '=', event.id)
      .where('type', '=', 'rsvp.updated')
      .orderBy('id')
      .execute();
    expect(rows.map((r) => (r.payload as { mark: string }).mark)).toEqual(marks);
    expect(rows.map((r) => r.id - rows[0]!.id)).toEqual([0, 1, 2]);
    const provisional = await ctx.server.deps.db.selectFrom('changes').select('id').where('id', '<', 0).execute();
    expect(provisional).toEqual([]);
  });

  it('reaches subscribers when its writer committed but stopped before numbering it', async () => {
    const owner = await ctx.user('orphan');
    const event = await ctx.event(owner, { title: 'Orphaned row' });
    const sub = wsSubscriber(ctx.url, owner.access);
    await sub.ready;
    try {
      const payload = JSON.stringify({ user: { id: owner.id, username: owner.username }, response: 'accepted' });
      // Committed, and never numbered by its writer: the hub's periodic numbering takes it in.
      await sql`insert into changes (event_id, type, actor_id, payload)
                values (${event.id}, 'rsvp.updated', ${owner.id}, ${payload}::jsonb)`.execute(ctx.server.deps.db);
      await sub.inbox.waitFor((inbox) => inbox.types(event.id).includes('rsvp.updated'));
      expect(Number(sub.inbox.items.at(-1)!.id)).toBeGreaterThan(0);
    } finally {
      await sub.close();
    }
  });

  it('holds a numbering that meets one under way until that one commits, and numbers after it', async () => {
    const owner = await ctx.user('serial');
    const event = await ctx.event(owner, { title: 'Serial' });
    const db = ctx.server.deps.db;
    const insert = (mark: string) =>
      sql`insert into changes (event_id, type, actor_id, payload)
          values (${event.id}, 'rsvp.updated', ${owner.id}, ${JSON.stringify({ mark })}::jsonb)`.execute(db);
    const marks = async () =>
      (
        await sql<{ id: number; mark: string }>`select id, payload->>'mark' as mark from changes
          where event_id = ${event.id} and type = 'rsvp.updated' order by id`.execute(db)
      ).rows;
    // Two connections, as two instances would number the feed.
    const first = new pg.Client({ connectionString: ctx.server.deps.database.url });
    const second = new pg.Client({ connectionString: ctx.server.deps.database.url });
    await Promise.all([first.connect(), second.connect()]);
    try {
      await insert('early');
      await first.query('begin');
      await first.query('select changes_number_pending()');
      // The first numbering has drawn its ids and not yet committed; a row commits meanwhile.
      await insert('late');
      let secondDone = false;
      const secondNumbering = second.query('select changes_number_pending()').then(() => (secondDone = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(secondDone).toBe(false);
      // Nothing is numbered for readers yet: a reader that read now would pass nothing over.
      expect((await marks()).every((row) => row.id < 0)).toBe(true);
      await first.query('commit');
      await secondNumbering;
      const rows = await marks();
      expect(rows.map((row) => row.mark)).toEqual(['early', 'late']);
      expect(rows.every((row) => row.id > 0)).toBe(true);
    } finally {
      await Promise.all([first.end(), second.end()]);
    }
  });

  it("writes a shared create statement's rows numbered, after a numbering it met under way has committed", async () => {
    const owner = await ctx.user('numbered');
    const event = await ctx.event(owner, { title: 'Before the numbering' });
    const db = ctx.server.deps.db;
    const sub = wsSubscriber(ctx.url, owner.access);
    await sub.ready;
    const numbering = new pg.Client({ connectionString: ctx.server.deps.database.url });
    await numbering.connect();
    try {
      await sql`insert into changes (event_id, type, actor_id, payload)
                values (${event.id}, 'rsvp.updated', ${owner.id}, ${JSON.stringify({ mark: 'pending' })}::jsonb)`.execute(db);
      await numbering.query('begin');
      const [{ numbered }] = (await numbering.query<{ numbered: number }>('select changes_number_pending() as numbered')).rows as [
        { numbered: number },
      ];
      expect(numbered).toBe(1);

      let answered = false;
      const create = api
        .post('/api/events', { token: owner.access, body: { title: 'Numbered by its statement', ...freeSlot(30) } })
        .then((response) => ((answered = true), response));
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The statement waits for the numbering's turn, so no id of its own can become visible before the numbering's.
      expect(answered).toBe(false);
      await numbering.query('commit');
      const created = await create;
      expect(created.status).toBe(201);

      const rows = await db
        .selectFrom('changes')
        .select(['id', 'type', 'event_id'])
        .where('event_id', 'in', [event.id, created.body.event.id])
        .orderBy('id')
        .execute();
      expect(rows.map((row) => [row.type, row.event_id])).toEqual([
        ['event.created', event.id],
        ['rsvp.updated', event.id],
        ['event.created', created.body.event.id],
      ]);
      expect(rows.every((row) => row.id > 0)).toBe(true);
      await sub.inbox.waitFor((inbox) => inbox.types(created.body.event.id).includes('event.created'));
    } finally {
      await numbering.end();
      await sub.close();
    }
  });
});
