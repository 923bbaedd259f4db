import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, shareWith } from './support/events.ts';
import { apiClient, errorBody, registerUser, type ApiClient, type TestUser } from './support/http.ts';
import { startTestServer, type TestServer } from './support/server.ts';

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
});
afterAll(() => server?.stop());

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** An event with three versions: created, retitled, described. */
async function threeVersions(owner: TestUser) {
  const event = await createEvent(api, owner, { title: 'Quarterly planning', description: 'Discuss the budget' });
  await api.put(`/api/events/${event.id}`, { token: owner.access, body: { title: 'Quarterly planning meeting' } });
  await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { description: 'Discuss the revised budget and hiring' } });
  const history = await api.get(`/api/events/${event.id}/history`, { token: owner.access });
  const [v3, v2, v1] = history.body as Array<{ version_id: number }>;
  return { id: event.id, v1: v1!.version_id, v2: v2!.version_id, v3: v3!.version_id, event };
}

describe('history', () => {
  it('lists versions newest first with attribution', async () => {
    const owner = await registerUser(api, 'hist');
    const { id } = await threeVersions(owner);
    const res = await api.get(`/api/events/${id}/history`, { token: owner.access });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(3);
    expect(res.body[0]).toEqual({
      version_id: expect.any(Number),
      version: 3,
      event_id: id,
      history_type: '~',
      history_date: expect.stringMatching(RFC3339),
      changed_by: { id: owner.id, username: owner.username },
      change_reason: null,
    });
    expect(res.body.map((h: { version: number; history_type: string }) => [h.version, h.history_type])).toEqual([
      [3, '~'],
      [2, '~'],
      [1, '+'],
    ]);
    const ids = res.body.map((h: { version_id: number }) => h.version_id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
  });

  it('pages with limit and cursor', async () => {
    const owner = await registerUser(api, 'pages');
    const { id, v1, v2, v3 } = await threeVersions(owner);
    const first = await api.get(`/api/events/${id}/history?limit=2`, { token: owner.access });
    expect(first.body.map((h: { version_id: number }) => h.version_id)).toEqual([v3, v2]);
    const rest = await api.get(`/api/events/${id}/history?limit=2&cursor=${v2}`, { token: owner.access });
    expect(rest.body.map((h: { version_id: number }) => h.version_id)).toEqual([v1]);
  });

  it('returns one version as a full snapshot', async () => {
    const owner = await registerUser(api, 'snap');
    const { id, v1, event } = await threeVersions(owner);
    const res = await api.get(`/api/events/${id}/history/${v1}`, { token: owner.access });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id,
      event_id: id,
      version_id: v1,
      version: 1,
      history_type: '+',
      history_date: expect.stringMatching(RFC3339),
      changed_by: { id: owner.id, username: owner.username },
      change_reason: null,
      title: 'Quarterly planning',
      description: 'Discuss the budget',
      start_time: event['start_time'],
      end_time: event['end_time'],
      location: null,
      timezone: 'UTC',
      is_recurring: false,
      recurrence_pattern: null,
      rrule: null,
      owner_id: owner.id,
    });
  });

  it('answers a version of another event with 404', async () => {
    const owner = await registerUser(api, 'cross');
    const a = await threeVersions(owner);
    const b = await threeVersions(owner);
    expect((await api.get(`/api/events/${a.id}/history/${b.v1}`, { token: owner.access })).status).toBe(404);
    expect((await api.get(`/api/events/${a.id}/diff/${a.v1}/${b.v2}`, { token: owner.access })).status).toBe(404);
    expect((await api.post(`/api/events/${a.id}/rollback/${b.v1}`, { token: owner.access })).status).toBe(404);
  });
});

