import { describe, expect, it } from 'vitest';
import type { TestUser } from './support/http.ts';
import { eventually } from './support/eventually.ts';
import { restStream, sseSubscriber, wsSubscriber } from './support/live.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;

let slot = 0;
function nextSlot() {
  slot += 1;
  const start = Date.UTC(2032, 0, 1) + slot * 4 * 3600_000;
  return { start_time: new Date(start).toISOString(), end_time: new Date(start + 3600_000).toISOString() };
}

async function createEvent(owner: TestUser, title = 'Live') {
  const res = await api.post('/api/events', { token: owner.access, body: { title, ...nextSlot() } });
  expect(res.status).toBe(201);
  return res.body.event.id as number;
}

const share = (owner: TestUser, eventId: number, user: TestUser, role: string) =>
  api.post(`/api/events/${eventId}/share`, { token: owner.access, body: { user_id: user.id, role } });

describe('live updates over a tRPC WebSocket subscription', () => {
  it('delivers every kind of change, in order, with the contract’s message shape', async () => {
    const owner = await ctx.user('owner');
    const friend = await ctx.user('friend');
    const sub = wsSubscriber(ctx.url, owner.access);
    await sub.ready;
    try {
      const eventId = await createEvent(owner, 'Kickoff');
      await api.put(`/api/events/${eventId}`, { token: owner.access, body: { title: 'Kickoff v2' } });
      const history = await api.get(`/api/events/${eventId}/history`, { token: owner.access });
      await api.post(`/api/events/${eventId}/rollback/${history.body.at(-1).version_id}`, { token: owner.access });
      await share(owner, eventId, friend, 'VIEWER');
      await api.put(`/api/events/${eventId}/permissions/${friend.id}`, { token: owner.access, body: { role: 'EDITOR' } });
      await api.delete(`/api/events/${eventId}/permissions/${friend.id}`, { token: owner.access });
      await api.delete(`/api/events/${eventId}`, { token: owner.access });
      await sub.inbox.waitFor((inbox) => inbox.types(eventId).length === 7);
      expect(sub.inbox.types(eventId)).toEqual([
        'event.created',
        'event.updated',
        'event.rolled_back',
        'permission.granted',
        'permission.updated',
        'permission.revoked',
        'event.deleted',
      ]);
      const [created, updated, rolledBack, granted, changed, revoked] = sub.inbox.messages;
      expect(created).toEqual({
        type: 'event.created',
        event_id: eventId,
        version_id: expect.any(Number),
        actor: { id: owner.id, username: owner.username },
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        event: expect.objectContaining({ id: eventId, title: 'Kickoff', version: 1, my_role: 'OWNER' }),
      });
      expect(updated!.event).toMatchObject({ title: 'Kickoff v2', version: 2 });
      expect(rolledBack!.event).toMatchObject({ title: 'Kickoff', version: 3 });
      // permission.* name whose access changed and their role; my_role is the recipient's (the owner's) own.
      const friendRef = { id: friend.id, username: friend.username };
      expect(granted).toMatchObject({ type: 'permission.granted', user: friendRef, role: 'VIEWER', my_role: 'OWNER' });
      expect(changed).toMatchObject({ type: 'permission.updated', user: friendRef, role: 'EDITOR', my_role: 'OWNER' });
      expect(revoked).toMatchObject({ type: 'permission.revoked', user: friendRef, role: null, my_role: 'OWNER' });
      expect(sub.inbox.messages.at(-1)).not.toHaveProperty('event');
      const ids = sub.inbox.items.map((i) => Number(i.id));
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    } finally {
      await sub.close();
    }
  });

  it('starts delivering when access is granted and stops after permission.revoked', async () => {
    const owner = await ctx.user('owner');
    const guest = await ctx.user('guest');
    const eventId = await createEvent(owner);
    const sub = wsSubscriber(ctx.url, guest.access);
    await sub.ready;
    try {
      await api.put(`/api/events/${eventId}`, { token: owner.access, body: { title: 'before access' } });
      await share(owner, eventId, guest, 'viewer');
      await api.put(`/api/events/${eventId}`, { token: owner.access, body: { title: 'while shared' } });
      await api.delete(`/api/events/${eventId}/permissions/${guest.id}`, { token: owner.access });
      await sub.inbox.waitFor((inbox) => inbox.types().includes('permission.revoked'));
      await api.put(`/api/events/${eventId}`, { token: owner.access, body: { title: 'after revoke' } });
      // A marker event of the guest's own proves later messages would have arrived by now.
      const marker = await createEvent(guest, 'marker');
      await sub.inbox.waitFor((inbox) => inbox.types(marker).includes('event.created'));
      expect(sub.inbox.types(eventId)).toEqual(['permission.granted', 'event.updated', 'permission.revoked']);
      const [granted, updated, revoked] = sub.inbox.messages;
      const guestRef = { id: guest.id, username: guest.username };
      expect(granted).toMatchObject({ event_id: eventId, user: guestRef, role: 'VIEWER', my_role: 'VIEWER' });
      expect(updated!.event).toMatchObject({ title: 'while shared', my_role: 'VIEWER' });
      expect(revoked).toMatchObject({ user: guestRef, role: null, my_role: null });
      expect(JSON.stringify(sub.inbox.messages)).not.toContain('after revoke');
      expect(JSON.stringify(sub.inbox.messages)).not.toContain('before access');
    } finally {
      await sub.close();
    }
  });

  it('resumes after a disconnect from the last id: no gap, no duplicate', async () => {
    const owner = await ctx.user('owner');
    const eventId = await createEvent(owner);
    const first = wsSubscriber(ctx.url, owner.access, { event_id: eventId });
    await first.ready;
    await api.put(`/api/events/${eventId}`, { token: owner.access, body: { title: 'one' } });
    await first.inbox.waitFor((inbox) => inbox.items.length === 1);
    const lastId = first.inbox.items[0]!.id;
    await first.close();
    for (const title of ['two', 'three', 'four']) {
      await api.put(`/api/events/${eventId}`, { token: owner.access, body: { title } });
    }
    const second = wsSubscriber(ctx.url, owner.access, { event_id: eventId, lastEventId: lastId });
    await second.ready;
    try {
      await api.put(`/api/events/${eventId}`, { token: owner.access, body: { title: 'five' } });
      await second.inbox.waitFor((inbox) => inbox.items.length >= 4);
      // Not a wait for delivery: a while for a duplicate to show up, if there were one.
      await new Promise((r) => setTimeout(r, 300));
      expect(second.inbox.messages.map((m) => m.event?.title)).toEqual(['two', 'three', 'four', 'five']);
    } finally {
      await second.close();
    }
  });

  it('refuses a subscription to an event the caller cannot see, and one without a valid token', async () => {
    const owner = await ctx.user('owner');
    const stranger = await ctx.user('stranger');
    const eventId = await createEvent(owner);
    const sub = wsSubscriber(ctx.url, stranger.access, { event_id: eventId });
    const anonymous = wsSubscriber(ctx.url, 'not-a-token');
    try {
      await eventually(() => expect(sub.inbox.errors.length).toBeGreaterThan(0));
      expect((sub.inbox.errors[0] as { data?: { appCode?: string } }).data?.appCode).toBe('NOT_FOUND');
      await eventually(() => expect(anonymous.inbox.errors.length).toBeGreaterThan(0));
      expect((anonymous.inbox.errors[0] as { data?: { appCode?: string } }).data?.appCode).toBe('UNAUTHORIZED');
    } finally {
      await sub.close();
      await anonymous.close();
    }
  });

  it('ends the subscription when the session logs out', async () => {
    const owner = await ctx.user('owner');
    const sub = wsSubscriber(ctx.url, owner.access);
    await sub.ready;
    try {
      expect((await api.post('/api/auth/logout', { body: { refresh: owner.refresh } })).status).toBe(205);
      // First the UNAUTHORIZED error frame, then the socket closes with 4401.
      await eventually(() => expect(sub.inbox.closedWith).toBe(4401), { timeout: 5000 });
      expect(sub.inbox.errors).toHaveLength(1);
      expect((sub.inbox.errors[0] as { data?: { code?: string } }).data?.code).toBe('UNAUTHORIZED');
    } finally {
      await sub.close();
    }
  });
});

