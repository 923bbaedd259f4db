import { describe, expect, it } from 'vitest';
import { errorBody } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';
import { hourly } from './support/time.ts';

const ctx = useTestServer();
const { api } = ctx;

const countOf = async (token: string) => (await api.get('/api/events', { token })).body.count as number;

describe('batch create', () => {
  it('accepts a JSON array (seed 001) and {"events": [...]} (seed 000)', async () => {
    const user = await ctx.user('batch');
    const array = await api.post('/api/events/batch', { token: user.access, body: hourly(Date.UTC(2041, 0, 1), 3) });
    expect(array.status).toBe(201);
    expect(array.body.errors).toEqual([]);
    expect(array.body.created_events).toHaveLength(3);
    expect(array.body.created_events[0]).toMatchObject({ title: 'item 0', version: 1, my_role: 'OWNER', owner_id: user.id });
    const wrapped = await api.post('/api/events/batch', { token: user.access, body: { events: hourly(Date.UTC(2041, 1, 1), 2) } });
    expect(wrapped.status).toBe(201);
    expect(wrapped.body.created_events).toHaveLength(2);
    expect(await countOf(user.access)).toBe(5);
    // Each created event has its first version.
    const history = await api.get(`/api/events/${wrapped.body.created_events[1].id}/history`, { token: user.access });
    expect(history.body).toEqual([expect.objectContaining({ version: 1, history_type: '+' })]);
  });

  it('creates nothing when one item is invalid (atomic by default) and lists the errors by index', async () => {
    const user = await ctx.user('atomic');
    const items: unknown[] = hourly(Date.UTC(2041, 2, 1), 4);
    items[2] = { title: '', start_time: 'not a time', end_time: '2041-03-01T00:00:00Z' };
    const res = await api.post('/api/events/batch', { token: user.access, body: items });
    expect(res.status).toBe(400);
    expect(errorBody(res).code).toBe('VALIDATION_ERROR');
    expect(res.body.errors).toEqual([
      expect.objectContaining({
        index: 2,
        error: expect.any(String),
        details: expect.arrayContaining([expect.objectContaining({ path: 'title' })]),
      }),
    ]);
    expect(await countOf(user.access)).toBe(0);
  });

  it('creates exactly the valid items with atomic=false', async () => {
    const user = await ctx.user('partial');
    const items: unknown[] = hourly(Date.UTC(2041, 3, 1), 5);
    items[1] = { title: 'bad', start_time: '2041-04-01T10:00:00Z', end_time: '2041-04-01T09:00:00Z' };
    items[4] = 'not an object';
    const res = await api.post('/api/events/batch?atomic=false', { token: user.access, body: items });
    expect(res.status).toBe(201);
    expect(res.body.created_events.map((e: { title: string }) => e.title)).toEqual(['item 0', 'item 2', 'item 3']);
    expect(res.body.errors.map((e: { index: number }) => e.index)).toEqual([1, 4]);
    expect(res.body.errors[0].details).toEqual([{ path: 'end_time', message: 'must not be before start_time' }]);
    expect(await countOf(user.access)).toBe(3);
  });

  it('finds overlaps between items and with existing events', async () => {
    const user = await ctx.user('overlap');
    const existing = await ctx.event(user, { start_time: '2041-05-01T10:00:00Z', end_time: '2041-05-01T11:00:00Z' });
    const items = [
      { title: 'clashes with existing', start_time: '2041-05-01T10:30:00Z', end_time: '2041-05-01T11:30:00Z' },
      { title: 'first', start_time: '2041-05-02T10:00:00Z', end_time: '2041-05-02T11:00:00Z' },
      { title: 'clashes with first', start_time: '2041-05-02T10:59:00Z', end_time: '2041-05-02T12:00:00Z' },
      { title: 'touches first only', start_time: '2041-05-02T09:00:00Z', end_time: '2041-05-02T10:00:00Z' },
    ];
    const atomic = await api.post('/api/events/batch', { token: user.access, body: items });
    expect(atomic.status).toBe(409);
    expect(errorBody(atomic).code).toBe('EVENT_CONFLICT');
    expect(await countOf(user.access)).toBe(1);

    const partial = await api.post('/api/events/batch?atomic=false', { token: user.access, body: items });
    expect(partial.status).toBe(201);
    expect(partial.body.created_events.map((e: { title: string }) => e.title)).toEqual(['first', 'touches first only']);
    expect(partial.body.errors).toEqual([
      expect.objectContaining({ index: 0, code: 'EVENT_CONFLICT', conflicts: [expect.objectContaining({ id: existing.id })] }),
      expect.objectContaining({ index: 2, code: 'EVENT_CONFLICT', conflicting_items: [1] }),
    ]);

    const allowed = await api.post('/api/events/batch?on_conflict=allow', { token: user.access, body: items.slice(0, 1) });
    expect(allowed.status).toBe(201);
    expect(allowed.body.created_events).toHaveLength(1);
  });

  it('refuses more than 10,000 items and non-list bodies with 400', async () => {
    const user = await ctx.user('huge');
    const tooMany = Array.from({ length: 10_001 }, () => ({}));
    const res = await api.post('/api/events/batch', { token: user.access, body: tooMany });
    expect(res.status).toBe(400);
    expect(errorBody(res).details?.[0]?.path).toBe('events');
    for (const body of [{ events: 'nope' }, { nothing: true }, 42]) {
      const bad = await api.post('/api/events/batch', { token: user.access, body });
      expect(bad.status).toBe(400);
      expect(errorBody(bad).code).toBe('VALIDATION_ERROR');
    }
  });

  it('creates a batch of 1,000 events in one go, each with its owner, first version and feed row, in order', async () => {
    const user = await ctx.user('thousand');
    const before = await api.get('/api/sync', { token: user.access });
    const res = await api.post('/api/events/batch', { token: user.access, body: hourly(Date.UTC(2042, 0, 1), 1000) });
    expect(res.status).toBe(201);
    expect(res.body.created_events).toHaveLength(1000);
    const ids = res.body.created_events.map((e: { id: number }) => e.id);
    expect(new Set(ids).size).toBe(1000);
    expect(await countOf(user.access)).toBe(1000);

    // The feed since before the batch: one change per event, in the batch's order, versions rising.
    const changes: Array<{ event_id: number; version_id: number; type: string; event: { version: number } }> = [];
    let cursor = before.body.next_cursor as string;
    for (let page = 0; page < 20; page++) {
      const since = await api.get(`/api/sync?cursor=${cursor}`, { token: user.access });
      expect(since.status).toBe(200);
      changes.push(...since.body.changes);
      cursor = since.body.next_cursor;
      if (!since.body.has_more) break;
    }
    expect(changes.map((c) => c.event_id)).toEqual(ids);
    expect(changes.every((c) => c.type === 'upsert' && c.event.version === 1)).toBe(true);
    const versionIds = changes.map((c) => c.version_id);
    expect(versionIds).toEqual([...versionIds].sort((a, b) => a - b));
    for (const id of [ids[0], ids[999]]) {
      const permissions = await api.get(`/api/events/${id}/permissions`, { token: user.access });
      expect(permissions.body.participants).toEqual([expect.objectContaining({ user_id: user.id, role: 'OWNER' })]);
      const history = await api.get(`/api/events/${id}/history`, { token: user.access });
      expect(history.body).toEqual([expect.objectContaining({ version: 1, history_type: '+' })]);
    }
  });
});

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe('batch create: contract details', () => {
  it('creates seed 001’s batch example unchanged (with a trailing slash) and answers full event objects', async () => {
    const user = await ctx.user('seedbatch');
    const res = await api.post('/api/events/batch/', {
      token: user.access,
      body: [
        {
          title: 'sss is jj',
          description: 'dd product design meeting',
          start_time: '2025-04-29T09:00:00Z',
          end_time: '2025-04-29T10:00:00Z',
          location: 'Zoom',
          is_recurring: false,
        },
        {
          title: 'last saas',
          description: 'Monthly marketing planning session',
          start_time: '2025-04-01T11:00:00Z',
          end_time: '2025-04-01T12:00:00Z',
          location: 'Conference Room A',
          is_recurring: true,
          recurrence_pattern: 'monthly',
        },
      ],
    });
    expect(res.status).toBe(201);
    const common = {
      id: expect.any(Number),
      timezone: 'UTC',
      owner_id: user.id,
      version: 1,
      my_role: 'OWNER',
      created_at: expect.stringMatching(RFC3339),
      updated_at: expect.stringMatching(RFC3339),
    };
    expect(res.body).toEqual({
      created_events: [
        {
          ...common,
          title: 'sss is jj',
          description: 'dd product design meeting',
          start_time: '2025-04-29T09:00:00Z',
          end_time: '2025-04-29T10:00:00Z',
          location: 'Zoom',
          is_recurring: false,
          recurrence_pattern: null,
          rrule: null,
          tags: [],
          metadata: {},
          reminders: [],
        },
        {
          ...common,
          title: 'last saas',
          description: 'Monthly marketing planning session',
          start_time: '2025-04-01T11:00:00Z',
          end_time: '2025-04-01T12:00:00Z',
          location: 'Conference Room A',
          is_recurring: true,
          recurrence_pattern: 'monthly',
          rrule: 'FREQ=MONTHLY;INTERVAL=1',
          tags: [],
          metadata: {},
          reminders: [],
        },
      ],
      errors: [],
    });
    for (const created of res.body.created_events) {
      const fetched = await api.get(`/api/events/${created.id}`, { token: user.access });
      expect(fetched.body).toEqual({
        ...created,
        permissions: [{ user_id: user.id, username: user.username, role: 'OWNER', rsvp: 'accepted' }],
      });
    }
  });

  it('leaves nothing behind when a {"events": [...]} batch has invalid items, and reports each by index', async () => {
    const user = await ctx.user('wrapped');
    const items: unknown[] = hourly(Date.UTC(2058, 0, 1), 6);
    items[1] = { title: 'x'.repeat(201), start_time: '2058-02-01T10:00:00Z', end_time: '2058-02-01T11:00:00Z' };
    items[4] = { title: 'no times' };
    const res = await api.post('/api/events/batch', { token: user.access, body: { events: items } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(
      expect.objectContaining({
        error: expect.any(String),
        code: 'VALIDATION_ERROR',
        errors: [
          expect.objectContaining({
            index: 1,
            error: expect.any(String),
            details: expect.arrayContaining([expect.objectContaining({ path: 'title' })]),
          }),
          expect.objectContaining({
            index: 4,
            error: expect.any(String),
            details: expect.arrayContaining([expect.objectContaining({ path: 'start_time' })]),
          }),
        ],
      }),
    );
    expect(await countOf(user.access)).toBe(0);
    expect(
      (await api.get('/api/events?start_date=2058-01-01T00:00:00Z&end_date=2058-12-31T00:00:00Z', { token: user.access })).body.results,
    ).toEqual([]);
  });

  it('with atomic=false and nothing valid, answers 201 with no events and every error', async () => {
    const user = await ctx.user('allbad');
    const res = await api.post('/api/events/batch?atomic=false', {
      token: user.access,
      body: [{}, { title: 'x', start_time: 'yesterday', end_time: 'today' }],
    });
    expect(res.status).toBe(201);
    expect(res.body.created_events).toEqual([]);
    expect(res.body.errors.map((e: { index: number }) => e.index)).toEqual([0, 1]);
    for (const error of res.body.errors)
      expect(error).toEqual(expect.objectContaining({ error: expect.any(String), details: expect.any(Array) }));
    expect(await countOf(user.access)).toBe(0);
  });

  it('atomic=false keeps input order in created_events and creates exactly those', async () => {
    const user = await ctx.user('order');
    const items: unknown[] = hourly(Date.UTC(2058, 3, 1), 8).reverse();
    items[3] = { title: 'bad tz', start_time: '2058-05-01T10:00:00Z', end_time: '2058-05-01T11:00:00Z', timezone: 'Nowhere/Never' };
    items[6] = null;
    const res = await api.post('/api/events/batch?atomic=false', { token: user.access, body: items });
    expect(res.status).toBe(201);
    expect(res.body.created_events.map((e: { title: string }) => e.title)).toEqual([
      'item 7',
      'item 6',
      'item 5',
      'item 3',
      'item 2',
      'item 0',
    ]);
    expect(res.body.errors.map((e: { index: number }) => e.index)).toEqual([3, 6]);
    const listed = await api.get('/api/events?page_size=100', { token: user.access });
    expect(listed.body.results.map((e: { id: number }) => e.id).sort()).toEqual(
      res.body.created_events.map((e: { id: number }) => e.id).sort(),
    );
  });

  it('refuses an atomic batch whose own items overlap with 409, the contract shape plus errors, and creates nothing', async () => {
    const user = await ctx.user('intra');
    const items = [
      { title: 'one', start_time: '2058-06-01T10:00:00Z', end_time: '2058-06-01T11:00:00Z' },
      { title: 'two', start_time: '2058-06-01T12:00:00Z', end_time: '2058-06-01T13:00:00Z' },
      { title: 'overlaps one', start_time: '2058-06-01T10:30:00Z', end_time: '2058-06-01T10:45:00Z' },
    ];
    const res = await api.post('/api/events/batch', { token: user.access, body: items });
    expect(res.status).toBe(409);
    expect(res.body).toEqual(
      expect.objectContaining({
        error: expect.any(String),
        code: 'EVENT_CONFLICT',
        errors: [expect.objectContaining({ index: 2, error: expect.any(String), code: 'EVENT_CONFLICT' })],
      }),
    );
    expect(await countOf(user.access)).toBe(0);
  });

  it('sees an overlap between a recurring item and a later one-off item of the same batch', async () => {
    const user = await ctx.user('intraseries');
    const items = [
      { title: 'daily', start_time: '2059-01-06T09:00:00Z', end_time: '2059-01-06T10:00:00Z', recurrence_pattern: 'daily' },
      { title: 'friday', start_time: '2059-01-10T09:30:00Z', end_time: '2059-01-10T10:30:00Z' },
      { title: 'friday later', start_time: '2059-01-10T10:30:00Z', end_time: '2059-01-10T11:30:00Z' },
    ];
    const res = await api.post('/api/events/batch?atomic=false', { token: user.access, body: items });
    expect(res.status).toBe(201);
    expect(res.body.created_events.map((e: { title: string }) => e.title)).toEqual(['daily', 'friday later']);
    expect(res.body.errors).toEqual([expect.objectContaining({ index: 1, code: 'EVENT_CONFLICT' })]);
  });

  it('refuses 10,001 valid items with 400 and creates none of them', async () => {
    const user = await ctx.user('toomany');
    const res = await api.post('/api/events/batch', { token: user.access, body: { events: hourly(Date.UTC(2060, 0, 1), 10_001) } });
    expect(res.status).toBe(400);
    expect(errorBody(res).code).toBe('VALIDATION_ERROR');
    expect(await countOf(user.access)).toBe(0);
  });

  it('refuses a bad atomic or on_conflict parameter with 400', async () => {
    const user = await ctx.user('params');
    for (const query of ['atomic=maybe', 'on_conflict=sometimes']) {
      const res = await api.post(`/api/events/batch?${query}`, { token: user.access, body: hourly(Date.UTC(2060, 6, 1), 1) });
      expect(res.status, query).toBe(400);
      expect(errorBody(res).code).toBe('VALIDATION_ERROR');
    }
    expect(await countOf(user.access)).toBe(0);
  });
});
