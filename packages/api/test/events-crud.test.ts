import { beforeAll, describe, expect, it } from 'vitest';
import { freeSlot } from './support/events.ts';
import { errorBody, type TestUser } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;
let owner: TestUser;

beforeAll(async () => {
  owner = await ctx.user('crud');
});

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
        tags: [],
        metadata: {},
        reminders: [],
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
    const event = await ctx.event(owner, { title: 'etag' });
    const res = await api.get(`/api/events/${event.id}`, { token: owner.access });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.body.permissions).toEqual([{ user_id: owner.id, username: owner.username, role: 'OWNER', rsvp: 'accepted' }]);
    const cached = await api.get(`/api/events/${event.id}`, { token: owner.access, headers: { 'if-none-match': '"1"' } });
    expect(cached.status).toBe(304);
    expect(cached.text).toBe('');
    await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { title: 'etag 2' } });
    const fresh = await api.get(`/api/events/${event.id}`, { token: owner.access, headers: { 'if-none-match': '"1"' } });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('etag')).toBe('"2"');
  });

  it('treats PUT and PATCH as partial updates and bumps the version', async () => {
    const event = await ctx.event(owner, { title: 'partial', description: 'keep me', location: 'Room 1' });
    const put = await api.put(`/api/events/${event.id}`, { token: owner.access, body: { title: 'renamed' } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      message: 'Event updated successfully',
      event: expect.objectContaining({ title: 'renamed', description: 'keep me', version: 2 }),
    });
    const patch = await api.patch(`/api/events/${event.id}/`, { token: owner.access, body: { location: null } });
    expect(patch.body.event).toMatchObject({ title: 'renamed', location: null, version: 3 });
  });

  it('makes no version for an update that changes nothing', async () => {
    const event = await ctx.event(owner, { title: 'same' });
    const res = await api.put(`/api/events/${event.id}`, { token: owner.access, body: { title: 'same', start_time: event['start_time'] } });
    expect(res.status).toBe(200);
    expect(res.body.event.version).toBe(1);
    const history = await api.get(`/api/events/${event.id}/history`, { token: owner.access });
    expect(history.body).toHaveLength(1);
  });

  it('answers a stale If-Match or body version with 412 and changes nothing', async () => {
    const event = await ctx.event(owner, { title: 'cas' });
    await api.put(`/api/events/${event.id}`, { token: owner.access, body: { title: 'cas 2' } });
    const header = await api.put(`/api/events/${event.id}`, {
      token: owner.access,
      headers: { 'if-match': '"1"' },
      body: { title: 'lost' },
    });
    expect(header.status).toBe(412);
    expect(errorBody(header).code).toBe('PRECONDITION_FAILED');
    const body = await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { title: 'lost', version: 1 } });
    expect(body.status).toBe(412);
    const garbage = await api.put(`/api/events/${event.id}`, {
      token: owner.access,
      headers: { 'if-match': 'nonsense' },
      body: { title: 'lost' },
    });
    expect(garbage.status).toBe(412);
    const ok = await api.put(`/api/events/${event.id}`, { token: owner.access, headers: { 'if-match': '"2"' }, body: { title: 'cas 3' } });
    expect(ok.status).toBe(200);
    expect((await api.get(`/api/events/${event.id}`, { token: owner.access })).body.title).toBe('cas 3');
  });

  it('deletes an event: 200 with the contract message, then 404', async () => {
    const event = await ctx.event(owner);
    const res = await api.delete(`/api/events/${event.id}`, { token: owner.access });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'Event deleted successfully' });
    expect((await api.get(`/api/events/${event.id}`, { token: owner.access })).status).toBe(404);
    expect((await api.delete(`/api/events/${event.id}`, { token: owner.access })).status).toBe(404);
  });
});

