import type { Database, EventRow } from '@scheduler/db';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { bodyGeneration, cachedBody, configureDetailCache, forgetBodies, keepBody, type EventBody } from './detail-cache.ts';

/** The cache is keyed by a database handle and never queries it: a plain handle object stands for one. */
const handle = () => ({ isTransaction: false }) as unknown as Kysely<Database>;

const body = (id: number, participants: number): EventBody => ({
  event: { id } as EventRow,
  permissions: Array.from({ length: participants }, (_, i) => ({
    user_id: i + 1,
    username: `u${i + 1}`,
    role: 'VIEWER',
    rsvp: 'needs_action',
  })),
});

const keep = (db: Kysely<Database>, b: EventBody) => keepBody(db, bodyGeneration(db), b);
const cachedIds = (db: Kysely<Database>, ids: number[]) => ids.filter((id) => cachedBody(db, id) !== undefined);

describe('the event body cache', () => {
  it('counts each event and each participant against its limit, oldest out', () => {
    const db = handle();
    configureDetailCache(db, 5);
    keep(db, body(1, 2)); // 3 rows
    keep(db, body(2, 1)); // 2 rows: 5 in all
    expect(cachedIds(db, [1, 2])).toEqual([1, 2]);
    keep(db, body(3, 0)); // 1 row: event 1, the oldest, makes room
    expect(cachedIds(db, [1, 2, 3])).toEqual([2, 3]);
  });

  it('never holds an event larger than the whole cache, and holds nothing when set to 0', () => {
    const db = handle();
    configureDetailCache(db, 3);
    keep(db, body(1, 5));
    expect(cachedBody(db, 1)).toBeUndefined();
    const off = handle();
    configureDetailCache(off, 0);
    keep(off, body(1, 0));
    expect(cachedBody(off, 1)).toBeUndefined();
  });

  it('drops a body on demand, and a load that started before a drop does not fill it', () => {
    const db = handle();
    configureDetailCache(db, 100);
    keep(db, body(1, 1));
    forgetBodies(db, [1]);
    expect(cachedBody(db, 1)).toBeUndefined();
    const before = bodyGeneration(db);
    forgetBodies(db, [2]);
    keepBody(db, before, body(1, 1));
    expect(cachedBody(db, 1)).toBeUndefined();
    keep(db, body(1, 1));
    expect(cachedBody(db, 1)?.body.event.id).toBe(1);
  });

  it('is not used inside a transaction', () => {
    const db = handle();
    configureDetailCache(db, 100);
    const trx = { isTransaction: true } as unknown as Kysely<Database>;
    keep(db, body(1, 0));
    expect(cachedBody(trx, 1)).toBeUndefined();
  });
});
