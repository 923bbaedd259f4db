import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrateToLatest, openDatabase } from '@scheduler/db';
import {
  deletionEndsReads,
  listingFollowsChanges,
  logoutEndsAccess,
  newVersionIsSeen,
  refreshReuseEndsAccess,
  revokedPermissionEndsReads,
  roleChangeIsSeen,
  withinOneSecond,
} from './support/cache-scenarios.ts';
import { eventually, openDoc } from './support/collab.ts';
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
    it('a role change, down and back up', () => roleChangeIsSeen(apiClient(a.url), apiClient(b.url), withinOneSecond));
    it('a deletion', () => deletionEndsReads(apiClient(a.url), apiClient(b.url), withinOneSecond));
    it('a new version', () => newVersionIsSeen(apiClient(a.url), apiClient(b.url), withinOneSecond));
    it('listing pages', () => listingFollowsChanges(apiClient(a.url), apiClient(b.url), withinOneSecond));
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
