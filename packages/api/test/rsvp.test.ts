import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { acceptedSharedEventIds, acceptedSharedEventIdsSql } from '../src/services/events/rsvp.ts';
import { errorBody, type TestUser } from './support/http.ts';
import { wsSubscriber } from './support/live.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;
let owner: TestUser;

beforeAll(async () => {
  owner = await ctx.user('host');
});

const rsvp = (eventId: number, user: TestUser, response: string) =>
  api.put(`/api/events/${eventId}/rsvp`, { token: user.access, body: { response } });

const rsvpOf = (list: Array<{ user_id: number; rsvp?: string }>, user: TestUser) => list.find((p) => p.user_id === user.id)?.rsvp;

describe('RSVP', () => {
  it('starts at needs_action (the owner accepted) and records each participant’s answer', async () => {
    const [viewer, editor] = await Promise.all([ctx.user('viewer'), ctx.user('editor')]);
    const event = await ctx.event(owner);
    await ctx.share(owner, event.id, viewer, 'VIEWER');
    await ctx.share(owner, event.id, editor, 'EDITOR');
    const before = await api.get(`/api/events/${event.id}`, { token: viewer.access });
    expect(before.body.permissions).toEqual([
      { user_id: owner.id, username: owner.username, role: 'OWNER', rsvp: 'accepted' },
      { user_id: editor.id, username: editor.username, role: 'EDITOR', rsvp: 'needs_action' },
      { user_id: viewer.id, username: viewer.username, role: 'VIEWER', rsvp: 'needs_action' },
    ]);

    const answer = await rsvp(event.id, viewer, 'Tentative');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ event_id: event.id, user_id: viewer.id, response: 'tentative' });
    expect((await rsvp(event.id, editor, 'declined')).status).toBe(200);
    expect((await rsvp(event.id, owner, 'declined')).status).toBe(200);
    expect((await rsvp(event.id, viewer, 'accepted')).body.response).toBe('accepted');

    const after = await api.get(`/api/events/${event.id}`, { token: editor.access });
    expect(after.body.permissions.map((p: { rsvp: string }) => p.rsvp)).toEqual(['declined', 'declined', 'accepted']);
    const participants = await api.get(`/api/events/${event.id}/permissions`, { token: viewer.access });
    expect(rsvpOf(participants.body.participants, viewer)).toBe('accepted');
    expect(rsvpOf(participants.body.participants, editor)).toBe('declined');
    expect(rsvpOf(participants.body.participants, owner)).toBe('declined');
  });

  it('is not a change of the event: no version, no history, nothing in sync', async () => {
    const viewer = await ctx.user('viewer');
    const event = await ctx.event(owner);
    await ctx.share(owner, event.id, viewer, 'VIEWER');
    const snapshot = await api.get('/api/sync', { token: viewer.access });
    const historyBefore = await api.get(`/api/events/${event.id}/history`, { token: owner.access });
    expect((await rsvp(event.id, viewer, 'accepted')).status).toBe(200);
    const read = await api.get(`/api/events/${event.id}`, { token: owner.access });
    expect(read.body.version).toBe(event.version);
    expect(read.headers.get('etag')).toBe(`"${event.version}"`);
    expect((await api.get(`/api/events/${event.id}/history`, { token: owner.access })).body).toEqual(historyBefore.body);
    const since = await api.get(`/api/sync?cursor=${snapshot.body.next_cursor}`, { token: viewer.access });
    expect(since.body.changes).toEqual([]);
  });

  it('refuses strangers (404), bad answers (400) and deleted events (404)', async () => {
    const [viewer, stranger] = await Promise.all([ctx.user('viewer'), ctx.user('stranger')]);
    const event = await ctx.event(owner);
    await ctx.share(owner, event.id, viewer, 'VIEWER');
    const hidden = await rsvp(event.id, stranger, 'accepted');
    expect(hidden.status).toBe(404);
    expect(errorBody(hidden).code).toBe('NOT_FOUND');
    for (const response of ['yes', 'needs_action', '', 42]) {
      const res = await api.put(`/api/events/${event.id}/rsvp`, { token: viewer.access, body: { response } });
      expect(res.status, String(response)).toBe(400);
      expect(errorBody(res).code).toBe('VALIDATION_ERROR');
    }
    expect((await api.put(`/api/events/${event.id}/rsvp`, { token: viewer.access, body: {} })).status).toBe(400);
    await api.delete(`/api/events/${event.id}`, { token: owner.access });
    expect((await rsvp(event.id, viewer, 'accepted')).status).toBe(404);
  });

  it('reaches the event’s readers live as rsvp.updated, not strangers, and only when the answer changes', async () => {
    const [viewer, editor, stranger] = await Promise.all([ctx.user('viewer'), ctx.user('editor'), ctx.user('stranger')]);
    const event = await ctx.event(owner);
    await ctx.share(owner, event.id, viewer, 'VIEWER');
    await ctx.share(owner, event.id, editor, 'EDITOR');
    const ownerSub = wsSubscriber(ctx.url, owner.access, { event_id: event.id });
    const editorSub = wsSubscriber(ctx.url, editor.access);
    const strangerSub = wsSubscriber(ctx.url, stranger.access);
    await Promise.all([ownerSub.ready, editorSub.ready, strangerSub.ready]);
    try {
      await rsvp(event.id, viewer, 'tentative');
      await rsvp(event.id, viewer, 'tentative');
      await rsvp(event.id, viewer, 'accepted');
      for (const sub of [ownerSub, editorSub]) {
        await sub.inbox.waitFor((inbox) => inbox.types(event.id).length === 2);
      }
      const expected = (response: string) => ({
        type: 'rsvp.updated',
        event_id: event.id,
        version_id: null,
        actor: { id: viewer.id, username: viewer.username },
        at: expect.stringMatching(/Z$/),
        user: { id: viewer.id, username: viewer.username },
        response,
      });
      expect(ownerSub.inbox.messages).toEqual([expected('tentative'), expected('accepted')]);
      expect(editorSub.inbox.messages).toEqual([expected('tentative'), expected('accepted')]);
      // A later change the stranger may not see either proves the feed moved on without them.
      await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { title: 'Later' } });
      await editorSub.inbox.waitFor((inbox) => inbox.types(event.id).includes('event.updated'));
      expect(strangerSub.inbox.messages).toEqual([]);
    } finally {
      await Promise.all([ownerSub.close(), editorSub.close(), strangerSub.close()]);
    }
  });

  it('is audited as rsvp when the answer changes', async () => {
    const viewer = await ctx.user('viewer');
    const event = await ctx.event(owner);
    await ctx.share(owner, event.id, viewer, 'VIEWER');
    await rsvp(event.id, viewer, 'declined');
    await rsvp(event.id, viewer, 'declined');
    const audit = await api.get('/api/audit?page_size=100', { token: viewer.access });
    const entries = audit.body.results.filter((r: { action: string }) => r.action === 'rsvp');
    expect(entries).toEqual([expect.objectContaining({ action: 'rsvp', target_type: 'event', target_id: String(event.id) })]);
  });

  it('counts only while the participant has access, and starts again at needs_action after a new grant', async () => {
    const viewer = await ctx.user('viewer');
    const event = await ctx.event(owner);
    await ctx.share(owner, event.id, viewer, 'VIEWER');
    await rsvp(event.id, viewer, 'accepted');
    const db = ctx.server.database.db;
    expect(await acceptedSharedEventIds(db, viewer.id)).toContain(event.id);
    expect((await api.delete(`/api/events/${event.id}/permissions/${viewer.id}`, { token: owner.access })).status).toBe(200);
    expect(await acceptedSharedEventIds(db, viewer.id)).not.toContain(event.id);
    await ctx.share(owner, event.id, viewer, 'EDITOR');
    const participants = await api.get(`/api/events/${event.id}/permissions`, { token: owner.access });
    expect(rsvpOf(participants.body.participants, viewer)).toBe('needs_action');
    expect(await acceptedSharedEventIds(db, viewer.id)).not.toContain(event.id);
  });

  it('answers an accepted invitation with accepted', async () => {
    const guest = await ctx.user('guest');
    const event = await ctx.event(owner);
    const invitation = await api.post(`/api/events/${event.id}/invitations`, {
      token: owner.access,
      body: { user_id: guest.id, role: 'viewer' },
    });
    await api.post(`/api/invitations/${invitation.body.invitation.id}/accept`, { token: guest.access });
    const read = await api.get(`/api/events/${event.id}`, { token: guest.access });
    expect(rsvpOf(read.body.permissions, guest)).toBe('accepted');
    expect(await acceptedSharedEventIds(ctx.server.database.db, guest.id)).toEqual([event.id]);
  });
});