describe('changelog', () => {
  it('lists what changed in each version, oldest first', async () => {
    const owner = await registerUser(api, 'log');
    const { id, v1, v2, v3, event } = await threeVersions(owner);
    const res = await api.get(`/api/events/${id}/changelog`, { token: owner.access });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      {
        history_id: v1,
        version: 1,
        history_date: expect.stringMatching(RFC3339),
        history_type: '+',
        changed_by: { id: owner.id, username: owner.username },
        change_reason: null,
        changed_fields: {
          title: { from: null, to: 'Quarterly planning' },
          description: { from: null, to: 'Discuss the budget' },
          start_time: { from: null, to: event['start_time'] },
          end_time: { from: null, to: event['end_time'] },
          timezone: { from: null, to: 'UTC' },
          is_recurring: { from: null, to: false },
        },
      },
      expect.objectContaining({ history_id: v2, version: 2, changed_fields: { title: { from: 'Quarterly planning', to: 'Quarterly planning meeting' } } }),
      expect.objectContaining({
        history_id: v3,
        version: 3,
        changed_fields: { description: { from: 'Discuss the budget', to: 'Discuss the revised budget and hiring' } },
      }),
    ]);
  });

  it('never reports derived or bookkeeping fields', async () => {
    const owner = await registerUser(api, 'derived');
    const event = await createEvent(api, owner, { recurrence_pattern: 'daily' });
    await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { recurrence_pattern: 'weekly' } });
    const res = await api.get(`/api/events/${event.id}/changelog`, { token: owner.access });
    expect(res.body[1].changed_fields).toEqual({ recurrence_pattern: { from: 'daily', to: 'weekly' } });
    for (const entry of res.body) {
      for (const field of ['id', 'owner_id', 'version', 'rrule', 'created_at', 'updated_at']) {
        expect(entry.changed_fields).not.toHaveProperty(field);
      }
    }
  });
});

describe('diff', () => {
  it('shows only differing fields, mirrored when the order is swapped', async () => {
    const owner = await registerUser(api, 'diff');
    const { id, v1, v3 } = await threeVersions(owner);
    const forward = await api.get(`/api/events/${id}/diff/${v1}/${v3}`, { token: owner.access });
    expect(forward.status).toBe(200);
    expect(forward.body).toEqual({
      title: { version_1: 'Quarterly planning', version_2: 'Quarterly planning meeting' },
      description: { version_1: 'Discuss the budget', version_2: 'Discuss the revised budget and hiring' },
    });
    const backward = await api.get(`/api/events/${id}/diff/${v3}/${v1}`, { token: owner.access });
    for (const [field, change] of Object.entries(forward.body as Record<string, { version_1: unknown; version_2: unknown }>)) {
      expect(backward.body[field]).toEqual({ version_1: change.version_2, version_2: change.version_1 });
    }
    expect((await api.get(`/api/events/${id}/diff/${v1}/${v1}`, { token: owner.access })).body).toEqual({});
  });

  it('adds word-level ops with detail=true that rebuild both texts', async () => {
    const owner = await registerUser(api, 'words');
    const { id, v1, v3 } = await threeVersions(owner);
    const res = await api.get(`/api/events/${id}/diff/${v1}/${v3}?detail=true`, { token: owner.access });
    const ops = res.body.description.ops as Array<{ op: string; text: string }>;
    const rebuild = (keep: string) => ops.filter((o) => o.op === 'equal' || o.op === keep).map((o) => o.text).join('');
    expect(rebuild('delete')).toBe('Discuss the budget');
    expect(rebuild('insert')).toBe('Discuss the revised budget and hiring');
    expect(ops).toContainEqual({ op: 'insert', text: expect.stringContaining('revised') });
    const swapped = await api.get(`/api/events/${id}/diff/${v3}/${v1}?detail=true`, { token: owner.access });
    const flip = { insert: 'delete', delete: 'insert', equal: 'equal' } as Record<string, string>;
    expect(swapped.body.description.ops).toEqual(ops.map((o) => ({ op: flip[o.op], text: o.text })));
  });
});

