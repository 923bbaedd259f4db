import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, freeSlot } from './support/events.ts';
import { apiClient, errorBody, registerUser, type ApiClient, type TestUser } from './support/http.ts';
import { startTestServer, type TestServer } from './support/server.ts';

let server: TestServer;
let api: ApiClient;
let owner: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  owner = await registerUser(api, 'crud');
});
afterAll(() => server?.stop());

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe('event CRUD', () => {
  it('creates an event from a seed-001 style body and answers the contract’s shape', async () => {
    const res = await api.post('/api/events/', {
      token: owner.access,
      body: {
        title: 'Planning',
        description: 'Quarterly planning',
        start_time: '2025-04-27 8:05',
        end_time: '2025-04-27 09:00:00',
        location: 'Board Room',
        is_recurring: true,
        recurrence_pattern: 'weekly',
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      message: 'Event created successfully',
      event: {
        id: expect.any(Number),
        title: 'Planning',
        description: 'Quarterly planning',
        start_time: '2025-04-27T08:05:00Z',
        end_time: '2025-04-27T09:00:00Z',
        location: 'Board Room',
        timezone: 'UTC',
        is_recurring: true,
        recurrence_pattern: 'weekly',
        rrule: 'FREQ=WEEKLY;INTERVAL=1',
        owner_id: owner.id,
        version: 1,
        my_role: 'OWNER',
        created_at: expect.stringMatching(RFC3339),
        updated_at: expect.stringMatching(RFC3339),
      },
    });
  });

  it('accepts every documented time form and answers UTC with second precision', async () => {
    const forms: Array<[string, string]> = [
      ['2043-01-05T10:00:00Z', '2043-01-05T10:00:00Z'],
      ['2043-01-06T12:00:00+02:00', '2043-01-06T10:00:00Z'],
      ['2043-01-07T10:00:00.789Z', '2043-01-07T10:00:00Z'],
      ['2043-01-08T10:00', '2043-01-08T10:00:00Z'],
      ['2043-01-09 10:00:00', '2043-01-09T10:00:00Z'],
      ['2043-01-10 8:05', '2043-01-10T08:05:00Z'],
      ['2043-01-11T05:00:00-0500', '2043-01-11T10:00:00Z'],
    ];
    for (const [input, output] of forms) {
      const res = await api.post('/api/events', { token: owner.access, body: { title: 'time', start_time: input, end_time: input } });
      expect(res.status, input).toBe(201);
      expect(res.body.event.start_time).toBe(output);
    }
  });

  it('returns the event with permissions and an ETag; If-None-Match answers 304', async () => {
    const event = await createEvent(api, owner, { title: 'etag' });
    const res = await api.get(`/api/events/${event.id}`, { token: owner.access });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.body.permissions).toEqual([{ user_id: owner.id, username: owner.username, role: 'OWNER' }]);
    const cached = await api.get(`/api/events/${event.id}`, { token: owner.access, headers: { 'if-none-match': '"1"' } });
    expect(cached.status).toBe(304);
    expect(cached.text).toBe('');
    await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { title: 'etag 2' } });
    const fresh = await api.get(`/api/events/${event.id}`, { token: owner.access, headers: { 'if-none-match': '"1"' } });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('etag')).toBe('"2"');
  });

  it('treats PUT and PATCH as partial updates and bumps the version', async () => {
    const event = await createEvent(api, owner, { title: 'partial', description: 'keep me', location: 'Room 1' });
    const put = await api.put(`/api/events/${event.id}`, { token: owner.access, body: { title: 'renamed' } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ message: 'Event updated successfully', event: expect.objectContaining({ title: 'renamed', description: 'keep me', version: 2 }) });
    const patch = await api.patch(`/api/events/${event.id}/`, { token: owner.access, body: { location: null } });
    expect(patch.body.event).toMatchObject({ title: 'renamed', location: null, version: 3 });
  });

  it('makes no version for an update that changes nothing', async () => {
    const event = await createEvent(api, owner, { title: 'same' });
    const res = await api.put(`/api/events/${event.id}`, { token: owner.access, body: { title: 'same', start_time: event['start_time'] } });
    expect(res.status).toBe(200);
    expect(res.body.event.version).toBe(1);
    const history = await api.get(`/api/events/${event.id}/history`, { token: owner.access });
    expect(history.body).toHaveLength(1);
  });

  it('answers a stale If-Match or body version with 412 and changes nothing', async () => {
    const event = await createEvent(api, owner, { title: 'cas' });
    await api.put(`/api/events/${event.id}`, { token: owner.access, body: { title: 'cas 2' } });
    const header = await api.put(`/api/events/${event.id}`, { token: owner.access, headers: { 'if-match': '"1"' }, body: { title: 'lost' } });
    expect(header.status).toBe(412);
    expect(errorBody(header).code).toBe('PRECONDITION_FAILED');
    const body = await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { title: 'lost', version: 1 } });
    expect(body.status).toBe(412);
    const garbage = await api.put(`/api/events/${event.id}`, { token: owner.access, headers: { 'if-match': 'nonsense' }, body: { title: 'lost' } });
    expect(garbage.status).toBe(412);
    const ok = await api.put(`/api/events/${event.id}`, { token: owner.access, headers: { 'if-match': '"2"' }, body: { title: 'cas 3' } });
    expect(ok.status).toBe(200);
    expect((await api.get(`/api/events/${event.id}`, { token: owner.access })).body.title).toBe('cas 3');
  });

  it('deletes an event: 200 with the contract message, then 404', async () => {
    const event = await createEvent(api, owner);
    const res = await api.delete(`/api/events/${event.id}`, { token: owner.access });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'Event deleted successfully' });
    expect((await api.get(`/api/events/${event.id}`, { token: owner.access })).status).toBe(404);
    expect((await api.delete(`/api/events/${event.id}`, { token: owner.access })).status).toBe(404);
  });
});

