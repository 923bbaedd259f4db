import { randomBytes } from 'node:crypto';
import type { DatabaseHandle } from '@scheduler/db';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from './support/eventually.ts';
import { apiClient, errorBody, registerUser, type ApiClient, type TestUser } from './support/http.ts';
import { restStream, sseSubscriber, wsSubscriber } from './support/live.ts';
import { openTestDatabase, startTestServer, type TestServer } from './support/server.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;

const MINUTE = 60_000;
/** A whole second `ms` from now, as RFC 3339. */
const fromNow = (ms: number) => new Date(Math.ceil((Date.now() + ms) / 1000) * 1000).toISOString();
const plus = (isoTime: string, ms: number) => new Date(Date.parse(isoTime) + ms).toISOString();
const second = (isoTime: string) => isoTime.replace(/\.\d{3}Z$/, 'Z');

type ScheduleRow = { minutes_before: number; occurrence_start: string; fire_at: string };

/** The event's rows in the due-time table, read from the database. */
async function scheduleOf(db: DatabaseHandle['db'], eventId: number): Promise<ScheduleRow[]> {
  const rows = await db.selectFrom('reminder_schedule').selectAll().where('event_id', '=', eventId).orderBy('minutes_before').execute();
  return rows.map((r) => ({
    minutes_before: r.minutes_before,
    occurrence_start: new Date(r.occurrence_start).toISOString(),
    fire_at: new Date(r.fire_at).toISOString(),
  }));
}

/** The reminder rows of the change feed for one event. */
async function reminderFeedRows(db: DatabaseHandle['db'], eventId: number) {
  return db.selectFrom('changes').selectAll().where('event_id', '=', eventId).where('type', '=', 'event.reminder').orderBy('id').execute();
}

async function create(client: ApiClient, owner: TestUser, body: Record<string, unknown>) {
  const res = await client.post('/api/events', { token: owner.access, body: { title: 'Reminded', ...body } });
  expect(res.status, res.text).toBe(201);
  return res.body.event as { id: number; start_time: string; reminders: number[]; [key: string]: unknown };
}

describe('the reminders field', () => {
  it('defaults to none, drops duplicates and keeps the offsets ascending', async () => {
    const owner = await ctx.user('remfield');
    const plain = await ctx.event(owner);
    expect(plain['reminders']).toEqual([]);
    const event = await ctx.event(owner, { reminders: [60, 10, 60, 0] });
    expect(event['reminders']).toEqual([0, 10, 60]);
    const fetched = await api.get(`/api/events/${event.id}`, { token: owner.access });
    expect(fetched.body.reminders).toEqual([0, 10, 60]);
  });

  it('refuses more than five, negative, over four weeks, fractional or non-number offsets (400)', async () => {
    const owner = await ctx.user('rembad');
    const event = await ctx.event(owner);
    for (const reminders of [[1, 2, 3, 4, 5, 6], [-1], [40_321], [1.5], ['10'], 10, [null]]) {
      const created = await api.post('/api/events', { token: owner.access, body: { title: 'Bad', ...slot(), reminders } });
      expect(created.status, JSON.stringify(reminders)).toBe(400);
      expect(errorBody(created).code).toBe('VALIDATION_ERROR');
      expect(errorBody(created).details?.[0]?.path).toMatch(/^reminders/);
      const patched = await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { reminders } });
      expect(patched.status, JSON.stringify(reminders)).toBe(400);
    }
    // The limits themselves are fine.
    const edge = await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { reminders: [0, 1, 2, 3, 40_320] } });
    expect(edge.status).toBe(200);
    expect(edge.body.event.reminders).toEqual([0, 1, 2, 3, 40_320]);
  });

  it('is content: versioned, in the changelog and diff, as_of, and restored by rollback', async () => {
    const owner = await ctx.user('remhist');
    const event = await ctx.event(owner, { reminders: [10] });
    // History times have second precision: the next version comes in a later second, so as_of can tell them apart.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const same = await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { reminders: [10, 10] } });
    expect(same.body.event.version).toBe(1); // the same set: no new version
    const changed = await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { reminders: [30, 10] } });
    expect(changed.body.event).toMatchObject({ version: 2, reminders: [10, 30] });

    const history = (await api.get(`/api/events/${event.id}/history`, { token: owner.access })).body as Array<{ version_id: number }>;
    const [v2, v1] = history.map((h) => h.version_id);
    const diff = await api.get(`/api/events/${event.id}/diff/${v1}/${v2}`, { token: owner.access });
    expect(diff.body).toEqual({ reminders: { version_1: [10], version_2: [10, 30] } });
    const changelog = await api.get(`/api/events/${event.id}/changelog`, { token: owner.access });
    expect(changelog.body[1].changed_fields).toEqual({ reminders: { from: [10], to: [10, 30] } });
    const snapshot = await api.get(`/api/events/${event.id}/history/${v1}`, { token: owner.access });
    expect(snapshot.body.reminders).toEqual([10]);
    const asOf = await api.get(`/api/events/${event.id}?as_of=${encodeURIComponent(plus(changelog.body[0].history_date, 1000))}`, {
      token: owner.access,
    });
    expect(asOf.body.reminders).toEqual([10]);

    const rolled = await api.post(`/api/events/${event.id}/rollback/${v1}`, { token: owner.access });
    expect(rolled.body.event).toMatchObject({ version: 3, reminders: [10] });
    const list = await api.get('/api/events?page_size=100', { token: owner.access });
    expect(list.body.results.find((e: { id: number }) => e.id === event.id).reminders).toEqual([10]);
  });
});

