import { expect } from 'vitest';
import { eventually } from './collab.ts';
import { createEvent, shareWith } from './events.ts';
import { registerUser, type ApiClient } from './http.ts';
import { wsSubscriber } from './live.ts';
import { addTeamMember, createTeam, shareWithTeam } from './teams.ts';

/**
 * What no cache may outlive: a logout, a refresh-token reuse, a revoked
 * permission, a role change, a deletion, a new version. The reader first
 * fills its caches; the writer changes something; `settle` runs the reader's
 * check (at once on the same instance, within a second on another one).
 */
export type Settle = (check: () => Promise<void>) => Promise<void>;

export const atOnce: Settle = (check) => check();
export const withinOneSecond: Settle = async (check) => void (await eventually(check, 1000, 25));

async function warm(reader: ApiClient, path: string, token: string, times = 3) {
  for (let i = 0; i < times; i++) expect((await reader.get(path, { token })).status).toBe(200);
}

export async function logoutEndsAccess(writer: ApiClient, reader: ApiClient, settle: Settle) {
  const user = await registerUser(writer, 'logout');
  await warm(reader, '/api/auth/me', user.access);
  expect((await writer.post('/api/auth/logout', { body: { refresh: user.refresh } })).status).toBe(205);
  await settle(async () => expect((await reader.get('/api/auth/me', { token: user.access })).status).toBe(401));
}

export async function refreshReuseEndsAccess(writer: ApiClient, reader: ApiClient, settle: Settle) {
  const user = await registerUser(writer, 'reuse');
  await warm(reader, '/api/auth/me', user.access);
  const rotated = await writer.post('/api/auth/refresh', { body: { refresh: user.refresh } });
  expect(rotated.status).toBe(200);
  await warm(reader, '/api/auth/me', rotated.body.access);
  expect((await writer.post('/api/auth/refresh', { body: { refresh: user.refresh } })).status).toBe(401);
  await settle(async () => {
    expect((await reader.get('/api/auth/me', { token: user.access })).status).toBe(401);
    expect((await reader.get('/api/auth/me', { token: rotated.body.access })).status).toBe(401);
  });
}

export async function revokedPermissionEndsReads(writer: ApiClient, reader: ApiClient, settle: Settle) {
  const owner = await registerUser(writer, 'owner');
  const viewer = await registerUser(writer, 'viewer');
  const event = await createEvent(writer, owner);
  await shareWith(writer, owner, event.id, viewer, 'VIEWER');
  for (const path of ['', '/history', '/permissions', '/changelog']) await warm(reader, `/api/events/${event.id}${path}`, viewer.access);
  expect((await writer.delete(`/api/events/${event.id}/permissions/${viewer.id}`, { token: owner.access })).status).toBe(200);
  await settle(async () => {
    for (const path of ['', '/history', '/permissions', '/changelog']) {
      expect((await reader.get(`/api/events/${event.id}${path}`, { token: viewer.access })).status).toBe(404);
    }
  });
}

export async function leavingTeamEndsReads(writer: ApiClient, reader: ApiClient, settle: Settle) {
  const owner = await registerUser(writer, 'owner');
  const member = await registerUser(writer, 'member');
  const team = await createTeam(writer, owner, [member]);
  const event = await createEvent(writer, owner);
  await shareWithTeam(writer, owner, event.id, team, 'EDITOR');
  for (const path of ['', '/history', '/permissions']) await warm(reader, `/api/events/${event.id}${path}`, member.access);
  expect((await writer.delete(`/api/teams/${team}/members/${member.id}`, { token: member.access })).status).toBe(200);
  await settle(async () => {
    for (const path of ['', '/history', '/permissions']) {
      expect((await reader.get(`/api/events/${event.id}${path}`, { token: member.access })).status).toBe(404);
    }
  });
}

