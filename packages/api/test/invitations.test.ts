import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../src/index.ts';
import { errorBody, type TestUser } from './support/http.ts';
import { restStream, wsSubscriber } from './support/live.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;
let owner: TestUser;

beforeAll(async () => {
  owner = await ctx.user('host');
});

const invite = (eventId: number, body: Record<string, unknown>, token = owner.access) =>
  api.post(`/api/events/${eventId}/invitations`, { token, body });

async function invited(eventId: number, invitee: TestUser, role = 'EDITOR', message?: string) {
  const res = await invite(eventId, { user_id: invitee.id, role, ...(message === undefined ? {} : { message }) });
  expect(res.status, res.text).toBe(201);
  return res.body.invitation as { id: number; [key: string]: unknown };
}

/** Feed rows of one type about one event, read from the database itself. */
async function feedRows(eventId: number, type: string) {
  return ctx.server.database.db
    .selectFrom('changes')
    .selectAll()
    .where('event_id', '=', eventId)
    .where('type', '=', type as never)
    .execute();
}

describe('invitations: the flow', () => {
  it('invites, lets the invitee see only the title, and grants the role on accept', async () => {
    const guest = await ctx.user('guest');
    const event = await ctx.event(owner, { title: 'Offsite', description: 'secret agenda', location: 'Lisbon' });
    const res = await invite(event.id, { username: guest.username, role: 'editor', message: 'Come along' });
    expect(res.status).toBe(201);
    const invitation = res.body.invitation;
    expect(invitation).toEqual({
      id: expect.any(Number),
      event_id: event.id,
      event_title: 'Offsite',
      role: 'EDITOR',
      status: 'pending',
      message: 'Come along',
      inviter: { id: owner.id, username: owner.username },
      invitee: { id: guest.id, username: guest.username },
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      responded_at: null,
    });

    // Before accepting: the invitation and the title, nothing of the event itself.
    const mine = await api.get('/api/invitations', { token: guest.access });
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual([invitation]);
    expect(JSON.stringify(mine.body)).not.toMatch(/secret agenda|Lisbon/);
    expect((await api.get(`/api/events/${event.id}`, { token: guest.access })).status).toBe(404);
    expect((await api.get(`/api/events/${event.id}/permissions`, { token: guest.access })).status).toBe(404);
    const listing = await api.get('/api/events?page_size=100', { token: guest.access });
    expect(listing.body.results.map((e: { id: number }) => e.id)).not.toContain(event.id);

    const ownerList = await api.get(`/api/events/${event.id}/invitations`, { token: owner.access });
    expect(ownerList.status).toBe(200);
    expect(ownerList.body).toEqual([invitation]);

    const accepted = await api.post(`/api/invitations/${invitation.id}/accept`, { token: guest.access });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.message).toBe('Invitation accepted');
    expect(accepted.body.invitation).toMatchObject({ id: invitation.id, status: 'accepted', responded_at: expect.stringMatching(/Z$/) });
    expect(accepted.body.event).toMatchObject({ id: event.id, title: 'Offsite', description: 'secret agenda', my_role: 'EDITOR' });

    const read = await api.get(`/api/events/${event.id}`, { token: guest.access });
    expect(read.status).toBe(200);
    expect(read.body.my_role).toBe('EDITOR');
    const participants = await api.get(`/api/events/${event.id}/permissions`, { token: owner.access });
    expect(participants.body.participants).toContainEqual({
      user_id: guest.id,
      username: guest.username,
      role: 'EDITOR',
      granted_at: expect.stringMatching(/Z$/),
      rsvp: 'accepted',
    });
    // The grant came through the sharing path: editing works, and the permission history shows it.
    expect((await api.patch(`/api/events/${event.id}`, { token: guest.access, body: { title: 'Offsite 2' } })).status).toBe(200);
    const granted = await feedRows(event.id, 'permission.granted');
    expect(granted.map((r) => [r.subject_user_id, r.role, r.actor_id])).toEqual([[guest.id, 'EDITOR', guest.id]]);

    // No longer pending: gone from the default list, present with status=accepted and all.
    expect((await api.get('/api/invitations', { token: guest.access })).body).toEqual([]);
    const acceptedList = await api.get('/api/invitations?status=accepted', { token: guest.access });
    expect(acceptedList.body.map((i: { id: number }) => i.id)).toEqual([invitation.id]);
    expect((await api.get('/api/invitations?status=all', { token: guest.access })).body).toHaveLength(1);
  });

  it('declines: no access, the owner sees the answer, and a new invitation may follow', async () => {
    const guest = await ctx.user('guest');
    const event = await ctx.event(owner);
    const invitation = await invited(event.id, guest, 'VIEWER');
    const declined = await api.post(`/api/invitations/${invitation.id}/decline`, { token: guest.access });
    expect(declined.status).toBe(200);
    expect(declined.body).toEqual({
      message: 'Invitation declined',
      invitation: { ...invitation, status: 'declined', responded_at: expect.stringMatching(/Z$/) },
    });
    expect((await api.get(`/api/events/${event.id}`, { token: guest.access })).status).toBe(404);
    const list = await api.get(`/api/events/${event.id}/invitations`, { token: owner.access });
    expect(list.body.map((i: { status: string }) => i.status)).toEqual(['declined']);
    const again = await invited(event.id, guest, 'VIEWER');
    const newestFirst = await api.get(`/api/events/${event.id}/invitations`, { token: owner.access });
    expect(newestFirst.body.map((i: { id: number }) => i.id)).toEqual([again.id, invitation.id]);
    const declinedOnly = await api.get('/api/invitations?status=declined', { token: guest.access });
    expect(declinedOnly.body.map((i: { id: number }) => i.id)).toEqual([invitation.id]);
  });

  it('cancels while pending; the invitee can no longer answer', async () => {
    const guest = await ctx.user('guest');
    const event = await ctx.event(owner);
    const invitation = await invited(event.id, guest);
    const cancelled = await api.delete(`/api/invitations/${invitation.id}`, { token: owner.access });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toEqual({ message: 'Invitation cancelled' });
    const accept = await api.post(`/api/invitations/${invitation.id}/accept`, { token: guest.access });
    expect(accept.status).toBe(409);
    expect(errorBody(accept).code).toBe('CONFLICT');
    expect((await api.get(`/api/events/${event.id}`, { token: guest.access })).status).toBe(404);
    expect((await api.get('/api/invitations', { token: guest.access })).body).toEqual([]);
    const all = await api.get('/api/invitations?status=cancelled', { token: guest.access });
    expect(all.body).toEqual([expect.objectContaining({ id: invitation.id, status: 'cancelled' })]);
  });

  it('records each step in the audit log of whoever took it', async () => {
    const guest = await ctx.user('guest');
    const event = await ctx.event(owner);
    const first = await invited(event.id, guest);
    await api.delete(`/api/invitations/${first.id}`, { token: owner.access });
    const second = await invited(event.id, guest);
    await api.post(`/api/invitations/${second.id}/decline`, { token: guest.access });
    const third = await invited(event.id, guest);
    await api.post(`/api/invitations/${third.id}/accept`, { token: guest.access });
    const actions = async (user: TestUser) =>
      (await api.get('/api/audit?page_size=100', { token: user.access })).body.results
        .filter((r: { target_type: string }) => r.target_type === 'invitation')
        .map((r: { action: string; target_id: string }) => `${r.action} ${r.target_id}`);
    expect(await actions(guest)).toEqual([`invitation.accept ${third.id}`, `invitation.decline ${second.id}`]);
    const ownerActions = await actions(owner);
    expect(ownerActions).toEqual(
      expect.arrayContaining([`invitation.create ${third.id}`, `invitation.cancel ${first.id}`, `invitation.create ${first.id}`]),
    );
  });

  it('keeps a stronger role the invitee was given meanwhile', async () => {
    const guest = await ctx.user('guest');
    const event = await ctx.event(owner);
    const invitation = await invited(event.id, guest, 'VIEWER');
    await ctx.share(owner, event.id, guest, 'EDITOR');
    const accepted = await api.post(`/api/invitations/${invitation.id}/accept`, { token: guest.access });
    expect(accepted.status).toBe(200);
    expect(accepted.body.event.my_role).toBe('EDITOR');
    expect(await feedRows(event.id, 'permission.updated')).toHaveLength(0);
  });
});

