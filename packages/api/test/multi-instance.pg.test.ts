import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrateToLatest, openDatabase } from '@scheduler/db';
import {
  deletionEndsReads,
  eventBodyFollowsChanges,
  leavingTeamEndsReads,
  listingFollowsChanges,
  liveRecipientsFollowGrants,
  logoutEndsAccess,
  newVersionIsSeen,
  refreshReuseEndsAccess,
  revokedPermissionEndsReads,
  roleChangeIsSeen,
  withinOneSecond,
} from './support/cache-scenarios.ts';
import { eventually, openDoc } from './support/collab.ts';
import { createEvent, freeSlot } from './support/events.ts';
import { apiClient, registerUser } from './support/http.ts';
import { wsSubscriber } from './support/live.ts';
import { startServerProcess, type ServerProcess } from './support/processes.ts';

const JWT_SECRET = randomBytes(32).toString('hex');

beforeAll(async () => {
  const handle = await openDatabase({ url: inject('postgresUrl') });
  await migrateToLatest(handle.db);
  await handle.close();
});

describe.each([
  ['PostgreSQL LISTEN/NOTIFY', {}],
  ['Redis pub/sub', { REDIS_URL: process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379' }],
])('two server processes on one database (%s)', (_name, extraEnv) => {
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    const env = { DATABASE_URL: inject('postgresUrl'), JWT_SECRET, COLLAB_WRITEBACK_MS: '300', ...extraEnv };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  describe('no cache outlives a change made on the other instance (within one second)', () => {
    it('a logout', () => logoutEndsAccess(apiClient(a.url), apiClient(b.url), withinOneSecond));
    it('reuse of a spent refresh token', () => refreshReuseEndsAccess(apiClient(a.url), apiClient(b.url), withinOneSecond));
    it('a revoked permission', () => revokedPermissionEndsReads(apiClient(a.url), apiClient(b.url), withinOneSecond));
    it('leaving a team', () => leavingTeamEndsReads(apiClient(a.url), apiClient(b.url), withinOneSecond));
    it('a role change, down and back up', () => roleChangeIsSeen(apiClient(a.url), apiClient(b.url), withinOneSecond));
    it('a deletion', () => deletionEndsReads(apiClient(a.url), apiClient(b.url), withinOneSecond));
    it('a new version', () => newVersionIsSeen(apiClient(a.url), apiClient(b.url), withinOneSecond));
    it('listing pages', () => listingFollowsChanges(apiClient(a.url), apiClient(b.url), withinOneSecond));
    it('event bodies (RSVPs, participants, content)', () => eventBodyFollowsChanges(apiClient(a.url), apiClient(b.url), withinOneSecond));
    it('live recipients (revoked and new grants)', () => liveRecipientsFollowGrants(apiClient(a.url), apiClient(b.url)));
  });

  it('delivers a change made on either instance to subscribers on both', async () => {
    const apiA = apiClient(a.url);
    const apiB = apiClient(b.url);
    const owner = await registerUser(apiA, 'owner');
    const friend = await registerUser(apiB, 'friend');
    const created = await apiA.post('/api/events', {
      token: owner.access,
      body: { title: 'across', start_time: '2033-01-01T10:00:00Z', end_time: '2033-01-01T11:00:00Z' },
    });
    const eventId = created.body.event.id as number;
    await apiA.post(`/api/events/${eventId}/share`, { token: owner.access, body: { user_id: friend.id, role: 'EDITOR' } });

    const onA = wsSubscriber(a.url, owner.access, { event_id: eventId });
    const onB = wsSubscriber(b.url, friend.access, { event_id: eventId });
    await Promise.all([onA.ready, onB.ready]);
    try {
      await apiA.put(`/api/events/${eventId}`, { token: owner.access, body: { title: 'changed on A' } });
      await apiB.put(`/api/events/${eventId}`, { token: friend.access, body: { title: 'changed on B' } });
      for (const sub of [onA, onB]) {
        await sub.inbox.waitFor((inbox) => inbox.items.length === 2);
        expect(sub.inbox.messages.map((m) => m.event?.title)).toEqual(['changed on A', 'changed on B']);
      }
    } finally {
      await Promise.all([onA.close(), onB.close()]);
    }
  });

  it('writes creates arriving at both instances at once, each with one numbered feed row that reaches subscribers', async () => {
    const apis = [apiClient(a.url), apiClient(b.url)];
    const users = await Promise.all(Array.from({ length: 16 }, (_, i) => registerUser(apis[i % 2]!, `both${i}`)));
    // A first event each, so the next ones go through the instances' shared create statements.
    for (const user of users) await createEvent(apis[0]!, user);
    const watched = users[0]!;
    const watcher = wsSubscriber(b.url, watched.access);
    await watcher.ready;
    try {
      const created: number[] = [];
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(
          users.map((user, i) =>
            apis[(i + round) % 2]!.post('/api/events', { token: user.access, body: { title: `Round ${round}`, ...freeSlot(30) } }),
          ),
        );
        expect(answers.map((answer) => answer.status)).toEqual(users.map(() => 201));
        created.push(...answers.map((answer) => answer.body.event.id as number));
      }
      const handle = await openDatabase({ url: inject('postgresUrl') });
      try {
        const feed = await handle.db
          .selectFrom('changes')
          .select(['id', 'event_id'])
          .where('event_id', 'in', created)
          .where('type', '=', 'event.created')
          .execute();
        expect(feed.map((row) => row.event_id).sort((x, y) => x! - y!)).toEqual([...created].sort((x, y) => x - y));
        expect(feed.every((row) => row.id > 0)).toBe(true);
      } finally {
        await handle.close();
      }
      // The watched user's creates, made through both instances, all reach a subscriber on one.
      const watchedIds = created.filter((_, k) => k % users.length === 0);
      await watcher.inbox.waitFor((inbox) => watchedIds.every((id) => inbox.types(id).includes('event.created')));
    } finally {
      await watcher.close();
    }
  });

  it('sends each reminder once, whichever instance claims it, to subscribers on both', async () => {
    const apiA = apiClient(a.url);
    const apiB = apiClient(b.url);
    const owner = await registerUser(apiA, 'owner');
    const friend = await registerUser(apiB, 'friend');
    // Three events whose 1-minute reminders fall due a few seconds from now (zero length: no overlap), one of them daily.
    const base = Math.ceil((Date.now() + 60_000 + 4000) / 1000) * 1000;
    const ids: number[] = [];
    for (const [i, pattern] of [null, 'daily', null].entries()) {
      const start = new Date(base + i * 1000).toISOString();
      const res = await (i % 2 ? apiB : apiA).post('/api/events', {
        token: owner.access,
        body: { title: `reminded ${i}`, start_time: start, end_time: start, recurrence_pattern: pattern, reminders: [1] },
      });
      expect(res.status, res.text).toBe(201);
      ids.push(res.body.event.id as number);
      await apiA.post(`/api/events/${ids[i]}/share`, { token: owner.access, body: { user_id: friend.id, role: 'VIEWER' } });
    }
    const onA = wsSubscriber(a.url, owner.access);
    const onB = wsSubscriber(b.url, friend.access);
    const handle = await openDatabase({ url: inject('postgresUrl') });
    await Promise.all([onA.ready, onB.ready]);
    try {
      await eventually(
        async () => {
          const left = await handle.db.selectFrom('reminder_schedule').select('event_id').where('event_id', 'in', ids).execute();
          expect(left.map((r) => r.event_id)).toEqual([ids[1]]); // the daily one moved on to tomorrow
          const row = await handle.db.selectFrom('reminder_schedule').selectAll().where('event_id', '=', ids[1]!).executeTakeFirstOrThrow();
          expect(new Date(row.occurrence_start).getTime()).toBe(base + 1000 + 86_400_000);
        },
        { timeout: 30_000, interval: 200 },
      );
      const feed = await handle.db
        .selectFrom('changes')
        .select(['event_id', 'payload'])
        .where('type', '=', 'event.reminder')
        .where('event_id', 'in', ids)
        .orderBy('id')
        .execute();
      expect(feed.map((r) => r.event_id).sort()).toEqual([...ids].sort());
      // A change after them, then each subscriber's messages: one reminder per event, nothing repeated.
      await apiA.put(`/api/events/${ids[0]}`, { token: owner.access, body: { title: 'after the reminders' } });
      for (const sub of [onA, onB]) {
        await sub.inbox.waitFor((inbox) => inbox.types(ids[0]).includes('event.updated'), 20_000);
        const reminders = sub.inbox.messages.filter((m) => m.type === 'event.reminder');
        expect(reminders.map((m) => m.event_id).sort()).toEqual([...ids].sort());
        expect(reminders.every((m) => m.minutes_before === 1 && m.event?.reminders?.[0] === 1)).toBe(true);
      }
    } finally {
      await Promise.all([onA.close(), onB.close(), handle.close()]);
    }
  });

  it('converges collaborative edits made through different instances', async () => {
    const apiA = apiClient(a.url);
    const owner = await registerUser(apiA, 'owner');
    const created = await apiA.post('/api/events', {
      token: owner.access,
      body: { title: 'doc', description: 'shared: ', start_time: '2033-02-01T10:00:00Z', end_time: '2033-02-01T11:00:00Z' },
    });
    const eventId = created.body.event.id as number;
    const left = openDoc(a.url, eventId, owner.access);
    const right = openDoc(b.url, eventId, owner.access);
    try {
      await Promise.all([left.synced(), right.synced()]);
      left.text.insert(left.text.length, 'from A;');
      right.text.insert(right.text.length, 'from B;');
      await eventually(() => {
        expect(left.text.toString()).toBe(right.text.toString());
        expect(left.text.toString()).toContain('from A;');
        expect(left.text.toString()).toContain('from B;');
        expect(left.text.toString().match(/shared: /g)).toHaveLength(1);
      });
      const final = left.text.toString();
      await eventually(async () => {
        const res = await apiA.get(`/api/events/${eventId}`, { token: owner.access });
        expect(res.body.description).toBe(final);
      });
    } finally {
      left.destroy();
      right.destroy();
    }
  });
});