let slotCounter = 0;
/** A slot far ahead that no other test of this file uses. */
function slot() {
  slotCounter += 1;
  const start = Date.UTC(2045, 0, 1) + slotCounter * 3 * 3_600_000;
  return { start_time: new Date(start).toISOString(), end_time: new Date(start + 30 * MINUTE).toISOString() };
}

describe('the due-time table', () => {
  it('follows every change: create, a new start, new offsets, rollback, delete', async () => {
    const db = ctx.server.database.db;
    const owner = await ctx.user('remplan');
    const start = fromNow(2 * 24 * 60 * MINUTE);
    const event = await create(api, owner, {
      start_time: start,
      end_time: plus(start, 30 * MINUTE),
      recurrence_pattern: 'daily',
      reminders: [60, 30],
    });
    expect(await scheduleOf(db, event.id)).toEqual([
      { minutes_before: 30, occurrence_start: start, fire_at: plus(start, -30 * MINUTE) },
      { minutes_before: 60, occurrence_start: start, fire_at: plus(start, -60 * MINUTE) },
    ]);

    const later = plus(start, 2 * 60 * MINUTE);
    await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { start_time: later, end_time: plus(later, 30 * MINUTE) } });
    expect(await scheduleOf(db, event.id)).toEqual([
      { minutes_before: 30, occurrence_start: later, fire_at: plus(later, -30 * MINUTE) },
      { minutes_before: 60, occurrence_start: later, fire_at: plus(later, -60 * MINUTE) },
    ]);

    await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { reminders: [15] } });
    expect(await scheduleOf(db, event.id)).toEqual([{ minutes_before: 15, occurrence_start: later, fire_at: plus(later, -15 * MINUTE) }]);

    const history = (await api.get(`/api/events/${event.id}/history`, { token: owner.access })).body as Array<{ version_id: number }>;
    await api.post(`/api/events/${event.id}/rollback/${history.at(-1)!.version_id}`, { token: owner.access });
    expect((await scheduleOf(db, event.id)).map((r) => [r.minutes_before, r.occurrence_start])).toEqual([
      [30, start],
      [60, start],
    ]);

    await api.delete(`/api/events/${event.id}`, { token: owner.access });
    expect(await scheduleOf(db, event.id)).toEqual([]);
  });

  it('plans the next occurrence whose reminder is still ahead, and nothing for a past one-off event', async () => {
    const db = ctx.server.database.db;
    const owner = await ctx.user('remnext');
    // A daily series that began a week ago at this time of day plus 10 minutes: today's 30-minute reminder is past.
    const began = fromNow(-7 * 24 * 60 * MINUTE + 10 * MINUTE);
    const series = await create(api, owner, {
      start_time: began,
      end_time: plus(began, 5 * MINUTE),
      recurrence_pattern: 'daily',
      reminders: [30, 5],
    });
    expect(await scheduleOf(db, series.id)).toEqual([
      { minutes_before: 5, occurrence_start: plus(began, 7 * 24 * 60 * MINUTE), fire_at: plus(began, 7 * 24 * 60 * MINUTE - 5 * MINUTE) },
      {
        minutes_before: 30,
        occurrence_start: plus(began, 8 * 24 * 60 * MINUTE),
        fire_at: plus(began, 8 * 24 * 60 * MINUTE - 30 * MINUTE),
      },
    ]);
    const past = fromNow(-60 * MINUTE);
    const oneOff = await create(api, owner, { start_time: past, end_time: plus(past, 5 * MINUTE), reminders: [10] });
    expect(await scheduleOf(db, oneOff.id)).toEqual([]);
  });

  it('plans the reminders of events created in a batch', async () => {
    const db = ctx.server.database.db;
    const owner = await ctx.user('rembatch');
    const a = slot();
    const b = slot();
    const res = await api.post('/api/events/batch', {
      token: owner.access,
      body: [
        { title: 'A', ...a, reminders: [5, 5, 1] },
        { title: 'B', ...b },
      ],
    });
    expect(res.status, res.text).toBe(201);
    const [first, other] = res.body.created_events as Array<{ id: number; reminders: number[] }>;
    expect(first!.reminders).toEqual([1, 5]);
    expect((await scheduleOf(db, first!.id)).map((r) => [r.minutes_before, second(r.fire_at)])).toEqual([
      [1, second(plus(a.start_time, -1 * MINUTE))],
      [5, second(plus(a.start_time, -5 * MINUTE))],
    ]);
    expect(await scheduleOf(db, other!.id)).toEqual([]);
    const history = await api.get(`/api/events/${first!.id}/history/${(await versionIdsOf(owner, first!.id))[0]}`, {
      token: owner.access,
    });
    expect(history.body.reminders).toEqual([1, 5]);
  });
});