describe('the calendar of accepted shared events (free/busy)', () => {
  it('lists events shared with the user and accepted, not their own, declined, tentative or deleted ones', async () => {
    const [member, other] = await Promise.all([ctx.user('member'), ctx.user('other')]);
    const own = await ctx.event(member);
    const accepted = await ctx.event(owner);
    const declined = await ctx.event(owner);
    const tentative = await ctx.event(owner);
    const unanswered = await ctx.event(owner);
    const deleted = await ctx.event(owner);
    for (const event of [accepted, declined, tentative, unanswered, deleted]) await ctx.share(owner, event.id, member, 'VIEWER');
    await ctx.share(owner, accepted.id, other, 'VIEWER');
    await rsvp(own.id, member, 'accepted');
    await rsvp(accepted.id, member, 'accepted');
    await rsvp(declined.id, member, 'declined');
    await rsvp(tentative.id, member, 'tentative');
    await rsvp(deleted.id, member, 'accepted');
    await api.delete(`/api/events/${deleted.id}`, { token: owner.access });
    const db = ctx.server.database.db;
    expect(await acceptedSharedEventIds(db, member.id)).toEqual([accepted.id]);
    expect(await acceptedSharedEventIds(db, other.id)).toEqual([]);
    // The same set as SQL, for a query over events (own events or accepted shared ones).
    const { rows } = await sql<{ id: number }>`select e.id from events e
      where e.deleted_at is null and (e.owner_id = ${member.id} or e.id in (${acceptedSharedEventIdsSql(member.id)})) order by e.id`.execute(
      db,
    );
    expect(rows.map((r) => r.id)).toEqual([own.id, accepted.id]);
  });
});