describe('invitations over tRPC', () => {
  const trpc = (user: TestUser) =>
    createTRPCClient<AppRouter>({ links: [httpLink({ url: `${ctx.url}/trpc`, headers: { authorization: `Bearer ${user.access}` } })] });

  it('offers the same operations as typed procedures, with the same rules', async () => {
    const guest = await ctx.user('guest');
    const event = await ctx.event(owner, { title: 'Typed' });
    const { invitation } = await trpc(owner).invitations.create.mutate({ id: event.id, user_id: guest.id, role: 'viewer' });
    expect(invitation).toMatchObject({ event_title: 'Typed', role: 'VIEWER', status: 'pending', message: null });
    const again = await trpc(owner)
      .invitations.create.mutate({ id: event.id, user_id: guest.id, role: 'VIEWER' })
      .catch((error: unknown) => error);
    expect(again).toBeInstanceOf(TRPCClientError);
    expect((again as TRPCClientError<AppRouter>).data?.httpStatus).toBe(409);
    expect(await trpc(guest).invitations.list.query({})).toEqual([invitation]);
    expect(await trpc(owner).invitations.listForEvent.query({ id: event.id })).toEqual([invitation]);
    const accepted = await trpc(guest).invitations.accept.mutate({ id: invitation.id });
    expect(accepted.event).toMatchObject({ id: event.id, my_role: 'VIEWER' });
    expect(await trpc(guest).rsvp.set.mutate({ id: event.id, response: 'declined' })).toEqual({
      event_id: event.id,
      user_id: guest.id,
      response: 'declined',
    });
    const participants = await trpc(owner).sharing.list.query({ id: event.id });
    expect(participants.participants.find((p) => p.user_id === guest.id)?.rsvp).toBe('declined');
  });
});