async function versionIdsOf(owner: TestUser, eventId: number): Promise<number[]> {
  const res = await api.get(`/api/events/${eventId}/history`, { token: owner.access });
  return (res.body as Array<{ version_id: number }>).map((h) => h.version_id);
}

describe('sending reminders', () => {
  it('sends each reader one event.reminder, live over WebSocket, SSE and the REST stream, and not through sync', async () => {
    const db = ctx.server.database.db;
    const owner = await ctx.user('remowner');
    const viewer = await ctx.user('remviewer');
    const ws = wsSubscriber(ctx.url, viewer.access);
    const sse = sseSubscriber(ctx.url, owner.access);
    const stream = restStream(ctx.url, viewer.access);
    await Promise.all([ws.ready, sse.ready, stream.ready]);
    try {
      // A daily event whose 1-minute reminder falls due in a few seconds.
      const start = fromNow(MINUTE + 4000);
      const event = await create(api, owner, {
        title: 'Standup',
        start_time: start,
        end_time: plus(start, 15 * MINUTE),
        recurrence_pattern: 'daily',
        reminders: [1],
      });
      await ctx.share(owner, event.id, viewer, 'VIEWER');
      const cursor = (await api.get('/api/sync', { token: viewer.access })).body.next_cursor as string;

      for (const sub of [ws, sse, stream]) await sub.inbox.waitFor((inbox) => inbox.types(event.id).includes('event.reminder'), 30_000);
      // The row moved on to tomorrow's occurrence.
      expect(await scheduleOf(db, event.id)).toEqual([
        { minutes_before: 1, occurrence_start: plus(start, 24 * 60 * MINUTE), fire_at: plus(start, 24 * 60 * MINUTE - MINUTE) },
      ]);
      // Sync is about state: the reminder is not a change of the event.
      const synced = await api.get(`/api/sync?cursor=${cursor}`, { token: viewer.access });
      expect(synced.status).toBe(200);
      expect(synced.body.changes).toEqual([]);

      // A later change arrives after the reminder, with nothing between: the reminder came once.
      await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { title: 'Standup (moved)' } });
      for (const sub of [ws, sse, stream]) await sub.inbox.waitFor((inbox) => inbox.types(event.id).includes('event.updated'));
      expect(ws.inbox.types(event.id)).toEqual(['permission.granted', 'event.reminder', 'event.updated']);
      expect(stream.inbox.types(event.id)).toEqual(['permission.granted', 'event.reminder', 'event.updated']);
      expect(sse.inbox.types(event.id)).toEqual(['event.created', 'permission.granted', 'event.reminder', 'event.updated']);

      const reminder = (inbox: typeof ws.inbox) => inbox.messages.find((m) => m.type === 'event.reminder' && m.event_id === event.id)!;
      expect(reminder(ws.inbox)).toEqual({
        type: 'event.reminder',
        event_id: event.id,
        version_id: expect.any(Number),
        actor: null,
        at: expect.stringMatching(/Z$/),
        occurrence_start: second(start),
        minutes_before: 1,
        event: expect.objectContaining({ id: event.id, title: 'Standup', reminders: [1], my_role: 'VIEWER' }),
      });
      expect(reminder(sse.inbox)).toMatchObject({
        occurrence_start: second(start),
        minutes_before: 1,
        event: { id: event.id, my_role: 'OWNER' },
      });
      expect(reminder(stream.inbox)).toMatchObject({ occurrence_start: second(start), minutes_before: 1, event: { my_role: 'VIEWER' } });
      expect(await reminderFeedRows(db, event.id)).toHaveLength(1);
    } finally {
      await ws.close();
      sse.close();
      stream.close();
    }
  });

  it('sends nothing to someone who lost access, and nothing for a deleted event', async () => {
    const db = ctx.server.database.db;
    const owner = await ctx.user('remgone');
    const former = await ctx.user('remformer');
    const start = fromNow(MINUTE + 3000);
    const kept = await create(api, owner, { start_time: start, end_time: plus(start, 5 * MINUTE), reminders: [1] });
    const later = plus(start, 10 * MINUTE);
    const deleted = await create(api, owner, { start_time: later, end_time: plus(later, 5 * MINUTE), reminders: [10] });
    await ctx.share(owner, kept.id, former, 'EDITOR');
    await api.delete(`/api/events/${kept.id}/permissions/${former.id}`, { token: owner.access });
    await api.delete(`/api/events/${deleted.id}`, { token: owner.access });
    expect(await scheduleOf(db, deleted.id)).toEqual([]);
    const sub = wsSubscriber(ctx.url, former.access);
    const ownerSub = wsSubscriber(ctx.url, owner.access);
    await Promise.all([sub.ready, ownerSub.ready]);
    try {
      await ownerSub.inbox.waitFor((inbox) => inbox.types(kept.id).includes('event.reminder'), 30_000);
      await eventually(async () => expect(await scheduleOf(db, kept.id)).toEqual([]));
      // Mark the end of the stream for the former editor with a message addressed to them.
      const marker = await create(api, owner, slot());
      await ctx.share(owner, marker.id, former, 'VIEWER');
      await sub.inbox.waitFor((inbox) => inbox.types(marker.id).includes('permission.granted'));
      expect(sub.inbox.types(kept.id)).toEqual([]);
      expect(await reminderFeedRows(db, deleted.id)).toHaveLength(0);
    } finally {
      await Promise.all([sub.close(), ownerSub.close()]);
    }
  });
});