describe('live updates over SSE', () => {
  it('delivers through tRPC’s httpSubscriptionLink', async () => {
    const owner = await ctx.user('owner');
    const sub = sseSubscriber(ctx.url, owner.access);
    await sub.ready;
    try {
      const eventId = await createEvent(owner, 'over sse');
      await sub.inbox.waitFor((inbox) => inbox.types(eventId).includes('event.created'));
      expect(sub.inbox.messages[0]!.event?.title).toBe('over sse');
    } finally {
      sub.close();
    }
  });

  it('serves GET /api/events/stream with ids, and resumes with Last-Event-ID', async () => {
    const owner = await ctx.user('owner');
    const eventId = await createEvent(owner);
    const stream = restStream(ctx.url, owner.access, `?event_id=${eventId}`);
    await stream.opened;
    // The ready event comes once the server listens for this stream's changes.
    await stream.ready;
    await api.put(`/api/events/${eventId}`, { token: owner.access, body: { title: 'streamed' } });
    await stream.inbox.waitFor((inbox) => inbox.items.length === 1);
    expect(stream.inbox.items[0]!.message).toMatchObject({ type: 'event.updated', event: { title: 'streamed' } });
    const lastId = stream.inbox.items[0]!.id;
    expect(lastId).toMatch(/^\d+$/);
    stream.close();
    await api.put(`/api/events/${eventId}`, { token: owner.access, body: { title: 'missed' } });
    const resumed = restStream(ctx.url, owner.access, `?event_id=${eventId}`, lastId);
    try {
      await resumed.inbox.waitFor((inbox) => inbox.items.length === 1);
      expect(resumed.inbox.items[0]!.message.event?.title).toBe('missed');
    } finally {
      resumed.close();
    }
  });

  it('starts the stream with a ready event whose id resumes a client that saw no change yet', async () => {
    const owner = await ctx.user('owner');
    const eventId = await createEvent(owner);
    const stream = restStream(ctx.url, owner.access, `?event_id=${eventId}`);
    const ready = await stream.ready;
    expect(ready.id).toMatch(/^\d+$/);
    expect(ready.cursor).toBe(ready.id);
    stream.close();
    await api.put(`/api/events/${eventId}`, { token: owner.access, body: { title: 'while away' } });
    const resumed = restStream(ctx.url, owner.access, `?event_id=${eventId}`, ready.id);
    try {
      await resumed.inbox.waitFor((inbox) => inbox.items.length === 1);
      expect(resumed.inbox.items[0]!.message).toMatchObject({ type: 'event.updated', event: { title: 'while away' } });
      expect(Number(resumed.inbox.items[0]!.id)).toBeGreaterThan(Number(ready.id));
      expect((await resumed.ready).id).toBe(ready.id);
    } finally {
      resumed.close();
    }
  });

  it('starts a stream resumed from an id the feed never reached at the head, and delivers what follows', async () => {
    const owner = await ctx.user('owner');
    const eventId = await createEvent(owner);
    const stream = restStream(ctx.url, owner.access, `?event_id=${eventId}`, '999999999');
    try {
      const ready = await stream.ready;
      expect(Number(ready.id)).toBeLessThan(999999999);
      await api.put(`/api/events/${eventId}`, { token: owner.access, body: { title: 'after a reset' } });
      await stream.inbox.waitFor((inbox) => inbox.items.length === 1);
      expect(stream.inbox.items[0]!.message.event?.title).toBe('after a reset');
    } finally {
      stream.close();
    }
  });

  it('answers the stream without a token with 401 JSON', async () => {
    const res = await fetch(`${ctx.url}/api/events/stream`);
    expect(res.status).toBe(401);
    expect((await res.json()).code).toBe('UNAUTHORIZED');
    const owner = await ctx.user('owner');
    const bad = await fetch(`${ctx.url}/api/events/stream?event_id=abc`, { headers: { authorization: `Bearer ${owner.access}` } });
    expect(bad.status).toBe(400);
  });
});

