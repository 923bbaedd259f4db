import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { freeSlot } from './support/events.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;

/**
 * Creates that arrive together share a statement (new-event-writer.ts). A
 * write that holds one owner's calendar (a transaction checking overlaps, a
 * long batch) must not hold up the other owners' creates in that statement.
 * (PostgreSQL only: the embedded database runs one transaction at a time.)
 */
describe('a create behind a held calendar', () => {
  it.each([
    ['an owner with events', true],
    ['a new owner', false],
  ])('waits on its own while the creates that arrived with it are written (%s)', async (_, hasEvents) => {
    const users = await Promise.all(Array.from({ length: 8 }, (_, i) => ctx.user(`held${i}`)));
    const held = users[1]!;
    if (hasEvents) await ctx.event(held);
    // The owner's calendar, held as an overlap-checked write holds it (lockOwnerCalendar).
    let locked!: () => void;
    let release!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const holder = ctx.server.deps.db.transaction().execute(async (trx) => {
      await sql`insert into calendar_versions (owner_id, version) values (${held.id}, 1)
                on conflict (owner_id) do update set version = calendar_versions.version + 1`.execute(trx);
      locked();
      await released;
    });
    await isLocked;
    try {
      let heldAnswered = false;
      const create = (user: (typeof users)[number], i: number) =>
        api.post('/api/events', { token: user.access, body: { title: `Arrived together ${i}`, ...freeSlot(60) } });
      // The held owner's create first: if it waited inside a shared statement, every create behind it would wait too.
      const heldCreate = create(held, 1).then((res) => {
        heldAnswered = true;
        return res;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const others = await Promise.race([
        Promise.all(users.filter((user) => user !== held).map((user, i) => create(user, i))),
        new Promise<'held up'>((resolve) => setTimeout(() => resolve('held up'), 5_000)),
      ]);
      expect(others === 'held up' ? others : others.map((r) => r.status)).toEqual(Array.from({ length: 7 }, () => 201));
      expect(heldAnswered).toBe(false);

      release();
      await holder;
      const answer = await heldCreate;
      expect(answer.status).toBe(201);
      expect(answer.body.event).toMatchObject({ owner_id: held.id, version: 1 });
      const listing = await api.get('/api/events', { token: held.access });
      expect(listing.body.count).toBe(hasEvents ? 2 : 1);
    } finally {
      release();
      await holder;
    }
  });
});