describe('overlap conflicts', () => {
  it('rejects an overlap by default and lists the conflicting events', async () => {
    const user = await registerUser(api, 'cal');
    const first = await createEvent(api, user, { title: 'first', start_time: '2044-01-01T10:00:00Z', end_time: '2044-01-01T11:00:00Z' });
    const res = await api.post('/api/events', {
      token: user.access,
      body: { title: 'second', start_time: '2044-01-01T10:30:00Z', end_time: '2044-01-01T11:30:00Z' },
    });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      error: expect.any(String),
      code: 'EVENT_CONFLICT',
      conflicts: [{ id: first.id, title: 'first', start_time: '2044-01-01T10:00:00Z', end_time: '2044-01-01T11:00:00Z' }],
    });
  });

  it('saves with on_conflict=allow and returns the overlaps beside the event', async () => {
    const user = await registerUser(api, 'cal');
    const first = await createEvent(api, user, { start_time: '2044-02-01T10:00:00Z', end_time: '2044-02-01T11:00:00Z' });
    const res = await api.post('/api/events?on_conflict=allow', {
      token: user.access,
      body: { title: 'anyway', start_time: '2044-02-01T10:30:00Z', end_time: '2044-02-01T11:30:00Z' },
    });
    expect(res.status).toBe(201);
    expect(res.body.conflicts.map((c: { id: number }) => c.id)).toEqual([first.id]);
  });

  it('does not count touching intervals, zero-length events, or other owners’ events', async () => {
    const user = await registerUser(api, 'cal');
    const other = await registerUser(api, 'other');
    await createEvent(api, user, { start_time: '2044-03-01T10:00:00Z', end_time: '2044-03-01T11:00:00Z' });
    const touching = await api.post('/api/events', { token: user.access, body: { title: 't', start_time: '2044-03-01T11:00:00Z', end_time: '2044-03-01T12:00:00Z' } });
    expect(touching.status).toBe(201);
    const instant = await api.post('/api/events', { token: user.access, body: { title: 'z', start_time: '2044-03-01T10:30:00Z', end_time: '2044-03-01T10:30:00Z' } });
    expect(instant.status).toBe(201);
    const foreign = await api.post('/api/events', { token: other.access, body: { title: 'f', start_time: '2044-03-01T10:00:00Z', end_time: '2044-03-01T11:00:00Z' } });
    expect(foreign.status).toBe(201);
  });

  it('checks updates too, ignoring the event itself', async () => {
    const user = await registerUser(api, 'cal');
    const a = await createEvent(api, user, { start_time: '2044-04-01T10:00:00Z', end_time: '2044-04-01T11:00:00Z' });
    const b = await createEvent(api, user, { start_time: '2044-04-01T12:00:00Z', end_time: '2044-04-01T13:00:00Z' });
    const self = await api.put(`/api/events/${a.id}`, { token: user.access, body: { end_time: '2044-04-01T11:30:00Z' } });
    expect(self.status).toBe(200);
    const clash = await api.put(`/api/events/${a.id}`, { token: user.access, body: { end_time: '2044-04-01T12:30:00Z' } });
    expect(clash.status).toBe(409);
    expect(clash.body.conflicts.map((c: { id: number }) => c.id)).toEqual([b.id]);
    const allowed = await api.put(`/api/events/${a.id}?on_conflict=allow`, { token: user.access, body: { end_time: '2044-04-01T12:30:00Z' } });
    expect(allowed.status).toBe(200);
    expect(allowed.body.conflicts).toHaveLength(1);
  });

  it('uses the owner’s calendar when an editor moves a shared event', async () => {
    const boss = await registerUser(api, 'boss');
    const helper = await registerUser(api, 'helper');
    const mine = await createEvent(api, helper, { start_time: '2044-05-01T09:00:00Z', end_time: '2044-05-01T10:00:00Z' });
    const shared = await createEvent(api, boss, { start_time: '2044-05-01T12:00:00Z', end_time: '2044-05-01T13:00:00Z' });
    await api.post(`/api/events/${shared.id}/share`, { token: boss.access, body: { user_id: helper.id, role: 'EDITOR' } });
    const moved = await api.put(`/api/events/${shared.id}`, {
      token: helper.access,
      body: { start_time: '2044-05-01T09:00:00Z', end_time: '2044-05-01T10:00:00Z' },
    });
    expect(moved.status).toBe(200);
    expect(mine.id).toBeGreaterThan(0);
  });
});

describe('sanity of ids', () => {
  it('answers unknown, non-numeric and out-of-range ids without a 5xx', async () => {
    expect((await api.get('/api/events/2147483000', { token: owner.access })).status).toBe(404);
    for (const id of ['abc', '-1', '0', '1.5', '99999999999', '1e3x']) {
      const res = await api.get(`/api/events/${id}`, { token: owner.access });
      expect(res.status, id).toBe(400);
      expect(errorBody(res).details?.[0]?.path).toBe('id');
    }
    const res = await api.put(`/api/events/abc`, { token: owner.access, body: { title: 'x', ...freeSlot() } });
    expect(res.status).toBe(400);
  });
});