describe('sync', () => {
  it('gives a snapshot, then only what changed, with tombstones for deleted and revoked events', async () => {
    const owner = await ctx.user('owner');
    const member = await ctx.user('member');
    const kept = await createEvent(owner, 'kept');
    const revoked = await createEvent(owner, 'revoked');
    const deleted = await createEvent(owner, 'deleted');
    for (const id of [kept, revoked, deleted]) await share(owner, id, member, 'VIEWER');

    const snapshot = await api.get('/api/sync', { token: member.access });
    expect(snapshot.status).toBe(200);
    expect(snapshot.body.changes.map((c: { event_id: number }) => c.event_id).sort()).toEqual([kept, revoked, deleted].sort());
    expect(snapshot.body.changes.every((c: { type: string }) => c.type === 'upsert')).toBe(true);

    await api.put(`/api/events/${kept}`, { token: owner.access, body: { title: 'kept v2' } });
    await api.delete(`/api/events/${revoked}/permissions/${member.id}`, { token: owner.access });
    await api.delete(`/api/events/${deleted}`, { token: owner.access });
    const delta = await api.get(`/api/sync?cursor=${snapshot.body.next_cursor}`, { token: member.access });
    expect(delta.status).toBe(200);
    expect(delta.body.has_more).toBe(false);
    const byId = Object.fromEntries(delta.body.changes.map((c: { event_id: number }) => [c.event_id, c]));
    expect(byId[kept]).toMatchObject({ type: 'upsert', event: { title: 'kept v2' } });
    expect(byId[revoked]).toEqual({ event_id: revoked, version_id: expect.any(Number), type: 'removed' });
    expect(byId[deleted]).toEqual({ event_id: deleted, version_id: expect.any(Number), type: 'removed' });

    const quiet = await api.get(`/api/sync?cursor=${delta.body.next_cursor}`, { token: member.access });
    expect(quiet.body.changes).toEqual([]);
  });

  it('pages with has_more and rejects a cursor it never gave out', async () => {
    const owner = await ctx.user('owner');
    const head = (await api.get('/api/sync', { token: owner.access })).body.next_cursor;
    for (let i = 0; i < 3; i++) await createEvent(owner);
    const page = await api.get(`/api/sync?cursor=${head}&limit=2`, { token: owner.access });
    expect(page.body.changes).toHaveLength(2);
    expect(page.body.has_more).toBe(true);
    const rest = await api.get(`/api/sync?cursor=${page.body.next_cursor}&limit=2`, { token: owner.access });
    expect(rest.body.changes).toHaveLength(1);
    expect(rest.body.has_more).toBe(false);
    for (const cursor of ['abc', '-1', '99999999999999']) {
      const res = await api.get(`/api/sync?cursor=${cursor}`, { token: owner.access });
      expect(res.status).toBe(400);
    }
  });
});

