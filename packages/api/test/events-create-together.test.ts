import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { freeSlot } from './support/events.ts';
import { errorBody } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';

// Its own database: one test installs a trigger on `events`.
const ctx = useTestServer({ ownDatabase: true });
const { api } = ctx;

/**
 * Creates that arrive together are written by shared statements (see
 * new-event-writer.ts). Whatever they share, each create must come out as if
 * it had been written alone: its own rows, its own audit entry, its own error.
 */
describe('creates written together', () => {
  it('gives each of many simultaneous creates its own event, version, feed row and audit entry', async () => {
    const users = await Promise.all(Array.from({ length: 30 }, (_, i) => ctx.user(`together${i}`)));
    const requests = users.map((user, i) => ({ user, requestId: randomUUID(), slot: freeSlot(60), title: `Together ${i}` }));
    const results = await Promise.all(
      requests.map(({ user, requestId, slot, title }) =>
        api.post('/api/events', { token: user.access, headers: { 'x-request-id': requestId }, body: { title, ...slot } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(requests.map(() => 201));

    const db = ctx.server.deps.db;
    for (const [i, { user, requestId, slot, title }] of requests.entries()) {
      const event = results[i]!.body.event;
      expect(event).toMatchObject({ title, owner_id: user.id, version: 1, my_role: 'OWNER' });
      expect(new Date(event.start_time).toISOString()).toBe(slot.start_time);

      const read = await api.get(`/api/events/${event.id}`, { token: user.access });
      expect(read.body).toMatchObject({ id: event.id, title, version: 1 });
      const history = await api.get(`/api/events/${event.id}/history`, { token: user.access });
      expect(history.body.map((h: { version: number }) => h.version)).toEqual([1]);
      // Nobody else's create landed on this user's calendar, and this one landed nowhere else.
      const listing = await api.get('/api/events', { token: user.access });
      expect(listing.body.results.map((e: { id: number }) => e.id)).toEqual([event.id]);

      const audit = await db
        .selectFrom('audit_log')
        .selectAll()
        .where('target_type', '=', 'event')
        .where('target_id', '=', String(event.id))
        .execute();
      expect(audit.map((a) => [a.action, a.user_id, a.request_id])).toEqual([['event.create', user.id, requestId]]);
      const feed = await db.selectFrom('changes').select(['id', 'type', 'actor_id']).where('event_id', '=', event.id).execute();
      expect(feed.map((f) => [f.type, f.actor_id])).toEqual([['event.created', user.id]]);
      // Numbered before the answer: readers follow positive ids only.
      expect(Number(feed[0]!.id)).toBeGreaterThan(0);
    }
  });

  it('answers the one create whose write fails with its error, and writes the ones that shared its statement', async () => {
    const db = ctx.server.deps.db;
    await sql`create function refuse_poison() returns trigger language plpgsql as $$
              begin
                if new.title = 'Poison' then raise exception 'refused by the test trigger'; end if;
                return new;
              end $$`.execute(db);
    await sql`create trigger refuse_poison before insert on events for each row execute function refuse_poison()`.execute(db);
    try {
      const users = await Promise.all(Array.from({ length: 12 }, (_, i) => ctx.user(`poison${i}`)));
      const results = await Promise.all(
        users.map((user, i) =>
          api.post('/api/events', { token: user.access, body: { title: i === 5 ? 'Poison' : `Fine ${i}`, ...freeSlot(60) } }),
        ),
      );
      const refused = results[5]!;
      expect(refused.status).toBe(500);
      expect(errorBody(refused).code).toBe('INTERNAL_ERROR');
      expect(results.filter((_, i) => i !== 5).map((r) => r.status)).toEqual(Array.from({ length: 11 }, () => 201));

      // The refused create left nothing behind; each of the others is whole.
      const refusedRows = await db.selectFrom('events').select('id').where('owner_id', '=', users[5]!.id).execute();
      expect(refusedRows).toEqual([]);
      const refusedAudit = await db
        .selectFrom('audit_log')
        .select('id')
        .where('user_id', '=', users[5]!.id)
        .where('action', '=', 'event.create')
        .execute();
      expect(refusedAudit).toEqual([]);
      for (const [i, user] of users.entries()) {
        if (i === 5) continue;
        const listing = await api.get('/api/events', { token: user.access });
        expect(listing.body.results.map((e: { title: string }) => e.title)).toEqual([`Fine ${i}`]);
      }
    } finally {
      await sql`drop trigger refuse_poison on events`.execute(db);
      await sql`drop function refuse_poison()`.execute(db);
    }
  });

  it('still finds overlaps: of two simultaneous creates per owner in one slot, one is written and one gets 409', async () => {
    const users = await Promise.all(Array.from({ length: 10 }, (_, i) => ctx.user(`pair${i}`)));
    const slots = users.map(() => freeSlot(60));
    const results = await Promise.all(
      users.flatMap((user, i) =>
        [0, 1].map((n) => api.post('/api/events', { token: user.access, body: { title: `Pair ${n}`, ...slots[i] } })),
      ),
    );
    for (let i = 0; i < users.length; i++) {
      const statuses = [results[2 * i]!.status, results[2 * i + 1]!.status].sort();
      expect(statuses).toEqual([201, 409]);
      const listing = await api.get('/api/events', { token: users[i]!.access });
      expect(listing.body.count).toBe(1);
    }
  });
});