describe('overlap conflicts', () => {
  it('rejects an overlap by default and lists the conflicting events', async () => {
    const user = await ctx.user('cal');
    const first = await ctx.event(user, { title: 'first', start_time: '2044-01-01T10:00:00Z', end_time: '2044-01-01T11:00:00Z' });
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
    const user = await ctx.user('cal');
    const first = await ctx.event(user, { start_time: '2044-02-01T10:00:00Z', end_time: '2044-02-01T11:00:00Z' });
    const res = await api.post('/api/events?on_conflict=allow', {
      token: user.access,
      body: { title: 'anyway', start_time: '2044-02-01T10:30:00Z', end_time: '2044-02-01T11:30:00Z' },
    });
    expect(res.status).toBe(201);
    expect(res.body.conflicts.map((c: { id: number }) => c.id)).toEqual([first.id]);
  });

  it('does not count touching intervals, zero-length events, or other owners’ events', async () => {
    const user = await ctx.user('cal');
    const other = await ctx.user('other');
    await ctx.event(user, { start_time: '2044-03-01T10:00:00Z', end_time: '2044-03-01T11:00:00Z' });
    const touching = await api.post('/api/events', {
      token: user.access,
      body: { title: 't', start_time: '2044-03-01T11:00:00Z', end_time: '2044-03-01T12:00:00Z' },
    });
    expect(touching.status).toBe(201);
    const instant = await api.post('/api/events', {
      token: user.access,
      body: { title: 'z', start_time: '2044-03-01T10:30:00Z', end_time: '2044-03-01T10:30:00Z' },
    });
    expect(instant.status).toBe(201);
    const foreign = await api.post('/api/events', {
      token: other.access,
      body: { title: 'f', start_time: '2044-03-01T10:00:00Z', end_time: '2044-03-01T11:00:00Z' },
    });
    expect(foreign.status).toBe(201);
  });

  it('checks updates too, ignoring the event itself', async () => {
    const user = await ctx.user('cal');
    const a = await ctx.event(user, { start_time: '2044-04-01T10:00:00Z', end_time: '2044-04-01T11:00:00Z' });
    const b = await ctx.event(user, { start_time: '2044-04-01T12:00:00Z', end_time: '2044-04-01T13:00:00Z' });
    const self = await api.put(`/api/events/${a.id}`, { token: user.access, body: { end_time: '2044-04-01T11:30:00Z' } });
    expect(self.status).toBe(200);
    const clash = await api.put(`/api/events/${a.id}`, { token: user.access, body: { end_time: '2044-04-01T12:30:00Z' } });
    expect(clash.status).toBe(409);
    expect(clash.body.conflicts.map((c: { id: number }) => c.id)).toEqual([b.id]);
    const allowed = await api.put(`/api/events/${a.id}?on_conflict=allow`, {
      token: user.access,
      body: { end_time: '2044-04-01T12:30:00Z' },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.body.conflicts).toHaveLength(1);
  });

  it('uses the owner’s calendar when an editor moves a shared event', async () => {
    const boss = await ctx.user('boss');
    const helper = await ctx.user('helper');
    const mine = await ctx.event(helper, { start_time: '2044-05-01T09:00:00Z', end_time: '2044-05-01T10:00:00Z' });
    const shared = await ctx.event(boss, { start_time: '2044-05-01T12:00:00Z', end_time: '2044-05-01T13:00:00Z' });
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

/** The event object exactly as the contract lists its fields; `overrides` pins what a test knows. */
const eventShape = (overrides: Record<string, unknown>) => ({
  id: expect.any(Number),
  title: expect.any(String),
  description: expect.any(String),
  start_time: expect.stringMatching(RFC3339),
  end_time: expect.stringMatching(RFC3339),
  location: null,
  timezone: 'UTC',
  is_recurring: false,
  recurrence_pattern: null,
  rrule: null,
  tags: [],
  metadata: {},
  reminders: [],
  owner_id: expect.any(Number),
  version: 1,
  my_role: 'OWNER',
  created_at: expect.stringMatching(RFC3339),
  updated_at: expect.stringMatching(RFC3339),
  ...overrides,
});

describe('contract shapes with seed 001 bodies', () => {
  it('creates seed 001’s POST /api/events/ example unchanged and answers every field', async () => {
    const user = await ctx.user('seed');
    const res = await api.post('/api/events/', {
      token: user.access,
      body: {
        title: 'lets ssss ds',
        description: 'aas si event 1',
        start_time: '2025-04-27 8:05',
        end_time: '2025-04-27 8:09',
        location: 'Boarcdd Room',
        is_recurring: false,
      },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      message: 'Event created successfully',
      event: eventShape({
        title: 'lets ssss ds',
        description: 'aas si event 1',
        start_time: '2025-04-27T08:05:00Z',
        end_time: '2025-04-27T08:09:00Z',
        location: 'Boarcdd Room',
        owner_id: user.id,
      }),
    });
    expect(Object.keys(res.body.event).sort()).toEqual([
      'created_at',
      'description',
      'end_time',
      'id',
      'is_recurring',
      'location',
      'metadata',
      'my_role',
      'owner_id',
      'recurrence_pattern',
      'reminders',
      'rrule',
      'start_time',
      'tags',
      'timezone',
      'title',
      'updated_at',
      'version',
    ]);
  });

  it('fills the documented defaults for a minimal body', async () => {
    const user = await ctx.user('minimal');
    const res = await api.post('/api/events', {
      token: user.access,
      body: { title: 'Minimal', start_time: '2043-02-01T10:00:00Z', end_time: '2043-02-01T11:00:00Z' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      message: 'Event created successfully',
      event: eventShape({
        title: 'Minimal',
        description: '',
        start_time: '2043-02-01T10:00:00Z',
        end_time: '2043-02-01T11:00:00Z',
        owner_id: user.id,
      }),
    });
  });

  it('keeps the given IANA timezone and echoes a zero-length event', async () => {
    const user = await ctx.user('zone');
    const res = await api.post('/api/events', {
      token: user.access,
      body: { title: 'Instant', start_time: '2043-02-02T10:00:00+01:00', end_time: '2043-02-02T09:00:00Z', timezone: 'Europe/Berlin' },
    });
    expect(res.status).toBe(201);
    expect(res.body.event).toEqual(
      eventShape({
        title: 'Instant',
        description: '',
        start_time: '2043-02-02T09:00:00Z',
        end_time: '2043-02-02T09:00:00Z',
        timezone: 'Europe/Berlin',
        owner_id: user.id,
      }),
    );
  });

  it('GET answers exactly the created event plus permissions, with and without a trailing slash', async () => {
    const user = await ctx.user('getter');
    const created = await ctx.event(user, { title: 'Fetch me', description: 'd', location: 'L' });
    for (const path of [`/api/events/${created.id}`, `/api/events/${created.id}/`]) {
      const res = await api.get(path, { token: user.access });
      expect(res.status, path).toBe(200);
      expect(res.body).toEqual({
        ...created,
        permissions: [{ user_id: user.id, username: user.username, role: 'OWNER', rsvp: 'accepted' }],
      });
      expect(res.headers.get('etag')).toBe('"1"');
    }
  });

  it('applies seed 001’s PUT example unchanged (empty recurrence_pattern means none)', async () => {
    const user = await ctx.user('seedput');
    const created = await ctx.event(user, {
      title: 'before',
      start_time: '2025-06-01T08:00:00Z',
      end_time: '2025-06-01T09:00:00Z',
      recurrence_pattern: 'weekly',
    });
    const res = await api.put(`/api/events/${created.id}/`, {
      token: user.access,
      body: {
        title: 'fodibbo didi ',
        description: 'lwts dajajjaj',
        start_time: '2025-06-01 20:23',
        end_time: '2025-06-01 21:32',
        location: 'srinagar',
        is_recurring: false,
        recurrence_pattern: '',
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      message: 'Event updated successfully',
      event: {
        ...created,
        // Seed 001 answers the title exactly as sent, trailing space included.
        title: 'fodibbo didi ',
        description: 'lwts dajajjaj',
        start_time: '2025-06-01T20:23:00Z',
        end_time: '2025-06-01T21:32:00Z',
        location: 'srinagar',
        is_recurring: false,
        recurrence_pattern: '',
        rrule: null,
        version: 2,
        updated_at: expect.stringMatching(RFC3339),
      },
    });
  });

  it('PUT with one field changes only that field and answers the whole event', async () => {
    const user = await ctx.user('putone');
    const created = await ctx.event(user, { title: 'orig', description: 'keep', location: 'Here', timezone: 'Asia/Tokyo' });
    const res = await api.put(`/api/events/${created.id}`, { token: user.access, body: { description: 'changed' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      message: 'Event updated successfully',
      event: { ...created, description: 'changed', version: 2, updated_at: expect.stringMatching(RFC3339) },
    });
    const after = await api.get(`/api/events/${created.id}`, { token: user.access });
    expect(after.body).toEqual({
      ...res.body.event,
      permissions: [{ user_id: user.id, username: user.username, role: 'OWNER', rsvp: 'accepted' }],
    });
    expect(after.headers.get('etag')).toBe('"2"');
  });

  it('PATCH with times only moves the event and keeps the rest', async () => {
    const user = await ctx.user('patchtimes');
    const created = await ctx.event(user, { title: 'mover', description: 'same', location: 'There' });
    const res = await api.patch(`/api/events/${created.id}`, {
      token: user.access,
      body: { start_time: '2043-03-01 7:30', end_time: '2043-03-01T09:00:00+01:00' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      message: 'Event updated successfully',
      event: {
        ...created,
        start_time: '2043-03-01T07:30:00Z',
        end_time: '2043-03-01T08:00:00Z',
        version: 2,
        updated_at: expect.stringMatching(RFC3339),
      },
    });
  });

  it('refuses a PATCH whose end would fall before the stored start, naming end_time', async () => {
    const user = await ctx.user('patchorder');
    const created = await ctx.event(user, { start_time: '2043-04-01T10:00:00Z', end_time: '2043-04-01T11:00:00Z' });
    const res = await api.patch(`/api/events/${created.id}`, { token: user.access, body: { end_time: '2043-04-01T09:00:00Z' } });
    expect(res.status).toBe(400);
    const error = errorBody(res);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details?.map((d) => d.path)).toContain('end_time');
    expect((await api.get(`/api/events/${created.id}`, { token: user.access })).body.version).toBe(1);
  });

  it('makes no version for PUT {} or PATCH with the same values, and the old ETag still answers 304', async () => {
    const user = await ctx.user('noop');
    const created = await ctx.event(user, { title: 'still', description: 'same', location: 'Place' });
    const empty = await api.put(`/api/events/${created.id}`, { token: user.access, body: {} });
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ message: 'Event updated successfully', event: created });
    const same = await api.patch(`/api/events/${created.id}`, {
      token: user.access,
      body: {
        title: 'still',
        description: 'same',
        location: 'Place',
        start_time: created['start_time'],
        end_time: created['end_time'],
        timezone: 'UTC',
      },
    });
    expect(same.status).toBe(200);
    expect(same.body.event).toEqual(created);
    const cached = await api.get(`/api/events/${created.id}`, { token: user.access, headers: { 'if-none-match': '"1"' } });
    expect(cached.status).toBe(304);
  });

  it('answers If-None-Match with another version with the full 200', async () => {
    const user = await ctx.user('inm');
    const created = await ctx.event(user);
    const res = await api.get(`/api/events/${created.id}`, { token: user.access, headers: { 'if-none-match': '"7"' } });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(created.id);
    expect(res.headers.get('etag')).toBe('"1"');
  });

  it('honours If-Match round-tripped from the ETag and a matching body version', async () => {
    const user = await ctx.user('ifmatch');
    const created = await ctx.event(user, { title: 'v1' });
    const etag = (await api.get(`/api/events/${created.id}`, { token: user.access })).headers.get('etag')!;
    const byHeader = await api.patch(`/api/events/${created.id}`, {
      token: user.access,
      headers: { 'if-match': etag },
      body: { title: 'v2' },
    });
    expect(byHeader.status).toBe(200);
    expect(byHeader.body.event).toMatchObject({ title: 'v2', version: 2 });
    const byBody = await api.put(`/api/events/${created.id}`, { token: user.access, body: { title: 'v3', version: 2 } });
    expect(byBody.status).toBe(200);
    expect(byBody.body.event).toMatchObject({ title: 'v3', version: 3 });
  });

  it('answers 412 with the contract error shape for a stale If-Match on PATCH and a stale body version on PUT', async () => {
    const user = await ctx.user('stale');
    const created = await ctx.event(user, { title: 'base' });
    const header = await api.patch(`/api/events/${created.id}`, {
      token: user.access,
      headers: { 'if-match': '"5"' },
      body: { title: 'x' },
    });
    expect(header.status).toBe(412);
    expect(header.body).toEqual({ error: expect.any(String), code: 'PRECONDITION_FAILED' });
    const body = await api.put(`/api/events/${created.id}`, { token: user.access, body: { title: 'x', version: 2 } });
    expect(body.status).toBe(412);
    expect(errorBody(body).code).toBe('PRECONDITION_FAILED');
    const current = await api.get(`/api/events/${created.id}`, { token: user.access });
    expect(current.body).toMatchObject({ title: 'base', version: 1 });
  });

  it('deletes: the event leaves GET, PUT, PATCH, occurrences and the listing with 404s', async () => {
    const user = await ctx.user('deleter');
    const created = await ctx.event(user, { title: 'doomed' });
    const del = await api.delete(`/api/events/${created.id}/`, { token: user.access });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ message: 'Event deleted successfully' });
    for (const res of [
      await api.get(`/api/events/${created.id}`, { token: user.access }),
      await api.put(`/api/events/${created.id}`, { token: user.access, body: { title: 'back' } }),
      await api.patch(`/api/events/${created.id}`, { token: user.access, body: { title: 'back' } }),
      await api.get(`/api/events/${created.id}/occurrences`, { token: user.access }),
    ]) {
      expect(res.status).toBe(404);
      expect(errorBody(res).code).toBe('NOT_FOUND');
    }
    const listing = await api.get('/api/events', { token: user.access });
    expect(listing.body.count).toBe(0);
    expect(listing.body.results).toEqual([]);
  });
});