describe('reminders that fell due while no instance ran', () => {
  let database: DatabaseHandle | undefined;
  let server: TestServer | undefined;
  afterAll(async () => {
    await server?.stop();
    await database?.close();
  });

  // The same secret across the restart, so tokens stay valid.
  const env = { JWT_SECRET: randomBytes(32).toString('hex') };

  it('sends one less than an hour late at start-up, once, and skips those an hour late or more', async () => {
    database = await openTestDatabase();
    const db = database.db;
    server = await startTestServer(env, database);
    const client = apiClient(server.url);
    const owner = await registerUser(client, 'remdown');

    // Three events whose reminders fell due during the downtime: 30 minutes, 70 minutes and (a daily series) 2 hours ago.
    const soon = fromNow(20 * MINUTE);
    const recent = await create(client, owner, { start_time: soon, end_time: plus(soon, 5 * MINUTE), reminders: [50] });
    const later = fromNow(40 * MINUTE);
    const stale = await create(client, owner, { start_time: later, end_time: plus(later, 5 * MINUTE), reminders: [110] });
    const began = fromNow(-3 * 24 * 60 * MINUTE - 2 * 60 * MINUTE);
    const daily = await create(client, owner, {
      start_time: began,
      end_time: plus(began, 5 * MINUTE),
      recurrence_pattern: 'daily',
      reminders: [0],
    });
    await server.stop();
    server = undefined;

    // What the table holds when the instances stopped before these fire times and nothing sent them.
    const today = plus(began, 3 * 24 * 60 * MINUTE);
    await db.deleteFrom('reminder_schedule').where('event_id', 'in', [recent.id, stale.id, daily.id]).execute();
    await db
      .insertInto('reminder_schedule')
      .values([
        { event_id: recent.id, minutes_before: 50, occurrence_start: soon, fire_at: plus(soon, -50 * MINUTE) },
        { event_id: stale.id, minutes_before: 110, occurrence_start: later, fire_at: plus(later, -110 * MINUTE) },
        { event_id: daily.id, minutes_before: 0, occurrence_start: today, fire_at: today },
      ])
      .execute();
    const before = Number((await sql<{ max: number | null }>`select max(id) as max from changes`.execute(db)).rows[0]?.max ?? 0);

    server = await startTestServer(env, database);
    await eventually(
      async () => {
        expect(await scheduleOf(db, recent.id)).toEqual([]);
        expect(await scheduleOf(db, stale.id)).toEqual([]);
        // Today's occurrence was two hours ago: skipped; tomorrow's is next.
        expect(await scheduleOf(db, daily.id)).toEqual([
          { minutes_before: 0, occurrence_start: plus(today, 24 * 60 * MINUTE), fire_at: plus(today, 24 * 60 * MINUTE) },
        ]);
      },
      { timeout: 30_000 },
    );
    const sent = await reminderFeedRows(db, recent.id);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.id).toBeGreaterThan(before);
    expect(sent[0]!.payload).toEqual({ occurrence_start: second(soon), minutes_before: 50 });
    expect(await reminderFeedRows(db, stale.id)).toHaveLength(0);
    expect(await reminderFeedRows(db, daily.id)).toHaveLength(0);

    // A subscriber resuming from before the restart receives the late reminder.
    const sub = wsSubscriber(server.url, owner.access, { lastEventId: String(before) });
    try {
      await sub.ready;
      await sub.inbox.waitFor((inbox) => inbox.types(recent.id).includes('event.reminder'));
      expect(sub.inbox.messages.find((m) => m.event_id === recent.id)).toMatchObject({
        type: 'event.reminder',
        occurrence_start: second(soon),
        minutes_before: 50,
        event: { id: recent.id, my_role: 'OWNER' },
      });
    } finally {
      await sub.close();
    }
  });
});