describe('visibility under random sharing', () => {
  it('never tells anyone about an event they cannot see', async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => ctx.user('rnd')));
    const subs = users.map((u) => wsSubscriber(ctx.url, u.access));
    await Promise.all(subs.map((s) => s.ready));
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    try {
      const events: Array<{ id: number; owner: TestUser }> = [];
      for (let i = 0; i < 6; i++) {
        const owner = users[random(users.length)]!;
        events.push({ id: await createEvent(owner, `rnd ${i}`), owner });
      }
      // Ground truth: who had access to which event, in the order changes were made.
      const access = new Map<number, Set<number>>(events.map((e) => [e.id, new Set([e.owner.id])]));
      const everSeen = new Map<number, Set<number>>(events.map((e) => [e.id, new Set([e.owner.id])]));
      for (let step = 0; step < 40; step++) {
        const event = events[random(events.length)]!;
        const other = users[random(users.length)]!;
        const action = random(3);
        if (other.id === event.owner.id) continue;
        if (action === 0) {
          await share(event.owner, event.id, other, random(2) ? 'VIEWER' : 'EDITOR');
          access.get(event.id)!.add(other.id);
          everSeen.get(event.id)!.add(other.id);
        } else if (action === 1 && access.get(event.id)!.has(other.id)) {
          await api.delete(`/api/events/${event.id}/permissions/${other.id}`, { token: event.owner.access });
          access.get(event.id)!.delete(other.id);
        } else {
          await api.put(`/api/events/${event.id}`, { token: event.owner.access, body: { title: `step ${step}` } });
        }
      }
      // Let every subscriber drain, then check each one's stream against the ground truth.
      const markers = await Promise.all(users.map((u) => createEvent(u, 'marker')));
      await Promise.all(subs.map((s, i) => s.inbox.waitFor((inbox) => inbox.types(markers[i]).length > 0)));
      subs.forEach((sub, i) => {
        const user = users[i]!;
        for (const event of events) {
          const types = sub.inbox.types(event.id);
          if (!everSeen.get(event.id)!.has(user.id)) expect(types).toEqual([]);
          // After each revocation, the next message (if any) must be a new grant.
          types.forEach((type, k) => {
            if (type === 'permission.revoked' && sub.inbox.messages.filter((m) => m.event_id === event.id)[k]!.my_role === null) {
              const next = types[k + 1];
              if (next !== undefined) expect(next).toBe('permission.granted');
            }
          });
        }
      });
    } finally {
      await Promise.all(subs.map((s) => s.close()));
    }
  });
});