export async function roleChangeIsSeen(writer: ApiClient, reader: ApiClient, settle: Settle) {
  const owner = await registerUser(writer, 'owner');
  const editor = await registerUser(writer, 'editor');
  const event = await createEvent(writer, owner);
  await shareWith(writer, owner, event.id, editor, 'EDITOR');
  await warm(reader, `/api/events/${event.id}`, editor.access);
  await warm(reader, `/api/events/${event.id}/history`, editor.access);
  const changed = await writer.put(`/api/events/${event.id}/permissions/${editor.id}`, { token: owner.access, body: { role: 'VIEWER' } });
  expect(changed.status).toBe(200);
  await settle(async () => {
    const got = await reader.get(`/api/events/${event.id}`, { token: editor.access });
    expect(got.body.my_role).toBe('VIEWER');
    expect(got.body.permissions).toContainEqual({ user_id: editor.id, username: editor.username, role: 'VIEWER', rsvp: 'needs_action' });
    expect((await reader.put(`/api/events/${event.id}`, { token: editor.access, body: { title: 'not allowed' } })).status).toBe(403);
  });
  // And back up: the new grant is honoured as well.
  await writer.put(`/api/events/${event.id}/permissions/${editor.id}`, { token: owner.access, body: { role: 'EDITOR' } });
  await settle(async () => {
    expect((await reader.put(`/api/events/${event.id}`, { token: editor.access, body: { title: 'allowed again' } })).status).toBe(200);
  });
}

export async function deletionEndsReads(writer: ApiClient, reader: ApiClient, settle: Settle) {
  const owner = await registerUser(writer, 'owner');
  const viewer = await registerUser(writer, 'viewer');
  const event = await createEvent(writer, owner);
  await shareWith(writer, owner, event.id, viewer, 'VIEWER');
  await warm(reader, `/api/events/${event.id}/history`, viewer.access);
  expect((await writer.delete(`/api/events/${event.id}`, { token: owner.access })).status).toBe(200);
  await settle(async () => {
    expect((await reader.get(`/api/events/${event.id}/history`, { token: viewer.access })).status).toBe(404);
    expect((await reader.get(`/api/events/${event.id}`, { token: viewer.access })).status).toBe(404);
    // The owner keeps the deleted event's history.
    expect((await reader.get(`/api/events/${event.id}/history`, { token: owner.access })).status).toBe(200);
  });
}

export async function newVersionIsSeen(writer: ApiClient, reader: ApiClient, settle: Settle) {
  const owner = await registerUser(writer, 'owner');
  const event = await createEvent(writer, owner, { title: 'before' });
  await warm(reader, `/api/events/${event.id}`, owner.access);
  expect((await writer.put(`/api/events/${event.id}`, { token: owner.access, body: { title: 'after' } })).status).toBe(200);
  await settle(async () => {
    const got = await reader.get(`/api/events/${event.id}`, { token: owner.access });
    expect(got.body).toMatchObject({ title: 'after', version: 2 });
    expect(got.headers.get('etag')).toBe('"2"');
  });
}

/** The listing's pages follow every change of the events in them and of who may see them. */
export async function listingFollowsChanges(writer: ApiClient, reader: ApiClient, settle: Settle) {
  const owner = await registerUser(writer, 'owner');
  const viewer = await registerUser(writer, 'viewer');
  const event = await createEvent(writer, owner, { title: 'listed' });
  const titles = async (user: typeof owner) => {
    const res = await reader.get('/api/events?page_size=100', { token: user.access });
    expect(res.status).toBe(200);
    return (res.body.results as Array<{ id: number; title: string; my_role: string }>).map((e) => `${e.id}:${e.title}:${e.my_role}`);
  };
  await warm(reader, '/api/events?page_size=100', viewer.access);
  await warm(reader, '/api/events?page_size=100', owner.access);
  // A grant shows the event to the viewer.
  await shareWith(writer, owner, event.id, viewer, 'VIEWER');
  await settle(async () => expect(await titles(viewer)).toEqual([`${event.id}:listed:VIEWER`]));
  // A new version is listed with its new content.
  await warm(reader, '/api/events?page_size=100', viewer.access);
  expect((await writer.put(`/api/events/${event.id}`, { token: owner.access, body: { title: 'renamed' } })).status).toBe(200);
  await settle(async () => expect(await titles(viewer)).toEqual([`${event.id}:renamed:VIEWER`]));
  // A new event of the owner's appears in the owner's listing.
  const second = await createEvent(writer, owner, { title: 'second' });
  await settle(async () => expect(await titles(owner)).toEqual(expect.arrayContaining([`${second.id}:second:OWNER`])));
  // A revoked grant hides the event again.
  await warm(reader, '/api/events?page_size=100', viewer.access);
  expect((await writer.delete(`/api/events/${event.id}/permissions/${viewer.id}`, { token: owner.access })).status).toBe(200);
  await settle(async () => expect(await titles(viewer)).toEqual([]));
}

