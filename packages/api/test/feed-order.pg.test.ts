import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { wsSubscriber } from './support/live.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;

/**
 * Readers follow the feed by id. A transaction that writes its feed row first
 * but commits last must still be read: ids are given at commit, so its row
 * lands after the one that committed before it instead of behind the reader.
 * (PostgreSQL only: the embedded database runs one transaction at a time.)
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
});