describe('rollback', () => {
  it('creates a new version equal to the chosen one, with a reason, and diffs to nothing', async () => {
    const owner = await registerUser(api, 'roll');
    const { id, v1 } = await threeVersions(owner);
    const res = await api.post(`/api/events/${id}/rollback/${v1}`, { token: owner.access });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      message: 'Event rolled back successfully',
      event: expect.objectContaining({ id, title: 'Quarterly planning', description: 'Discuss the budget', version: 4 }),
    });
    const history = await api.get(`/api/events/${id}/history`, { token: owner.access });
    expect(history.body).toHaveLength(4);
    expect(history.body[0]).toMatchObject({ version: 4, history_type: '~', change_reason: 'Rollback to version 1' });
    const diff = await api.get(`/api/events/${id}/diff/${v1}/${history.body[0].version_id}`, { token: owner.access });
    expect(diff.body).toEqual({});
    const again = await api.post(`/api/events/${id}/rollback/${v1}`, { token: owner.access });
    expect(again.body.event.version).toBe(4);
  });

  it('honours If-Match and the roles', async () => {
    const owner = await registerUser(api, 'rollrole');
    const editor = await registerUser(api, 'ed');
    const viewer = await registerUser(api, 'vi');
    const { id, v1, v2 } = await threeVersions(owner);
    await shareWith(api, owner, id, editor, 'EDITOR');
    await shareWith(api, owner, id, viewer, 'VIEWER');
    const stale = await api.post(`/api/events/${id}/rollback/${v1}`, { token: owner.access, headers: { 'if-match': '"2"' } });
    expect(stale.status).toBe(412);
    expect(errorBody(stale).code).toBe('PRECONDITION_FAILED');
    expect((await api.post(`/api/events/${id}/rollback/${v1}`, { token: viewer.access })).status).toBe(403);
    expect((await api.get(`/api/events/${id}/history`, { token: viewer.access })).status).toBe(200);
    const byEditor = await api.post(`/api/events/${id}/rollback/${v2}`, { token: editor.access, headers: { 'if-match': '"3"' } });
    expect(byEditor.status).toBe(200);
    const history = await api.get(`/api/events/${id}/history`, { token: owner.access });
    expect(history.body[0].changed_by).toEqual({ id: editor.id, username: editor.username });
  });

  it('checks overlaps when rolling back to other times', async () => {
    const owner = await registerUser(api, 'rollclash');
    const event = await createEvent(api, owner, { start_time: '2050-01-01T10:00:00Z', end_time: '2050-01-01T11:00:00Z' });
    await api.put(`/api/events/${event.id}`, { token: owner.access, body: { start_time: '2050-01-02T10:00:00Z', end_time: '2050-01-02T11:00:00Z' } });
    await createEvent(api, owner, { title: 'took the slot', start_time: '2050-01-01T10:30:00Z', end_time: '2050-01-01T11:30:00Z' });
    const v1 = (await api.get(`/api/events/${event.id}/history`, { token: owner.access })).body.at(-1).version_id;
    const rejected = await api.post(`/api/events/${event.id}/rollback/${v1}`, { token: owner.access });
    expect(rejected.status).toBe(409);
    expect(errorBody(rejected).code).toBe('EVENT_CONFLICT');
    const allowed = await api.post(`/api/events/${event.id}/rollback/${v1}?on_conflict=allow`, { token: owner.access });
    expect(allowed.status).toBe(200);
    expect(allowed.body.conflicts).toHaveLength(1);
  });
});

describe('deleted events', () => {
  it('keep their history, readable by the owner only', async () => {
    const owner = await registerUser(api, 'gone');
    const viewer = await registerUser(api, 'watcher');
    const { id, v1 } = await threeVersions(owner);
    await shareWith(api, owner, id, viewer, 'VIEWER');
    expect((await api.delete(`/api/events/${id}`, { token: owner.access })).status).toBe(200);
    const history = await api.get(`/api/events/${id}/history`, { token: owner.access });
    expect(history.status).toBe(200);
    expect(history.body[0]).toMatchObject({ history_type: '-', version: 4 });
    expect((await api.get(`/api/events/${id}/changelog`, { token: owner.access })).body.at(-1).changed_fields).toEqual({});
    expect((await api.get(`/api/events/${id}/diff/${v1}/${history.body[0].version_id}`, { token: owner.access })).status).toBe(200);
    expect((await api.get(`/api/events/${id}/history`, { token: viewer.access })).status).toBe(404);
    expect((await api.post(`/api/events/${id}/rollback/${v1}`, { token: owner.access })).status).toBe(404);
  });
});