describe('invitations: refusals', () => {
  it('answers 409 for someone with access or a pending invitation, 404 for an unknown user, 400 for yourself or OWNER', async () => {
    const [guest, member] = await Promise.all([ctx.user('guest'), ctx.user('member')]);
    const event = await ctx.event(owner);
    await ctx.share(owner, event.id, member, 'VIEWER');
    const hasAccess = await invite(event.id, { user_id: member.id, role: 'EDITOR' });
    expect(hasAccess.status).toBe(409);
    expect(errorBody(hasAccess).code).toBe('CONFLICT');
    await invited(event.id, guest);
    const twice = await invite(event.id, { username: guest.username, role: 'VIEWER' });
    expect(twice.status).toBe(409);
    expect(errorBody(twice).code).toBe('CONFLICT');
    expect((await invite(event.id, { user_id: 2_000_000_000, role: 'EDITOR' })).status).toBe(404);
    expect((await invite(event.id, { username: 'nobody_by_that_name_zz', role: 'EDITOR' })).status).toBe(404);
    const self = await invite(event.id, { user_id: owner.id, role: 'EDITOR' });
    expect(self.status).toBe(400);
    expect(errorBody(self).code).toBe('VALIDATION_ERROR');
    for (const body of [
      { user_id: guest.id, role: 'OWNER' },
      { user_id: guest.id },
      { role: 'EDITOR' },
      { user_id: guest.id, role: 'EDITOR', message: 'x'.repeat(2001) },
    ]) {
      const res = await invite(event.id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(errorBody(res).code).toBe('VALIDATION_ERROR');
    }
    expect((await api.get('/api/invitations?status=maybe', { token: guest.access })).status).toBe(400);
  });

  it('lets only the owner invite and list, and hides an invitation from everyone but its parties', async () => {
    const [guest, editor, stranger] = await Promise.all([ctx.user('guest'), ctx.user('editor'), ctx.user('stranger')]);
    const event = await ctx.event(owner);
    await ctx.share(owner, event.id, editor, 'EDITOR');
    expect((await invite(event.id, { user_id: guest.id, role: 'VIEWER' }, editor.access)).status).toBe(403);
    expect((await invite(event.id, { user_id: guest.id, role: 'VIEWER' }, stranger.access)).status).toBe(404);
    expect((await api.get(`/api/events/${event.id}/invitations`, { token: editor.access })).status).toBe(403);
    expect((await api.get(`/api/events/${event.id}/invitations`, { token: stranger.access })).status).toBe(404);
    expect((await invite(999_999_999, { user_id: guest.id, role: 'VIEWER' })).status).toBe(404);

    const invitation = await invited(event.id, guest);
    for (const user of [stranger, editor]) {
      for (const [method, path] of [
        ['POST', `/api/invitations/${invitation.id}/accept`],
        ['POST', `/api/invitations/${invitation.id}/decline`],
        ['DELETE', `/api/invitations/${invitation.id}`],
      ] as const) {
        const res = await api.call(method, path, { token: user.access });
        expect(res.status, `${user.username} ${method} ${path}`).toBe(404);
        expect(errorBody(res).code).toBe('NOT_FOUND');
      }
      expect((await api.get('/api/invitations?status=all', { token: user.access })).body).toEqual([]);
    }
    for (const path of ['/api/invitations/999999999/accept', '/api/invitations/999999999/decline']) {
      expect((await api.post(path, { token: guest.access })).status).toBe(404);
    }
    expect((await api.delete('/api/invitations/999999999', { token: owner.access })).status).toBe(404);
    // The parties who may see it but not take that step: 403.
    expect((await api.post(`/api/invitations/${invitation.id}/accept`, { token: owner.access })).status).toBe(403);
    expect((await api.delete(`/api/invitations/${invitation.id}`, { token: guest.access })).status).toBe(403);
    // Still pending after all of that.
    expect((await api.get('/api/invitations', { token: guest.access })).body.map((i: { id: number }) => i.id)).toEqual([invitation.id]);
  });

  it('answers 409 for an answer or a cancellation after the invitation stopped being pending', async () => {
    const guest = await ctx.user('guest');
    const event = await ctx.event(owner);
    const invitation = await invited(event.id, guest);
    expect((await api.post(`/api/invitations/${invitation.id}/accept`, { token: guest.access })).status).toBe(200);
    for (const [method, path, token] of [
      ['POST', `/api/invitations/${invitation.id}/accept`, guest.access],
      ['POST', `/api/invitations/${invitation.id}/decline`, guest.access],
      ['DELETE', `/api/invitations/${invitation.id}`, owner.access],
    ] as const) {
      const res = await api.call(method, path, { token });
      expect(res.status, `${method} ${path}`).toBe(409);
      expect(errorBody(res).code).toBe('CONFLICT');
    }
    // Now a participant: a new invitation is a 409 too.
    expect((await invite(event.id, { user_id: guest.id, role: 'VIEWER' })).status).toBe(409);
  });

  it('drops the invitations of a deleted event', async () => {
    const guest = await ctx.user('guest');
    const event = await ctx.event(owner);
    const invitation = await invited(event.id, guest);
    expect((await api.delete(`/api/events/${event.id}`, { token: owner.access })).status).toBe(200);
    expect((await api.get('/api/invitations?status=all', { token: guest.access })).body).toEqual([]);
    expect((await api.post(`/api/invitations/${invitation.id}/accept`, { token: guest.access })).status).toBe(404);
  });
});

describe('invitations: concurrency', () => {
  it('grants once when the invitee accepts twice at once', async () => {
    const guest = await ctx.user('guest');
    const event = await ctx.event(owner);
    const invitation = await invited(event.id, guest);
    const answers = await Promise.all([
      api.post(`/api/invitations/${invitation.id}/accept`, { token: guest.access }),
      api.post(`/api/invitations/${invitation.id}/accept`, { token: guest.access }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(await feedRows(event.id, 'permission.granted')).toHaveLength(1);
    expect(await feedRows(event.id, 'invitation.accepted')).toHaveLength(1);
  });

  it('keeps one pending invitation when two are sent at once', async () => {
    const guest = await ctx.user('guest');
    const event = await ctx.event(owner);
    const answers = await Promise.all([
      invite(event.id, { user_id: guest.id, role: 'EDITOR' }),
      invite(event.id, { user_id: guest.id, role: 'VIEWER' }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    expect(errorBody(answers.find((a) => a.status === 409)!).code).toBe('CONFLICT');
    expect((await api.get('/api/invitations', { token: guest.access })).body).toHaveLength(1);
  });

  it('refuses a second pending invitation in the database itself', async () => {
    const guest = await ctx.user('guest');
    const event = await ctx.event(owner);
    await invited(event.id, guest);
    const row = { event_id: event.id, inviter_id: owner.id, invitee_id: guest.id, role: 'VIEWER' as const };
    await expect(ctx.server.database.db.insertInto('invitations').values(row).execute()).rejects.toMatchObject({ code: '23505' });
    // A settled one does not count.
    await ctx.server.database.db
      .insertInto('invitations')
      .values({ ...row, status: 'declined' })
      .execute();
  });

  it('lets one of an accept and a cancel at once win, never both', async () => {
    const guest = await ctx.user('guest');
    const event = await ctx.event(owner);
    const invitation = await invited(event.id, guest);
    const [accept, cancel] = await Promise.all([
      api.post(`/api/invitations/${invitation.id}/accept`, { token: guest.access }),
      api.delete(`/api/invitations/${invitation.id}`, { token: owner.access }),
    ]);
    expect([accept.status, cancel.status].sort()).toEqual([200, 409]);
    const access = (await api.get(`/api/events/${event.id}`, { token: guest.access })).status;
    expect(access).toBe(accept.status === 200 ? 200 : 404);
  });
});

describe('invitations: live messages', () => {
  it('tells the invitee of invitations and cancellations, the owner of answers, and nobody else', async () => {
    const [guest, stranger] = await Promise.all([ctx.user('guest'), ctx.user('stranger')]);
    const event = await ctx.event(owner);
    const guestSub = wsSubscriber(ctx.url, guest.access);
    const ownerSub = wsSubscriber(ctx.url, owner.access);
    const strangerSub = wsSubscriber(ctx.url, stranger.access);
    await Promise.all([guestSub.ready, ownerSub.ready, strangerSub.ready]);
    try {
      const first = await invited(event.id, guest, 'VIEWER', 'Hi');
      await api.delete(`/api/invitations/${first.id}`, { token: owner.access });
      const second = await invited(event.id, guest);
      await api.post(`/api/invitations/${second.id}/decline`, { token: guest.access });
      const third = await invited(event.id, guest);
      await api.post(`/api/invitations/${third.id}/accept`, { token: guest.access });

      await guestSub.inbox.waitFor((inbox) => inbox.types(event.id).includes('permission.granted'));
      await ownerSub.inbox.waitFor((inbox) => inbox.types(event.id).filter((t) => t.startsWith('invitation.')).length === 2);
      const invitationTypes = (types: string[]) => types.filter((t) => t.startsWith('invitation.'));
      expect(invitationTypes(guestSub.inbox.types(event.id))).toEqual([
        'invitation.created',
        'invitation.cancelled',
        'invitation.created',
        'invitation.created',
      ]);
      expect(invitationTypes(ownerSub.inbox.types(event.id))).toEqual(['invitation.declined', 'invitation.accepted']);

      const created = guestSub.inbox.messages[0]!;
      expect(created).toEqual({
        type: 'invitation.created',
        event_id: event.id,
        version_id: null,
        actor: { id: owner.id, username: owner.username },
        at: expect.stringMatching(/Z$/),
        invitation: first,
      });
      expect(created).not.toHaveProperty('event');
      const cancelled = guestSub.inbox.messages[1]!;
      expect(cancelled.invitation).toMatchObject({ id: first.id, status: 'cancelled' });
      const ownerMessages = ownerSub.inbox.messages.filter((m) => m.type.startsWith('invitation.'));
      expect(ownerMessages[0]).toMatchObject({ actor: { id: guest.id }, invitation: { id: second.id, status: 'declined' } });
      expect(ownerMessages[1]).toMatchObject({ actor: { id: guest.id }, invitation: { id: third.id, status: 'accepted' } });

      // Accepting grants through the sharing path: the invitee is told permission.granted, with the event.
      const granted = guestSub.inbox.messages.find((m) => m.type === 'permission.granted')!;
      expect(granted).toMatchObject({ user: { id: guest.id }, role: 'EDITOR', my_role: 'EDITOR', event_id: event.id });
      // Nothing reached the stranger; a later change to the event reaches them neither.
      await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { title: 'After' } });
      await guestSub.inbox.waitFor((inbox) => inbox.types(event.id).includes('event.updated'));
      expect(strangerSub.inbox.messages).toEqual([]);
      // The owner never saw the invitee's own notices.
      expect(ownerSub.inbox.types(event.id)).not.toContain('invitation.created');
    } finally {
      await Promise.all([guestSub.close(), ownerSub.close(), strangerSub.close()]);
    }
  });

  it('replays an invitation to an invitee who resumes after it was sent', async () => {
    const guest = await ctx.user('guest');
    const event = await ctx.event(owner);
    const first = wsSubscriber(ctx.url, guest.access);
    await first.ready;
    const before = await invited(event.id, guest);
    await first.inbox.waitFor((inbox) => inbox.types(event.id).length === 1);
    const resumeFrom = first.inbox.items[0]!.id;
    await first.close();
    await api.delete(`/api/invitations/${before.id}`, { token: owner.access });
    const again = wsSubscriber(ctx.url, guest.access, { lastEventId: resumeFrom });
    await again.ready;
    try {
      await again.inbox.waitFor((inbox) => inbox.types(event.id).includes('invitation.cancelled'));
      expect(again.inbox.messages[0]).toMatchObject({ type: 'invitation.cancelled', invitation: { id: before.id } });
    } finally {
      await again.close();
    }
  });

  it('reaches a REST event stream too', async () => {
    const guest = await ctx.user('guest');
    const event = await ctx.event(owner);
    const stream = restStream(ctx.url, guest.access);
    await stream.ready;
    try {
      const invitation = await invited(event.id, guest);
      await stream.inbox.waitFor((inbox) => inbox.types(event.id).includes('invitation.created'));
      expect(stream.inbox.messages[0]).toMatchObject({ type: 'invitation.created', event_id: event.id, invitation });
    } finally {
      stream.close();
    }
  });

  it('leaves invitations out of sync', async () => {
    const guest = await ctx.user('guest');
    const snapshot = await api.get('/api/sync', { token: guest.access });
    const event = await ctx.event(owner);
    const invitation = await invited(event.id, guest);
    await api.post(`/api/invitations/${invitation.id}/decline`, { token: guest.access });
    const since = await api.get(`/api/sync?cursor=${snapshot.body.next_cursor}`, { token: guest.access });
    expect(since.status).toBe(200);
    expect(since.body.changes).toEqual([]);
  });
});
