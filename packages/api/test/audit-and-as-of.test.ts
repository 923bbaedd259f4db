import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, shareWith } from './support/events.ts';
import { apiClient, registerUser, type ApiClient, type TestUser } from './support/http.ts';
import { startTestServer, type TestServer } from './support/server.ts';

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
});
afterAll(() => server?.stop());

const auditOf = async (user: TestUser, query = 'page_size=100') => (await api.get(`/api/audit?${query}`, { token: user.access })).body;
const actions = async (user: TestUser) => (await auditOf(user)).results.map((r: { action: string }) => r.action).reverse();
const tick = () => new Promise((r) => setTimeout(r, 1100));

describe('audit trail', () => {
  it('records every state-changing action of the caller, newest first, with request id and address', async () => {
    const owner = await registerUser(api, 'audited');
    const friend = await registerUser(api, 'friend');
    await api.post('/api/auth/login', { body: { username: owner.username, password: 'wrong-password' } });
    const login = await api.post('/api/auth/login', { body: { username: owner.username, password: owner.password } });
    const refreshed = await api.post('/api/auth/refresh', { body: { refresh: login.body.refresh } });
    const event = await createEvent(api, owner);
    await api.put(`/api/events/${event.id}`, { token: owner.access, headers: { 'x-request-id': 'trace-123' }, body: { title: 'audited 2' } });
    await shareWith(api, owner, event.id, friend, 'VIEWER');
    await api.put(`/api/events/${event.id}/permissions/${friend.id}`, { token: owner.access, body: { role: 'EDITOR' } });
    await api.delete(`/api/events/${event.id}/permissions/${friend.id}`, { token: owner.access });
    const v1 = (await api.get(`/api/events/${event.id}/history`, { token: owner.access })).body.at(-1).version_id;
    await api.post(`/api/events/${event.id}/rollback/${v1}`, { token: owner.access });
    await api.post('/api/events/batch', { token: owner.access, body: [{ title: 'b', start_time: '2051-01-01T00:00:00Z', end_time: '2051-01-01T01:00:00Z' }] });
    await api.delete(`/api/events/${event.id}`, { token: owner.access });
    await api.post('/api/auth/logout', { body: { refresh: refreshed.body.refresh } });

    expect(await actions(owner)).toEqual([
      'register',
      'login_failed',
      'login',
      'refresh',
      'event.create',
      'event.update',
      'share',
      'permission.update',
      'permission.remove',
      'rollback',
      'event.batch',
      'event.delete',
      'logout',
    ]);
    const page = await auditOf(owner);
    expect(page.results[0]).toEqual({
      id: expect.any(Number),
      action: 'logout',
      target_type: 'session',
      target_id: expect.any(String),
      at: expect.stringMatching(/Z$/),
      request_id: expect.any(String),
      ip: expect.stringMatching(/127\.0\.0\.1/),
    });
    const update = page.results.find((r: { action: string }) => r.action === 'event.update');
    expect(update).toMatchObject({ request_id: 'trace-123', target_type: 'event', target_id: String(event.id) });
    // The friend's trail holds only the friend's own actions.
    expect(await actions(friend)).toEqual(['register']);
  });

  it('writes nothing for actions that fail', async () => {
    const owner = await registerUser(api, 'failing');
    const viewer = await registerUser(api, 'viewer');
    const event = await createEvent(api, owner, { start_time: '2051-02-01T10:00:00Z', end_time: '2051-02-01T11:00:00Z' });
    await shareWith(api, owner, event.id, viewer, 'VIEWER');
    const before = (await auditOf(owner)).count;
    expect((await api.put(`/api/events/${event.id}`, { token: owner.access, headers: { 'if-match': '"9"' }, body: { title: 'x' } })).status).toBe(412);
    expect((await api.post('/api/events', { token: owner.access, body: { title: 'clash', start_time: '2051-02-01T10:30:00Z', end_time: '2051-02-01T11:30:00Z' } })).status).toBe(409);
    expect((await api.post('/api/events', { token: owner.access, body: { title: '' } })).status).toBe(400);
    expect((await api.post('/api/events/batch', { token: owner.access, body: [{ title: '' }] })).status).toBe(400);
    expect((await auditOf(owner)).count).toBe(before);
    const viewerBefore = (await auditOf(viewer)).count;
    expect((await api.delete(`/api/events/${event.id}`, { token: viewer.access })).status).toBe(403);
    expect((await api.put(`/api/events/${event.id}`, { token: viewer.access, body: { title: 'x' } })).status).toBe(403);
    expect((await auditOf(viewer)).count).toBe(viewerBefore);
  });

  it('paginates', async () => {
    const user = await registerUser(api, 'pager');
    for (let i = 0; i < 3; i++) await createEvent(api, user);
    const first = await auditOf(user, 'page=1&page_size=2');
    expect(first).toMatchObject({ count: 4, num_pages: 2, current_page: 1 });
    expect(first.results.map((r: { action: string }) => r.action)).toEqual(['event.create', 'event.create']);
    const second = await auditOf(user, 'page=2&page_size=2');
    expect(second.results.map((r: { action: string }) => r.action)).toEqual(['event.create', 'register']);
  });
});

