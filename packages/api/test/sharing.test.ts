import { beforeAll, describe, expect, it } from 'vitest';
import { errorBody, type TestUser } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;
let owner: TestUser;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  owner = await ctx.user('owner');
  alice = await ctx.user('alice');
  bob = await ctx.user('bob');
});

describe('sharing', () => {
  it('shares with seed 001’s users list and answers everyone’s permissions, the owner included', async () => {
    const event = await ctx.event(owner);
    const res = await api.post(`/api/events/${event.id}/share`, {
      token: owner.access,
      body: {
        users: [
          { user_id: alice.id, role: 'EDITOR' },
          { user_id: bob.id, role: 'viewer' },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.message).toBe('Event shared successfully');
    expect(res.body.permissions).toEqual([
      { user_id: owner.id, username: owner.username, role: 'OWNER' },
      { user_id: alice.id, username: alice.username, role: 'EDITOR' },
      { user_id: bob.id, username: bob.username, role: 'VIEWER' },
    ]);
  });

  it('shares with seed 000’s single form, by username too, and sharing again changes the role', async () => {
    const event = await ctx.event(owner);
    expect(
      (await api.post(`/api/events/${event.id}/share`, { token: owner.access, body: { user_id: alice.id, role: 'Viewer' } })).status,
    ).toBe(200);
    const again = await api.post(`/api/events/${event.id}/share`, {
      token: owner.access,
      body: { username: alice.username, role: 'EDITOR' },
    });
    expect(again.status).toBe(200);
    expect(again.body.permissions.find((p: { user_id: number }) => p.user_id === alice.id).role).toBe('EDITOR');
    const seen = await api.get(`/api/events/${event.id}`, { token: alice.access });
    expect(seen.body.my_role).toBe('EDITOR');
  });

  it('lists participants with granted_at, updates and removes them', async () => {
    const event = await ctx.event(owner);
    await api.post(`/api/events/${event.id}/share`, { token: owner.access, body: { user_id: bob.id, role: 'EDITOR' } });
    const list = await api.get(`/api/events/${event.id}/permissions`, { token: bob.access });
    expect(list.status).toBe(200);
    expect(list.body.participants).toEqual([
      { user_id: owner.id, username: owner.username, role: 'OWNER', granted_at: expect.stringMatching(/Z$/), rsvp: 'accepted' },
      { user_id: bob.id, username: bob.username, role: 'EDITOR', granted_at: expect.stringMatching(/Z$/), rsvp: 'needs_action' },
    ]);
    const update = await api.put(`/api/events/${event.id}/permissions/${bob.id}`, { token: owner.access, body: { role: 'viewer' } });
    expect(update.status).toBe(200);
    expect(update.body).toEqual({ message: 'User permission updated', user_id: bob.id, role: 'VIEWER' });
    expect((await api.put(`/api/events/${event.id}`, { token: bob.access, body: { title: 'nope' } })).status).toBe(403);
    const removed = await api.delete(`/api/events/${event.id}/permissions/${bob.id}`, { token: owner.access });
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ message: 'User removed from the event.' });
    expect((await api.get(`/api/events/${event.id}`, { token: bob.access })).status).toBe(404);
    const listing = await api.get('/api/events?page_size=100', { token: bob.access });
    expect(listing.body.results.map((e: { id: number }) => e.id)).not.toContain(event.id);
  });

  it('refuses OWNER grants, sharing with yourself, unknown users and bad roles', async () => {
    const event = await ctx.event(owner);
    const asOwner = await api.post(`/api/events/${event.id}/share`, { token: owner.access, body: { user_id: alice.id, role: 'OWNER' } });
    expect(asOwner.status).toBe(400);
    expect(errorBody(asOwner).details?.[0]?.path).toBe('role');
    const self = await api.post(`/api/events/${event.id}/share`, { token: owner.access, body: { user_id: owner.id, role: 'EDITOR' } });
    expect(self.status).toBe(400);
    const unknown = await api.post(`/api/events/${event.id}/share`, {
      token: owner.access,
      body: { user_id: 2_000_000_000, role: 'EDITOR' },
    });
    expect(unknown.status).toBe(404);
    const unknownName = await api.post(`/api/events/${event.id}/share`, {
      token: owner.access,
      body: { username: 'no_such_person_xyz', role: 'EDITOR' },
    });
    expect(unknownName.status).toBe(404);
    for (const body of [
      { user_id: alice.id, role: 'ADMIN' },
      { user_id: alice.id },
      { role: 'EDITOR' },
      {},
      { users: [] },
      { users: [{ role: 'EDITOR' }] },
    ]) {
      const res = await api.post(`/api/events/${event.id}/share`, { token: owner.access, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(errorBody(res).code).toBe('VALIDATION_ERROR');
    }
    const notShared = await api.put(`/api/events/${event.id}/permissions/${bob.id}`, { token: owner.access, body: { role: 'EDITOR' } });
    expect(notShared.status).toBe(404);
  });

  it('leaves a failed multi-user share without partial changes', async () => {
    const event = await ctx.event(owner);
    const res = await api.post(`/api/events/${event.id}/share`, {
      token: owner.access,
      body: {
        users: [
          { user_id: alice.id, role: 'EDITOR' },
          { user_id: 2_000_000_001, role: 'VIEWER' },
        ],
      },
    });
    expect(res.status).toBe(404);
    const list = await api.get(`/api/events/${event.id}/permissions`, { token: owner.access });
    expect(list.body.participants).toHaveLength(1);
  });

  it('refuses a users list by its first bad entry, in the order given, and grants nothing', async () => {
    const event = await ctx.event(owner);
    const share = (users: Array<Record<string, unknown>>) =>
      api.post(`/api/events/${event.id}/share`, { token: owner.access, body: { users } });
    const ownerFirst = await share([
      { user_id: alice.id, role: 'EDITOR' },
      { username: owner.username, role: 'VIEWER' },
      { user_id: 2_000_000_002, role: 'VIEWER' },
    ]);
    expect(ownerFirst.status).toBe(400);
    expect(errorBody(ownerFirst).details?.[0]?.path).toBe('users');
    const unknownFirst = await share([
      { user_id: alice.id, role: 'EDITOR' },
      { username: 'no_such_person_abc', role: 'VIEWER' },
      { user_id: owner.id, role: 'VIEWER' },
    ]);
    expect(unknownFirst.status).toBe(404);
    expect(errorBody(unknownFirst).error).toContain('no_such_person_abc');
    const list = await api.get(`/api/events/${event.id}/permissions`, { token: owner.access });
    expect(list.body.participants.map((p: { user_id: number }) => p.user_id)).toEqual([owner.id]);
  });
});

describe('sharing: every form and every rule', () => {
  const ids = (list: Array<{ user_id: number }>) => list.map((p) => p.user_id).sort((a, b) => a - b);

  it('answers the single {user_id, role} form with the full permissions list', async () => {
    const host = await ctx.user('host');
    const guest = await ctx.user('guest');
    const event = await ctx.event(host);
    const res = await api.post(`/api/events/${event.id}/share/`, { token: host.access, body: { user_id: guest.id, role: 'editor' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      message: 'Event shared successfully',
      permissions: expect.arrayContaining([
        { user_id: host.id, username: host.username, role: 'OWNER' },
        { user_id: guest.id, username: guest.username, role: 'EDITOR' },
      ]),
    });
    expect(res.body.permissions).toHaveLength(2);
  });

  it('accepts username in place of user_id, in the users list too', async () => {
    const host = await ctx.user('host');
    const a = await ctx.user('byname');
    const b = await ctx.user('byname');
    const event = await ctx.event(host);
    const res = await api.post(`/api/events/${event.id}/share`, {
      token: host.access,
      body: {
        users: [
          { username: a.username, role: 'VIEWER' },
          { user_id: b.id, role: 'Editor' },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(ids(res.body.permissions)).toEqual([host.id, a.id, b.id].sort((x, y) => x - y));
    expect(res.body.permissions.find((p: { user_id: number }) => p.user_id === a.id)).toEqual({
      user_id: a.id,
      username: a.username,
      role: 'VIEWER',
    });
    expect(res.body.permissions.find((p: { user_id: number }) => p.user_id === b.id).role).toBe('EDITOR');
  });

  it('re-sharing changes the role without adding a second entry, both ways', async () => {
    const host = await ctx.user('host');
    const guest = await ctx.user('guest');
    const event = await ctx.event(host);
    await api.post(`/api/events/${event.id}/share`, { token: host.access, body: { user_id: guest.id, role: 'EDITOR' } });
    const down = await api.post(`/api/events/${event.id}/share`, {
      token: host.access,
      body: { users: [{ user_id: guest.id, role: 'VIEWER' }] },
    });
    expect(down.status).toBe(200);
    expect(down.body.permissions).toHaveLength(2);
    expect(down.body.permissions.find((p: { user_id: number }) => p.user_id === guest.id).role).toBe('VIEWER');
    expect((await api.patch(`/api/events/${event.id}`, { token: guest.access, body: { title: 'no' } })).status).toBe(403);
    const up = await api.post(`/api/events/${event.id}/share`, { token: host.access, body: { username: guest.username, role: 'editor' } });
    expect(up.body.permissions.find((p: { user_id: number }) => p.user_id === guest.id).role).toBe('EDITOR');
    expect((await api.patch(`/api/events/${event.id}`, { token: guest.access, body: { title: 'yes' } })).status).toBe(200);
    const participants = await api.get(`/api/events/${event.id}/permissions`, { token: host.access });
    expect(participants.body.participants).toHaveLength(2);
  });

  it('lists participants in the contract shape for every role', async () => {
    const host = await ctx.user('host');
    const ed = await ctx.user('ed');
    const vi = await ctx.user('vi');
    const event = await ctx.event(host);
    await api.post(`/api/events/${event.id}/share`, {
      token: host.access,
      body: {
        users: [
          { user_id: ed.id, role: 'EDITOR' },
          { user_id: vi.id, role: 'VIEWER' },
        ],
      },
    });
    for (const who of [host, ed, vi]) {
      const res = await api.get(`/api/events/${event.id}/permissions/`, { token: who.access });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['participants', 'teams']);
      expect(res.body.teams).toEqual([]);
      expect(res.body.participants).toHaveLength(3);
      expect(res.body.participants).toEqual(
        expect.arrayContaining([
          {
            user_id: host.id,
            username: host.username,
            role: 'OWNER',
            granted_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
            rsvp: 'accepted',
          },
          {
            user_id: ed.id,
            username: ed.username,
            role: 'EDITOR',
            granted_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
            rsvp: 'needs_action',
          },
          {
            user_id: vi.id,
            username: vi.username,
            role: 'VIEWER',
            granted_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
            rsvp: 'needs_action',
          },
        ]),
      );
    }
  });

  it('PUT permission changes the role the user sees in GET and in their listing', async () => {
    const host = await ctx.user('host');
    const guest = await ctx.user('guest');
    const event = await ctx.event(host, { title: 'role change' });
    await api.post(`/api/events/${event.id}/share`, { token: host.access, body: { user_id: guest.id, role: 'VIEWER' } });
    const listed = async () =>
      (await api.get('/api/events?page_size=100', { token: guest.access })).body.results.find((e: { id: number }) => e.id === event.id)
        ?.my_role;
    expect(await listed()).toBe('VIEWER');
    const res = await api.put(`/api/events/${event.id}/permissions/${guest.id}/`, { token: host.access, body: { role: 'Editor' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'User permission updated', user_id: guest.id, role: 'EDITOR' });
    expect(await listed()).toBe('EDITOR');
    expect((await api.get(`/api/events/${event.id}`, { token: guest.access })).body.my_role).toBe('EDITOR');
    const owners = await api.get('/api/events?page_size=100&role=editor', { token: guest.access });
    expect(owners.body.results.map((e: { id: number }) => e.id)).toEqual([event.id]);
  });

  it('a participant may leave; afterwards they get 404 everywhere and the owner sees them gone', async () => {
    const host = await ctx.user('host');
    const leaver = await ctx.user('leaver');
    const stayer = await ctx.user('stayer');
    const event = await ctx.event(host);
    await api.post(`/api/events/${event.id}/share`, {
      token: host.access,
      body: {
        users: [
          { user_id: leaver.id, role: 'EDITOR' },
          { user_id: stayer.id, role: 'VIEWER' },
        ],
      },
    });
    const res = await api.delete(`/api/events/${event.id}/permissions/${leaver.id}`, { token: leaver.access });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'User removed from the event.' });
    for (const gone of [
      await api.get(`/api/events/${event.id}`, { token: leaver.access }),
      await api.get(`/api/events/${event.id}/permissions`, { token: leaver.access }),
      await api.get(`/api/events/${event.id}/occurrences`, { token: leaver.access }),
      await api.patch(`/api/events/${event.id}`, { token: leaver.access, body: { title: 'x' } }),
      await api.delete(`/api/events/${event.id}/permissions/${leaver.id}`, { token: leaver.access }),
    ]) {
      expect(gone.status).toBe(404);
      expect(errorBody(gone).code).toBe('NOT_FOUND');
    }
    expect((await api.get('/api/events', { token: leaver.access })).body.count).toBe(0);
    const participants = await api.get(`/api/events/${event.id}/permissions`, { token: host.access });
    expect(ids(participants.body.participants)).toEqual([host.id, stayer.id].sort((a, b) => a - b));
    // A viewer may leave too, and may not remove anyone else.
    expect((await api.delete(`/api/events/${event.id}/permissions/${host.id}`, { token: stayer.access })).status).toBe(403);
    expect((await api.delete(`/api/events/${event.id}/permissions/${stayer.id}`, { token: stayer.access })).status).toBe(200);
  });

  it('the owner removes a participant, who then gets 404 on the event and loses it from the listing', async () => {
    const host = await ctx.user('host');
    const guest = await ctx.user('guest');
    const event = await ctx.event(host);
    await api.post(`/api/events/${event.id}/share`, { token: host.access, body: { user_id: guest.id, role: 'EDITOR' } });
    expect((await api.get('/api/events', { token: guest.access })).body.count).toBe(1);
    const removed = await api.delete(`/api/events/${event.id}/permissions/${guest.id}/`, { token: host.access });
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ message: 'User removed from the event.' });
    const get = await api.get(`/api/events/${event.id}`, { token: guest.access });
    expect(get.status).toBe(404);
    expect(errorBody(get).code).toBe('NOT_FOUND');
    expect((await api.put(`/api/events/${event.id}`, { token: guest.access, body: { title: 'x' } })).status).toBe(404);
    expect((await api.get('/api/events', { token: guest.access })).body.count).toBe(0);
    // Removing again: that user has no permission any more.
    expect((await api.delete(`/api/events/${event.id}/permissions/${guest.id}`, { token: host.access })).status).toBe(404);
  });

  it('the owner’s role can neither be changed nor removed (400), by any route', async () => {
    const host = await ctx.user('host');
    const guest = await ctx.user('guest');
    const event = await ctx.event(host);
    await api.post(`/api/events/${event.id}/share`, { token: host.access, body: { user_id: guest.id, role: 'EDITOR' } });
    for (const res of [
      await api.put(`/api/events/${event.id}/permissions/${host.id}`, { token: host.access, body: { role: 'EDITOR' } }),
      await api.put(`/api/events/${event.id}/permissions/${host.id}`, { token: host.access, body: { role: 'VIEWER' } }),
      await api.delete(`/api/events/${event.id}/permissions/${host.id}`, { token: host.access }),
    ]) {
      expect(res.status).toBe(400);
      expect(errorBody(res).code).toBe('VALIDATION_ERROR');
    }
    const participants = await api.get(`/api/events/${event.id}/permissions`, { token: host.access });
    expect(participants.body.participants.find((p: { user_id: number }) => p.user_id === host.id).role).toBe('OWNER');
    expect((await api.get(`/api/events/${event.id}`, { token: host.access })).body.my_role).toBe('OWNER');
  });

  it('refuses granting OWNER by share or by PUT permission with 400', async () => {
    const host = await ctx.user('host');
    const guest = await ctx.user('guest');
    const event = await ctx.event(host);
    for (const body of [{ user_id: guest.id, role: 'owner' }, { users: [{ user_id: guest.id, role: 'OWNER' }] }]) {
      const res = await api.post(`/api/events/${event.id}/share`, { token: host.access, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(errorBody(res).code).toBe('VALIDATION_ERROR');
    }
    await api.post(`/api/events/${event.id}/share`, { token: host.access, body: { user_id: guest.id, role: 'VIEWER' } });
    const promote = await api.put(`/api/events/${event.id}/permissions/${guest.id}`, { token: host.access, body: { role: 'OWNER' } });
    expect(promote.status).toBe(400);
    expect(errorBody(promote).details?.map((d) => d.path)).toContain('role');
    expect((await api.get(`/api/events/${event.id}`, { token: guest.access })).body.my_role).toBe('VIEWER');
  });

  it('refuses sharing with yourself, by id or by name, and leaves the rest of such a list unapplied', async () => {
    const host = await ctx.user('host');
    const guest = await ctx.user('guest');
    const event = await ctx.event(host);
    for (const body of [
      { user_id: host.id, role: 'VIEWER' },
      { username: host.username, role: 'EDITOR' },
      {
        users: [
          { user_id: guest.id, role: 'EDITOR' },
          { user_id: host.id, role: 'VIEWER' },
        ],
      },
    ]) {
      const res = await api.post(`/api/events/${event.id}/share`, { token: host.access, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(errorBody(res).code).toBe('VALIDATION_ERROR');
    }
    expect((await api.get(`/api/events/${event.id}/permissions`, { token: host.access })).body.participants).toHaveLength(1);
    expect((await api.get(`/api/events/${event.id}`, { token: guest.access })).status).toBe(404);
  });

  it('answers an unknown user with 404 NOT_FOUND, by id, by name and in PUT/DELETE permission', async () => {
    const host = await ctx.user('host');
    const event = await ctx.event(host);
    for (const res of [
      await api.post(`/api/events/${event.id}/share`, { token: host.access, body: { user_id: 2_147_000_000, role: 'VIEWER' } }),
      await api.post(`/api/events/${event.id}/share`, {
        token: host.access,
        body: { users: [{ username: `ghost_${Date.now()}`, role: 'VIEWER' }] },
      }),
      await api.put(`/api/events/${event.id}/permissions/2147000000`, { token: host.access, body: { role: 'VIEWER' } }),
      await api.delete(`/api/events/${event.id}/permissions/2147000000`, { token: host.access }),
    ]) {
      expect(res.status).toBe(404);
      expect(errorBody(res).code).toBe('NOT_FOUND');
    }
  });

  it('sharing a deleted or unknown event is 404', async () => {
    const host = await ctx.user('host');
    const guest = await ctx.user('guest');
    const event = await ctx.event(host);
    await api.delete(`/api/events/${event.id}`, { token: host.access });
    for (const id of [event.id, 2_147_000_000]) {
      const res = await api.post(`/api/events/${id}/share`, { token: host.access, body: { user_id: guest.id, role: 'VIEWER' } });
      expect(res.status).toBe(404);
      expect(errorBody(res).code).toBe('NOT_FOUND');
    }
  });
});