/** GET one event follows everything its body shows: content, the participants, their RSVPs. */
export async function eventBodyFollowsChanges(writer: ApiClient, reader: ApiClient, settle: Settle) {
  const owner = await registerUser(writer, 'owner');
  const viewer = await registerUser(writer, 'viewer');
  const newcomer = await registerUser(writer, 'newcomer');
  const event = await createEvent(writer, owner, { title: 'body' });
  await shareWith(writer, owner, event.id, viewer, 'VIEWER');
  const path = `/api/events/${event.id}`;
  const read = async () => {
    const res = await reader.get(path, { token: viewer.access });
    expect(res.status).toBe(200);
    return res.body as { title: string; tags: string[]; permissions: Array<{ user_id: number; rsvp: string }> };
  };
  await warm(reader, path, viewer.access);
  // An RSVP changes the participants' answers.
  expect((await writer.put(`${path}/rsvp`, { token: viewer.access, body: { response: 'accepted' } })).status).toBe(200);
  await settle(async () =>
    expect((await read()).permissions).toContainEqual(expect.objectContaining({ user_id: viewer.id, rsvp: 'accepted' })),
  );
  // A new participant appears.
  await warm(reader, path, viewer.access);
  await shareWith(writer, owner, event.id, newcomer, 'EDITOR');
  await settle(async () => expect((await read()).permissions.map((p) => p.user_id)).toContain(newcomer.id));
  // New content (tags are content) shows.
  await warm(reader, path, viewer.access);
  expect((await writer.put(path, { token: owner.access, body: { tags: ['moved'] } })).status).toBe(200);
  await settle(async () => expect(await read()).toMatchObject({ title: 'body', tags: ['moved'] }));
}

/**
 * The live hub keeps each event's readers between changes. A revoked grant
 * and a departure from a team reach it, through the feed, before any change
 * made after them: the subscribers on the reader's instance get the
 * permission.revoked message and never the update that follows. A new grant
 * is not hidden by the kept readers: the update after it arrives. Messages
 * arrive in feed order, so receiving the update made after the new grant
 * proves the one made before it was never sent.
 */
export async function liveRecipientsFollowGrants(writer: ApiClient, reader: ApiClient) {
  const owner = await registerUser(writer, 'owner');
  const viewer = await registerUser(writer, 'viewer');
  const member = await registerUser(writer, 'member');
  const team = await createTeam(writer, owner, [member]);
  const event = await createEvent(writer, owner);
  await shareWith(writer, owner, event.id, viewer, 'VIEWER');
  await shareWithTeam(writer, owner, event.id, team, 'EDITOR');
  const subscribers = [viewer, member].map((user) => wsSubscriber(reader.baseUrl, user.access));
  const [viewerSub, memberSub] = subscribers as [(typeof subscribers)[0], (typeof subscribers)[0]];
  const titles = (sub: typeof viewerSub) => sub.inbox.messages.filter((m) => m.type === 'event.updated').map((m) => m.event?.title);
  const retitle = async (title: string) =>
    expect((await writer.put(`/api/events/${event.id}`, { token: owner.access, body: { title } })).status).toBe(200);
  try {
    await Promise.all(subscribers.map((s) => s.ready));
    await retitle('seen 1');
    await retitle('seen 2');
    for (const sub of subscribers) await sub.inbox.waitFor(() => titles(sub).includes('seen 2'));

    expect((await writer.delete(`/api/events/${event.id}/permissions/${viewer.id}`, { token: owner.access })).status).toBe(200);
    expect((await writer.delete(`/api/teams/${team}/members/${member.id}`, { token: owner.access })).status).toBe(200);
    await retitle('after losing access');
    await shareWith(writer, owner, event.id, viewer, 'EDITOR');
    await addTeamMember(writer, owner, team, member);
    await retitle('access again');

    for (const sub of subscribers) {
      await sub.inbox.waitFor(() => titles(sub).includes('access again'));
      expect(titles(sub)).toEqual(['seen 1', 'seen 2', 'access again']);
      expect(sub.inbox.types(event.id)).toContain('permission.revoked');
    }
    const last = (sub: typeof viewerSub) => sub.inbox.messages.filter((m) => m.type === 'event.updated').at(-1)?.event;
    expect(last(viewerSub)).toMatchObject({ title: 'access again', my_role: 'EDITOR' });
    expect(last(memberSub)).toMatchObject({ title: 'access again', my_role: 'EDITOR' });
  } finally {
    await Promise.all(subscribers.map((s) => s.close()));
  }
}