describe('point in time', () => {
  it('answers an event as it was, 404 before it existed and after it was deleted', async () => {
    const owner = await registerUser(api, 'time');
    const before = new Date(Date.now() - 2000).toISOString();
    const event = await createEvent(api, owner, { title: 'first title' });
    await tick();
    const between = new Date().toISOString();
    await tick();
    await api.put(`/api/events/${event.id}`, { token: owner.access, body: { title: 'second title' } });
    const then = await api.get(`/api/events/${event.id}?as_of=${between}`, { token: owner.access });
    expect(then.status).toBe(200);
    expect(then.body).toMatchObject({ id: event.id, title: 'first title', version: 1, my_role: 'OWNER' });
    expect((await api.get(`/api/events/${event.id}?as_of=${before}`, { token: owner.access })).status).toBe(404);
    const now = await api.get(`/api/events/${event.id}?as_of=${new Date(Date.now() + 1000).toISOString()}`, { token: owner.access });
    expect(now.body.title).toBe('second title');
    await api.delete(`/api/events/${event.id}`, { token: owner.access });
    expect((await api.get(`/api/events/${event.id}?as_of=${new Date(Date.now() + 1000).toISOString()}`, { token: owner.access })).status).toBe(404);
    expect((await api.get(`/api/events/${event.id}?as_of=${between}`, { token: owner.access })).body.title).toBe('first title');
  });

  it('lists what the caller could see then', async () => {
    const owner = await registerUser(api, 'lister');
    const guest = await registerUser(api, 'guest');
    const early = await createEvent(api, owner, { title: 'early' });
    const sharedLater = await createEvent(api, owner, { title: 'shared later' });
    await shareWith(api, owner, early.id, guest, 'VIEWER');
    await tick();
    const moment = new Date().toISOString();
    await tick();
    await shareWith(api, owner, sharedLater.id, guest, 'VIEWER');
    await api.put(`/api/events/${early.id}`, { token: owner.access, body: { title: 'early, renamed' } });
    await api.put(`/api/events/${early.id}/permissions/${guest.id}`, { token: owner.access, body: { role: 'EDITOR' } });

    const past = await api.get(`/api/events?as_of=${moment}`, { token: guest.access });
    expect(past.status).toBe(200);
    expect(past.body.results.map((e: { title: string }) => e.title)).toEqual(['early']);
    expect(past.body.results[0].my_role).toBe('VIEWER');
    const present = await api.get('/api/events?sort=title', { token: guest.access });
    expect(present.body.results.map((e: { title: string }) => e.title)).toEqual(['early, renamed', 'shared later']);
    // A single event follows the same rule.
    expect((await api.get(`/api/events/${sharedLater.id}?as_of=${moment}`, { token: guest.access })).status).toBe(404);
    const earlyThen = await api.get(`/api/events/${early.id}?as_of=${moment}`, { token: guest.access });
    expect(earlyThen.status).toBe(200);
    // The permissions as they were then: the guest was a viewer, whatever happened since.
    expect(earlyThen.body.permissions).toEqual([
      { user_id: owner.id, username: owner.username, role: 'OWNER' },
      { user_id: guest.id, username: guest.username, role: 'VIEWER' },
    ]);
    const laterThen = await api.get(`/api/events/${sharedLater.id}?as_of=${moment}`, { token: owner.access });
    expect(laterThen.body.permissions).toEqual([{ user_id: owner.id, username: owner.username, role: 'OWNER' }]);
    const ownerPast = await api.get(`/api/events?as_of=${moment}&sort=title`, { token: owner.access });
    expect(ownerPast.body.results.map((e: { title: string }) => e.title)).toEqual(['early', 'shared later']);
  });
});
