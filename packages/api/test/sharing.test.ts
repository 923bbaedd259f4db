import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent } from './support/events.ts';
import { apiClient, errorBody, registerUser, type ApiClient, type TestUser } from './support/http.ts';
import { startTestServer, type TestServer } from './support/server.ts';

let server: TestServer;
let api: ApiClient;
let owner: TestUser;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  owner = await registerUser(api, 'owner');
  alice = await registerUser(api, 'alice');
  bob = await registerUser(api, 'bob');
});
afterAll(() => server?.stop());

describe('sharing', () => {
  it('shares with seed 001’s users list and answers everyone’s permissions, the owner included', async () => {
    const event = await createEvent(api, owner);
    const res = await api.post(`/api/events/${event.id}/share`, {
      token: owner.access,
      body: { users: [{ user_id: alice.id, role: 'EDITOR' }, { user_id: bob.id, role: 'viewer' }] },
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
    const event = await createEvent(api, owner);
    expect((await api.post(`/api/events/${event.id}/share`, { token: owner.access, body: { user_id: alice.id, role: 'Viewer' } })).status).toBe(200);
    const again = await api.post(`/api/events/${event.id}/share`, { token: owner.access, body: { username: alice.username, role: 'EDITOR' } });
    expect(again.status).toBe(200);
    expect(again.body.permissions.find((p: { user_id: number }) => p.user_id === alice.id).role).toBe('EDITOR');
    const seen = await api.get(`/api/events/${event.id}`, { token: alice.access });
    expect(seen.body.my_role).toBe('EDITOR');
  });

  it('lists participants with granted_at, updates and removes them', async () => {
    const event = await createEvent(api, owner);
    await api.post(`/api/events/${event.id}/share`, { token: owner.access, body: { user_id: bob.id, role: 'EDITOR' } });
    const list = await api.get(`/api/events/${event.id}/permissions`, { token: bob.access });
    expect(list.status).toBe(200);
    expect(list.body.participants).toEqual([
      { user_id: owner.id, username: owner.username, role: 'OWNER', granted_at: expect.stringMatching(/Z$/) },
      { user_id: bob.id, username: bob.username, role: 'EDITOR', granted_at: expect.stringMatching(/Z$/) },
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
    const event = await createEvent(api, owner);
    const asOwner = await api.post(`/api/events/${event.id}/share`, { token: owner.access, body: { user_id: alice.id, role: 'OWNER' } });
    expect(asOwner.status).toBe(400);
    expect(errorBody(asOwner).details?.[0]?.path).toBe('role');
    const self = await api.post(`/api/events/${event.id}/share`, { token: owner.access, body: { user_id: owner.id, role: 'EDITOR' } });
    expect(self.status).toBe(400);
    const unknown = await api.post(`/api/events/${event.id}/share`, { token: owner.access, body: { user_id: 2_000_000_000, role: 'EDITOR' } });
    expect(unknown.status).toBe(404);
    const unknownName = await api.post(`/api/events/${event.id}/share`, { token: owner.access, body: { username: 'no_such_person_xyz', role: 'EDITOR' } });
    expect(unknownName.status).toBe(404);
    for (const body of [{ user_id: alice.id, role: 'ADMIN' }, { user_id: alice.id }, { role: 'EDITOR' }, {}, { users: [] }, { users: [{ role: 'EDITOR' }] }]) {
      const res = await api.post(`/api/events/${event.id}/share`, { token: owner.access, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(errorBody(res).code).toBe('VALIDATION_ERROR');
    }
    const notShared = await api.put(`/api/events/${event.id}/permissions/${bob.id}`, { token: owner.access, body: { role: 'EDITOR' } });
    expect(notShared.status).toBe(404);
  });

  it('leaves a failed multi-user share without partial changes', async () => {
    const event = await createEvent(api, owner);
    const res = await api.post(`/api/events/${event.id}/share`, {
      token: owner.access,
      body: { users: [{ user_id: alice.id, role: 'EDITOR' }, { user_id: 2_000_000_001, role: 'VIEWER' }] },
    });
    expect(res.status).toBe(404);
    const list = await api.get(`/api/events/${event.id}/permissions`, { token: owner.access });
    expect(list.body.participants).toHaveLength(1);
  });
});
