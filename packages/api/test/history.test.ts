import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, shareWith } from './support/events.ts';
import { apiClient, errorBody, registerUser, type ApiClient, type ApiResponse, type TestUser } from './support/http.ts';
import { startTestServer, type TestServer } from './support/server.ts';

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
});
afterAll(() => server?.stop());

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
/** The fields history compares, and the ones it must never report. */
const CONTENT_FIELDS = ['title', 'description', 'start_time', 'end_time', 'location', 'timezone', 'is_recurring', 'recurrence_pattern'];
const NEVER_COMPARED = ['id', 'owner_id', 'version', 'rrule', 'created_at', 'updated_at', 'series_end', 'my_role'];

type HistoryEntry = {
  version_id: number;
  version: number;
  event_id: number;
  history_type: '+' | '~' | '-';
  history_date: string;
  changed_by: { id: number; username: string } | null;
  change_reason: string | null;
};
type ChangelogEntry = {
  history_id: number;
  version: number;
  history_date: string;
  history_type: '+' | '~' | '-';
  changed_by: { id: number; username: string } | null;
  change_reason: string | null;
  changed_fields: Record<string, { from: unknown; to: unknown }>;
};
type Op = { op: 'equal' | 'insert' | 'delete'; text: string };
type FieldDiff = { version_1: unknown; version_2: unknown; ops?: Op[] };

const ref = (user: TestUser) => ({ id: user.id, username: user.username });

async function historyOf(user: TestUser, id: number, query = ''): Promise<HistoryEntry[]> {
  const res = await api.get(`/api/events/${id}/history${query}`, { token: user.access });
  expect(res.status).toBe(200);
  return res.body;
}

async function changelogOf(user: TestUser, id: number, query = ''): Promise<ChangelogEntry[]> {
  const res = await api.get(`/api/events/${id}/changelog${query}`, { token: user.access });
  expect(res.status).toBe(200);
  return res.body;
}

async function diffOf(user: TestUser, id: number, a: number, b: number, query = ''): Promise<Record<string, FieldDiff>> {
  const res = await api.get(`/api/events/${id}/diff/${a}/${b}${query}`, { token: user.access });
  expect(res.status).toBe(200);
  return res.body;
}

/** version_ids oldest first (index 0 = version 1). */
async function versionIds(user: TestUser, id: number): Promise<number[]> {
  return (await historyOf(user, id)).map((h) => h.version_id).reverse();
}

async function update(user: TestUser, id: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await api.patch(`/api/events/${id}`, { token: user.access, body, headers });
  expect(res.status, res.text).toBe(200);
  return res.body.event as Record<string, unknown> & { version: number };
}

function expectStatus(res: ApiResponse, status: number, code: string) {
  expect(res.status, res.text).toBe(status);
  expect(errorBody(res).code).toBe(code);
}

/** An event with three versions: created, retitled, described. */
async function threeVersions(owner: TestUser) {
  const event = await createEvent(api, owner, { title: 'Quarterly planning', description: 'Discuss the budget' });
  await api.put(`/api/events/${event.id}`, { token: owner.access, body: { title: 'Quarterly planning meeting' } });
  await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { description: 'Discuss the revised budget and hiring' } });
  const history = await historyOf(owner, event.id);
  const [v3, v2, v1] = history;
  return { id: event.id, v1: v1!.version_id, v2: v2!.version_id, v3: v3!.version_id, event };
}

/** Rebuilds the two texts a list of word ops was made from. */
const rebuild = (ops: Op[], keep: 'delete' | 'insert') =>
  ops
    .filter((o) => o.op === 'equal' || o.op === keep)
    .map((o) => o.text)
    .join('');
const flip = (ops: Op[]) => ops.map((o) => ({ op: o.op === 'insert' ? 'delete' : o.op === 'delete' ? 'insert' : 'equal', text: o.text }));
/**
 * The ops of the swapped diff: inserts and deletes trade places. A replaced
 * word is always written delete-then-insert, so within a run of changes the
 * mirrored ops come back in that order.
 */
function mirror(ops: Op[]): Op[] {
  const out: Op[] = [];
  let run: Op[] = [];
  const flush = () => {
    out.push(...run.filter((o) => o.op === 'delete'), ...run.filter((o) => o.op === 'insert'));
    run = [];
  };
  for (const o of flip(ops) as Op[]) {
    if (o.op === 'equal') {
      flush();
      out.push(o);
    } else run.push(o);
  }
  flush();
  return out;
}

describe('the full life of an event', () => {
  it('follows create, updates, share, rollback and delete through history, changelog, diff and audit', async () => {
    const owner = await registerUser(api, 'life');
    const editor = await registerUser(api, 'lifeed');
    const viewer = await registerUser(api, 'lifevi');
    const t = {
      start1: '2061-03-01T09:00:00Z',
      end1: '2061-03-01T10:00:00Z',
      start2: '2061-03-01T11:00:00Z',
      end2: '2061-03-01T12:30:00Z',
    };

    // v1: created by the owner.
    const created = await api.post('/api/events', {
      token: owner.access,
      body: { title: 'Team sync', description: 'Weekly status', location: 'Room 1', start_time: t.start1, end_time: t.end1 },
    });
    expect(created.status).toBe(201);
    const id = created.body.event.id as number;
    // v2: the owner retitles it.
    expect((await update(owner, id, { title: 'Team sync (all hands)' })).version).toBe(2);
    // Sharing makes no version.
    const shared = await api.post(`/api/events/${id}/share`, {
      token: owner.access,
      body: { users: [{ user_id: editor.id, role: 'EDITOR' }, { user_id: viewer.id, role: 'VIEWER' }] },
    });
    expect(shared.status).toBe(200);
    expect(await historyOf(owner, id)).toHaveLength(2);
    // v3: the editor changes the place and the description.
    expect((await update(editor, id, { location: 'Room 2', description: 'Weekly status and demos' }, { 'if-match': '"2"' })).version).toBe(3);
    // v4: the owner moves it.
    expect((await update(owner, id, { start_time: t.start2, end_time: t.end2 })).version).toBe(4);
    // v5: the editor rolls back to version 2.
    const ids = await versionIds(owner, id);
    expect(ids).toHaveLength(4);
    const rolled = await api.post(`/api/events/${id}/rollback/${ids[1]}`, { token: editor.access });
    expect(rolled.status).toBe(200);
    expect(rolled.body).toEqual({
      message: 'Event rolled back successfully',
      event: {
        id,
        title: 'Team sync (all hands)',
        description: 'Weekly status',
        start_time: t.start1,
        end_time: t.end1,
        location: 'Room 1',
        timezone: 'UTC',
        is_recurring: false,
        recurrence_pattern: null,
        rrule: null,
        owner_id: owner.id,
        version: 5,
        my_role: 'EDITOR',
        created_at: created.body.event.created_at,
        updated_at: expect.stringMatching(RFC3339),
      },
    });
    const live = await api.get(`/api/events/${id}`, { token: owner.access });
    expect(live.headers.get('etag')).toBe('"5"');
    const { permissions: _permissions, my_role: _ownerRole, ...liveEvent } = live.body;
    const { my_role: _editorRole, ...rolledEvent } = rolled.body.event;
    expect(liveEvent).toEqual(rolledEvent);
    // v6: the owner deletes it.
    expect((await api.delete(`/api/events/${id}`, { token: owner.access })).status).toBe(200);
    expectStatus(await api.get(`/api/events/${id}`, { token: owner.access }), 404, 'NOT_FOUND');

    // History: newest first, one row per change, with who and why.
    const history = await historyOf(owner, id);
    expect(history.map((h) => [h.version, h.history_type, h.changed_by, h.change_reason])).toEqual([
      [6, '-', ref(owner), null],
      [5, '~', ref(editor), 'Rollback to version 2'],
      [4, '~', ref(owner), null],
      [3, '~', ref(editor), null],
      [2, '~', ref(owner), null],
      [1, '+', ref(owner), null],
    ]);
    for (const h of history) {
      expect(h.event_id).toBe(id);
      expect(h.history_date).toMatch(RFC3339);
    }
    const all = history.map((h) => h.version_id).reverse();
    expect(all.slice(0, 4)).toEqual(ids);
    for (let i = 1; i < all.length; i++) expect(all[i]).toBeGreaterThan(all[i - 1]!);
    const dates = history.map((h) => Date.parse(h.history_date)).reverse();
    for (let i = 1; i < dates.length; i++) expect(dates[i]).toBeGreaterThanOrEqual(dates[i - 1]!);

    // The deletion's snapshot keeps the last content.
    const deletion = await api.get(`/api/events/${id}/history/${all[5]}`, { token: owner.access });
    expect(deletion.status).toBe(200);
    expect(deletion.body).toMatchObject({ history_type: '-', version: 6, title: 'Team sync (all hands)', location: 'Room 1', start_time: t.start1 });

    // Changelog: oldest first, what changed in each version.
    const changelog = await changelogOf(owner, id);
    expect(changelog).toEqual([
      {
        history_id: all[0],
        version: 1,
        history_date: history[5]!.history_date,
        history_type: '+',
        changed_by: ref(owner),
        change_reason: null,
        changed_fields: {
          title: { from: null, to: 'Team sync' },
          description: { from: null, to: 'Weekly status' },
          start_time: { from: null, to: t.start1 },
          end_time: { from: null, to: t.end1 },
          location: { from: null, to: 'Room 1' },
          timezone: { from: null, to: 'UTC' },
          is_recurring: { from: null, to: false },
        },
      },
      {
        history_id: all[1],
        version: 2,
        history_date: history[4]!.history_date,
        history_type: '~',
        changed_by: ref(owner),
        change_reason: null,
        changed_fields: { title: { from: 'Team sync', to: 'Team sync (all hands)' } },
      },
      {
        history_id: all[2],
        version: 3,
        history_date: history[3]!.history_date,
        history_type: '~',
        changed_by: ref(editor),
        change_reason: null,
        changed_fields: {
          description: { from: 'Weekly status', to: 'Weekly status and demos' },
          location: { from: 'Room 1', to: 'Room 2' },
        },
      },
      {
        history_id: all[3],
        version: 4,
        history_date: history[2]!.history_date,
        history_type: '~',
        changed_by: ref(owner),
        change_reason: null,
        changed_fields: { start_time: { from: t.start1, to: t.start2 }, end_time: { from: t.end1, to: t.end2 } },
      },
      {
        history_id: all[4],
        version: 5,
        history_date: history[1]!.history_date,
        history_type: '~',
        changed_by: ref(editor),
        change_reason: 'Rollback to version 2',
        changed_fields: {
          description: { from: 'Weekly status and demos', to: 'Weekly status' },
          location: { from: 'Room 2', to: 'Room 1' },
          start_time: { from: t.start2, to: t.start1 },
          end_time: { from: t.end2, to: t.end1 },
        },
      },
      {
        history_id: all[5],
        version: 6,
        history_date: history[0]!.history_date,
        history_type: '-',
        changed_by: ref(owner),
        change_reason: null,
        changed_fields: {},
      },
    ]);

    // Diff between neighbours says what the changelog says (for every change but the deletion).
    for (let i = 1; i < 5; i++) {
      const diff = await diffOf(owner, id, all[i - 1]!, all[i]!);
      const expected = Object.fromEntries(
        Object.entries(changelog[i]!.changed_fields).map(([field, c]) => [field, { version_1: c.from, version_2: c.to }]),
      );
      expect(diff).toEqual(expected);
    }
    // The rollback equals its target; the deletion equals what it deleted.
    expect(await diffOf(owner, id, all[1]!, all[4]!)).toEqual({});
    expect(await diffOf(owner, id, all[4]!, all[5]!)).toEqual({});
    expect(await diffOf(owner, id, all[0]!, all[2]!)).toEqual({
      title: { version_1: 'Team sync', version_2: 'Team sync (all hands)' },
      description: { version_1: 'Weekly status', version_2: 'Weekly status and demos' },
      location: { version_1: 'Room 1', version_2: 'Room 2' },
    });

    // After the deletion only the owner still reads the history.
    for (const other of [editor, viewer]) {
      expectStatus(await api.get(`/api/events/${id}/history`, { token: other.access }), 404, 'NOT_FOUND');
      expectStatus(await api.get(`/api/events/${id}/changelog`, { token: other.access }), 404, 'NOT_FOUND');
      expectStatus(await api.get(`/api/events/${id}/history/${all[0]}`, { token: other.access }), 404, 'NOT_FOUND');
      expectStatus(await api.get(`/api/events/${id}/diff/${all[0]}/${all[1]}`, { token: other.access }), 404, 'NOT_FOUND');
    }

    // The audit trails of the two writers.
    const auditOf = async (user: TestUser) =>
      (await api.get('/api/audit?page_size=100', { token: user.access })).body.results as Array<{ action: string; target_type: string; target_id: string }>;
    const ownerTrail = (await auditOf(owner)).reverse();
    expect(ownerTrail.map((r) => r.action)).toEqual(['register', 'event.create', 'event.update', 'share', 'event.update', 'event.delete']);
    for (const row of ownerTrail.slice(1)) expect(row).toMatchObject({ target_type: 'event', target_id: String(id) });
    const editorTrail = (await auditOf(editor)).reverse();
    expect(editorTrail.map((r) => [r.action, r.target_id])).toEqual([
      ['register', String(editor.id)],
      ['event.update', String(id)],
      ['rollback', String(id)],
    ]);
    expect((await auditOf(viewer)).map((r) => r.action)).toEqual(['register']);
  });
});

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
    expect(res.body.map((h: HistoryEntry) => [h.version, h.history_type])).toEqual([
      [3, '~'],
      [2, '~'],
      [1, '+'],
    ]);
    const ids = res.body.map((h: HistoryEntry) => h.version_id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
  });

  it('makes no version for an update that changes nothing, nor for sharing', async () => {
    const owner = await registerUser(api, 'noop');
    const friend = await registerUser(api, 'noopf');
    const event = await createEvent(api, owner, { title: 'Same', description: 'Same words' });
    expect((await update(owner, event.id, { title: 'Same', description: 'Same words' })).version).toBe(1);
    await shareWith(api, owner, event.id, friend, 'VIEWER');
    await api.put(`/api/events/${event.id}/permissions/${friend.id}`, { token: owner.access, body: { role: 'EDITOR' } });
    const history = await historyOf(owner, event.id);
    expect(history.map((h) => [h.version, h.history_type])).toEqual([[1, '+']]);
  });

  it('pages with limit and cursor', async () => {
    const owner = await registerUser(api, 'pages');
    const { id, v1, v2, v3 } = await threeVersions(owner);
    const first = await api.get(`/api/events/${id}/history?limit=2`, { token: owner.access });
    expect(first.body.map((h: HistoryEntry) => h.version_id)).toEqual([v3, v2]);
    const rest = await api.get(`/api/events/${id}/history?limit=2&cursor=${v2}`, { token: owner.access });
    expect(rest.body.map((h: HistoryEntry) => h.version_id)).toEqual([v1]);
    const past = await api.get(`/api/events/${id}/history?limit=2&cursor=${v1}`, { token: owner.access });
    expect(past.status).toBe(200);
    expect(past.body).toEqual([]);
  });

  it('walks a long history page by page, and the changelog too', async () => {
    const owner = await registerUser(api, 'long');
    const event = await createEvent(api, owner, { title: 'Rev 1' });
    for (let i = 2; i <= 12; i++) await update(owner, event.id, { title: `Rev ${i}` });
    const full = await historyOf(owner, event.id);
    expect(full.map((h) => h.version)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);

    // History: newest first, 5 at a time.
    const pages: HistoryEntry[][] = [];
    let cursor: number | undefined;
    for (;;) {
      const page = await historyOf(owner, event.id, `?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      if (page.length === 0) break;
      pages.push(page);
      cursor = page.at(-1)!.version_id;
    }
    expect(pages.map((p) => p.map((h) => h.version))).toEqual([[12, 11, 10, 9, 8], [7, 6, 5, 4, 3], [2, 1]]);
    expect(pages.flat()).toEqual(full);

    // Changelog: oldest first, 5 at a time; each page continues where the last stopped.
    const changelog = await changelogOf(owner, event.id);
    expect(changelog).toHaveLength(12);
    const logPages: ChangelogEntry[][] = [];
    cursor = undefined;
    for (;;) {
      const page = await changelogOf(owner, event.id, `?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      if (page.length === 0) break;
      logPages.push(page);
      cursor = page.at(-1)!.history_id;
    }
    expect(logPages.map((p) => p.map((c) => c.version))).toEqual([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]);
    expect(logPages.flat()).toEqual(changelog);
    // The first entry of a later page is still measured against the version before it.
    expect(logPages[1]![0]!.changed_fields).toEqual({ title: { from: 'Rev 5', to: 'Rev 6' } });
    expect(logPages[2]![1]!.changed_fields).toEqual({ title: { from: 'Rev 11', to: 'Rev 12' } });
    expect(changelog[0]!.changed_fields['title']).toEqual({ from: null, to: 'Rev 1' });
    for (let i = 1; i < 12; i++) {
      expect(changelog[i]!.changed_fields).toEqual({ title: { from: `Rev ${i}`, to: `Rev ${i + 1}` } });
    }
    // limit=1 walks one at a time.
    expect((await changelogOf(owner, event.id, `?limit=1&cursor=${changelog[10]!.history_id}`)).map((c) => c.version)).toEqual([12]);
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

  it('keeps the recurrence of each version in its snapshot', async () => {
    const owner = await registerUser(api, 'snaprec');
    const event = await createEvent(api, owner, {
      title: 'Standup',
      location: 'Hall',
      timezone: 'Europe/Berlin',
      recurrence_pattern: { frequency: 'weekly', interval: 2 },
    });
    await update(owner, event.id, { recurrence_pattern: 'FREQ=DAILY;COUNT=5' });
    await update(owner, event.id, { is_recurring: false });
    const [v1, v2, v3] = await versionIds(owner, event.id);
    const snap = async (vid: number) => (await api.get(`/api/events/${event.id}/history/${vid}`, { token: owner.access })).body;
    expect(await snap(v1!)).toMatchObject({
      version: 1,
      timezone: 'Europe/Berlin',
      location: 'Hall',
      is_recurring: true,
      recurrence_pattern: { frequency: 'weekly', interval: 2 },
      rrule: expect.stringContaining('FREQ=WEEKLY'),
    });
    expect(await snap(v2!)).toMatchObject({ version: 2, is_recurring: true, recurrence_pattern: 'FREQ=DAILY;COUNT=5', rrule: expect.stringContaining('FREQ=DAILY') });
    expect(await snap(v3!)).toMatchObject({ version: 3, is_recurring: false, recurrence_pattern: null, rrule: null });
  });

  it('answers a version of another event with 404', async () => {
    const owner = await registerUser(api, 'cross');
    const a = await threeVersions(owner);
    const b = await threeVersions(owner);
    expectStatus(await api.get(`/api/events/${a.id}/history/${b.v1}`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${a.id}/diff/${a.v1}/${b.v2}`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${a.id}/diff/${b.v1}/${a.v2}`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${a.id}/diff/${b.v1}/${b.v2}`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.post(`/api/events/${a.id}/rollback/${b.v1}`, { token: owner.access }), 404, 'NOT_FOUND');
    // Nothing was written by the refused rollback.
    expect(await historyOf(owner, a.id)).toHaveLength(3);
    // The same ids under their own event work.
    expect((await api.get(`/api/events/${b.id}/history/${b.v1}`, { token: owner.access })).status).toBe(200);
  });

  it('answers unknown events and versions with 404', async () => {
    const owner = await registerUser(api, 'unknown');
    const { id, v1 } = await threeVersions(owner);
    const missing = 2_000_000_000;
    expectStatus(await api.get(`/api/events/${missing}/history`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${missing}/changelog`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${missing}/history/${v1}`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${id}/history/${missing}`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${id}/diff/${v1}/${missing}`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${id}/diff/${missing}/${v1}`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.post(`/api/events/${id}/rollback/${missing}`, { token: owner.access }), 404, 'NOT_FOUND');
  });

  it('names the missing version_id (not a version number) and where the ids are listed', async () => {
    const owner = await registerUser(api, 'versionid');
    const { id, v1 } = await threeVersions(owner);
    const missing = 2_000_000_000;
    for (const res of [
      await api.get(`/api/events/${id}/diff/${missing}/${v1}`, { token: owner.access }),
      await api.get(`/api/events/${id}/history/${missing}`, { token: owner.access }),
      await api.post(`/api/events/${id}/rollback/${missing}`, { token: owner.access }),
    ]) {
      expect(errorBody(res)).toEqual({
        error: `version_id ${missing} of event ${id} not found; the event's version_ids are listed by GET /api/events/${id}/history`,
        code: 'NOT_FOUND',
      });
    }
  });

  it('refuses non-numeric and out-of-range ids and parameters with 400', async () => {
    const owner = await registerUser(api, 'badids');
    const { id, v1, v2 } = await threeVersions(owner);
    const bad: Array<[string, string]> = [
      ['GET', '/api/events/abc/history'],
      ['GET', '/api/events/0/history'],
      ['GET', '/api/events/-3/history'],
      ['GET', '/api/events/1.5/history'],
      ['GET', `/api/events/${id}/history/abc`],
      ['GET', `/api/events/${id}/history/0`],
      ['GET', `/api/events/${id}/history/99999999999`],
      ['GET', '/api/events/abc/changelog'],
      ['GET', `/api/events/${id}/diff/abc/${v2}`],
      ['GET', `/api/events/${id}/diff/${v1}/abc`],
      ['GET', `/api/events/x/diff/${v1}/${v2}`],
      ['GET', `/api/events/${id}/diff/${v1}/-1`],
      ['POST', `/api/events/${id}/rollback/abc`],
      ['POST', `/api/events/abc/rollback/${v1}`],
      ['GET', `/api/events/${id}/history?limit=0`],
      ['GET', `/api/events/${id}/history?limit=1001`],
      ['GET', `/api/events/${id}/history?limit=many`],
      ['GET', `/api/events/${id}/history?cursor=abc`],
      ['GET', `/api/events/${id}/changelog?limit=-1`],
      ['GET', `/api/events/${id}/changelog?cursor=first`],
      ['GET', `/api/events/${id}/diff/${v1}/${v2}?detail=perhaps`],
      ['POST', `/api/events/${id}/rollback/${v1}?on_conflict=sometimes`],
    ];
    for (const [method, path] of bad) {
      const res = await api.call(method, path, { token: owner.access });
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(400);
      expect(errorBody(res).code).toBe('VALIDATION_ERROR');
    }
    // None of those wrote anything.
    expect(await historyOf(owner, id)).toHaveLength(3);
  });

  it('needs a token', async () => {
    const owner = await registerUser(api, 'anon');
    const { id, v1, v2 } = await threeVersions(owner);
    for (const [method, path] of [
      ['GET', `/api/events/${id}/history`],
      ['GET', `/api/events/${id}/history/${v1}`],
      ['GET', `/api/events/${id}/changelog`],
      ['GET', `/api/events/${id}/diff/${v1}/${v2}`],
      ['POST', `/api/events/${id}/rollback/${v1}`],
    ] as const) {
      expectStatus(await api.call(method, path), 401, 'UNAUTHORIZED');
    }
    expect(await historyOf(owner, id)).toHaveLength(3);
  });

  it('is readable by every role and by nobody else', async () => {
    const owner = await registerUser(api, 'readers');
    const editor = await registerUser(api, 'readed');
    const viewer = await registerUser(api, 'readvi');
    const stranger = await registerUser(api, 'stranger');
    const { id, v1, v3 } = await threeVersions(owner);
    await shareWith(api, owner, id, editor, 'EDITOR');
    await shareWith(api, owner, id, viewer, 'VIEWER');
    const ownerView = {
      history: (await api.get(`/api/events/${id}/history`, { token: owner.access })).body,
      changelog: (await api.get(`/api/events/${id}/changelog`, { token: owner.access })).body,
      snapshot: (await api.get(`/api/events/${id}/history/${v1}`, { token: owner.access })).body,
      diff: (await api.get(`/api/events/${id}/diff/${v1}/${v3}?detail=true`, { token: owner.access })).body,
    };
    for (const reader of [editor, viewer]) {
      const history = await api.get(`/api/events/${id}/history`, { token: reader.access });
      expect(history.status).toBe(200);
      expect(history.body).toEqual(ownerView.history);
      expect((await api.get(`/api/events/${id}/changelog`, { token: reader.access })).body).toEqual(ownerView.changelog);
      expect((await api.get(`/api/events/${id}/history/${v1}`, { token: reader.access })).body).toEqual(ownerView.snapshot);
      expect((await api.get(`/api/events/${id}/diff/${v1}/${v3}?detail=true`, { token: reader.access })).body).toEqual(ownerView.diff);
    }
    expectStatus(await api.get(`/api/events/${id}/history`, { token: stranger.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${id}/changelog`, { token: stranger.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${id}/history/${v1}`, { token: stranger.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${id}/diff/${v1}/${v3}`, { token: stranger.access }), 404, 'NOT_FOUND');
    expectStatus(await api.post(`/api/events/${id}/rollback/${v1}`, { token: stranger.access }), 404, 'NOT_FOUND');
    // A user who left loses access to the history too.
    expect((await api.delete(`/api/events/${id}/permissions/${viewer.id}`, { token: viewer.access })).status).toBe(200);
    expectStatus(await api.get(`/api/events/${id}/history`, { token: viewer.access }), 404, 'NOT_FOUND');
    expect(await historyOf(owner, id)).toHaveLength(3);
  });
});

describe('history under load and from batches', () => {
  it('numbers concurrent changes without gaps, and chains them in the changelog', async () => {
    const owner = await registerUser(api, 'concurrent');
    const editor = await registerUser(api, 'concured');
    const event = await createEvent(api, owner, { title: 'Start' });
    await shareWith(api, owner, event.id, editor, 'EDITOR');
    const writes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        api.patch(`/api/events/${event.id}`, { token: (i % 2 ? editor : owner).access, body: { title: `Concurrent ${i}` } }),
      ),
    );
    expect(writes.map((w) => w.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(writes.map((w) => w.body.event.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7]);
    const history = await historyOf(owner, event.id);
    expect(history.map((h) => h.version)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    const log = await changelogOf(owner, event.id);
    for (let i = 1; i < log.length; i++) {
      expect(log[i]!.changed_fields['title']!.from).toBe(log[i - 1]!.changed_fields['title']!.to);
    }
    const live = await api.get(`/api/events/${event.id}`, { token: owner.access });
    expect(live.body.title).toBe(log.at(-1)!.changed_fields['title']!.to);
    expect(live.body.version).toBe(7);
  });

  it('lets only one of two rollbacks with the same If-Match win', async () => {
    const owner = await registerUser(api, 'rollrace');
    const { id, v1, v2 } = await threeVersions(owner);
    const results = await Promise.all([
      api.post(`/api/events/${id}/rollback/${v1}`, { token: owner.access, headers: { 'if-match': '"3"' } }),
      api.post(`/api/events/${id}/rollback/${v2}`, { token: owner.access, headers: { 'if-match': '"3"' } }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
    const history = await historyOf(owner, id);
    expect(history.map((h) => h.version)).toEqual([4, 3, 2, 1]);
    const winner = results.find((r) => r.status === 200)!;
    expect(history[0]!.change_reason).toBe(`Rollback to version ${winner === results[0] ? 1 : 2}`);
  });

  it('records batch-created events like any other creation', async () => {
    const owner = await registerUser(api, 'histbatch');
    const batch = await api.post('/api/events/batch', {
      token: owner.access,
      body: {
        events: [
          { title: 'Batch one', start_time: '2066-01-01T09:00:00Z', end_time: '2066-01-01T10:00:00Z', location: 'Dock' },
          {
            title: 'Batch two',
            start_time: '2066-01-02T09:00:00Z',
            end_time: '2066-01-02T10:00:00Z',
            recurrence_pattern: { frequency: 'daily', count: 3 },
          },
        ],
      },
    });
    expect(batch.status).toBe(201);
    const [one, two] = batch.body.created_events as Array<{ id: number }>;
    const [entry] = await historyOf(owner, one!.id);
    expect(entry).toEqual({
      version_id: expect.any(Number),
      version: 1,
      event_id: one!.id,
      history_type: '+',
      history_date: expect.stringMatching(RFC3339),
      changed_by: ref(owner),
      change_reason: null,
    });
    const log = await changelogOf(owner, two!.id);
    expect(log[0]!.changed_fields).toEqual({
      title: { from: null, to: 'Batch two' },
      description: { from: null, to: '' },
      start_time: { from: null, to: '2066-01-02T09:00:00Z' },
      end_time: { from: null, to: '2066-01-02T10:00:00Z' },
      timezone: { from: null, to: 'UTC' },
      is_recurring: { from: null, to: true },
      recurrence_pattern: { from: null, to: { frequency: 'daily', count: 3 } },
    });
    // The batch snapshot compares equal to the same content written by an update.
    await update(owner, two!.id, { title: 'Batch two, renamed' });
    const [v1, v2] = await versionIds(owner, two!.id);
    expect(await diffOf(owner, two!.id, v1!, v2!)).toEqual({ title: { version_1: 'Batch two', version_2: 'Batch two, renamed' } });
    const back = await api.post(`/api/events/${two!.id}/rollback/${v1}`, { token: owner.access });
    expect(back.body.event).toMatchObject({ version: 3, title: 'Batch two', recurrence_pattern: { frequency: 'daily', count: 3 }, is_recurring: true });
    expect(back.body.event.rrule).toEqual(batch.body.created_events[1].rrule);
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
      {
        history_id: v2,
        version: 2,
        history_date: expect.stringMatching(RFC3339),
        history_type: '~',
        changed_by: { id: owner.id, username: owner.username },
        change_reason: null,
        changed_fields: { title: { from: 'Quarterly planning', to: 'Quarterly planning meeting' } },
      },
      {
        history_id: v3,
        version: 3,
        history_date: expect.stringMatching(RFC3339),
        history_type: '~',
        changed_by: { id: owner.id, username: owner.username },
        change_reason: null,
        changed_fields: { description: { from: 'Discuss the budget', to: 'Discuss the revised budget and hiring' } },
      },
    ]);
  });

  it('lists every set field of a creation, from null', async () => {
    const owner = await registerUser(api, 'logcreate');
    const created = await api.post('/api/events', {
      token: owner.access,
      body: {
        title: 'Retro',
        description: 'Look back',
        location: 'Loft',
        timezone: 'America/New_York',
        start_time: '2062-05-04T14:00:00Z',
        end_time: '2062-05-04T15:00:00Z',
        recurrence_pattern: 'monthly',
      },
    });
    expect(created.status).toBe(201);
    const [entry] = await changelogOf(owner, created.body.event.id);
    expect(entry!.changed_fields).toEqual({
      title: { from: null, to: 'Retro' },
      description: { from: null, to: 'Look back' },
      start_time: { from: null, to: '2062-05-04T14:00:00Z' },
      end_time: { from: null, to: '2062-05-04T15:00:00Z' },
      location: { from: null, to: 'Loft' },
      timezone: { from: null, to: 'America/New_York' },
      is_recurring: { from: null, to: true },
      recurrence_pattern: { from: null, to: 'monthly' },
    });
  });

  it('reports a field cleared back to null', async () => {
    const owner = await registerUser(api, 'logclear');
    const event = await createEvent(api, owner, { location: 'Annex', recurrence_pattern: 'daily' });
    await update(owner, event.id, { location: null, recurrence_pattern: null });
    const log = await changelogOf(owner, event.id);
    expect(log[1]!.changed_fields).toEqual({
      location: { from: 'Annex', to: null },
      is_recurring: { from: true, to: false },
      recurrence_pattern: { from: 'daily', to: null },
    });
  });

  it('never reports derived or bookkeeping fields', async () => {
    const owner = await registerUser(api, 'derived');
    const event = await createEvent(api, owner, { recurrence_pattern: 'daily' });
    await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { recurrence_pattern: 'weekly' } });
    const res = await api.get(`/api/events/${event.id}/changelog`, { token: owner.access });
    expect(res.body[1].changed_fields).toEqual({ recurrence_pattern: { from: 'daily', to: 'weekly' } });
    for (const entry of res.body as ChangelogEntry[]) {
      for (const field of NEVER_COMPARED) expect(entry.changed_fields).not.toHaveProperty(field);
      for (const field of Object.keys(entry.changed_fields)) expect(CONTENT_FIELDS).toContain(field);
    }
  });

  it('records a deletion as a version with no changed fields', async () => {
    const owner = await registerUser(api, 'logdel');
    const { id } = await threeVersions(owner);
    expect((await api.delete(`/api/events/${id}`, { token: owner.access })).status).toBe(200);
    const log = await changelogOf(owner, id);
    expect(log.map((c) => [c.version, c.history_type])).toEqual([
      [1, '+'],
      [2, '~'],
      [3, '~'],
      [4, '-'],
    ]);
    expect(log[3]).toEqual({
      history_id: expect.any(Number),
      version: 4,
      history_date: expect.stringMatching(RFC3339),
      history_type: '-',
      changed_by: { id: owner.id, username: owner.username },
      change_reason: null,
      changed_fields: {},
    });
  });
});

describe('diff', () => {
  it('shows only differing fields, mirrored when the order is swapped', async () => {
    const owner = await registerUser(api, 'diff');
    const { id, v1, v3 } = await threeVersions(owner);
    const forward = await diffOf(owner, id, v1, v3);
    expect(forward).toEqual({
      title: { version_1: 'Quarterly planning', version_2: 'Quarterly planning meeting' },
      description: { version_1: 'Discuss the budget', version_2: 'Discuss the revised budget and hiring' },
    });
    const backward = await diffOf(owner, id, v3, v1);
    expect(Object.keys(backward).sort()).toEqual(Object.keys(forward).sort());
    for (const [field, change] of Object.entries(forward)) {
      expect(backward[field]).toEqual({ version_1: change.version_2, version_2: change.version_1 });
    }
    expect(await diffOf(owner, id, v1, v1)).toEqual({});
    expect(await diffOf(owner, id, v3, v3, '?detail=true')).toEqual({});
  });

  it('compares every content field, and only those', async () => {
    const owner = await registerUser(api, 'difffields');
    const created = await api.post('/api/events', {
      token: owner.access,
      body: { title: 'Design review', description: 'Review the new design', start_time: '2063-01-10T10:00:00Z', end_time: '2063-01-10T11:00:00Z' },
    });
    const id = created.body.event.id as number;
    await update(owner, id, {
      title: 'Design review round two',
      location: 'Lab',
      timezone: 'Europe/Paris',
      start_time: '2063-01-11T08:30:00+01:00',
      end_time: '2063-01-11T09:45:00+01:00',
      recurrence_pattern: { frequency: 'weekly', interval: 2 },
    });
    const [v1, v2] = await versionIds(owner, id);
    const forward = await diffOf(owner, id, v1!, v2!);
    expect(forward).toEqual({
      title: { version_1: 'Design review', version_2: 'Design review round two' },
      start_time: { version_1: '2063-01-10T10:00:00Z', version_2: '2063-01-11T07:30:00Z' },
      end_time: { version_1: '2063-01-10T11:00:00Z', version_2: '2063-01-11T08:45:00Z' },
      location: { version_1: null, version_2: 'Lab' },
      timezone: { version_1: 'UTC', version_2: 'Europe/Paris' },
      is_recurring: { version_1: false, version_2: true },
      recurrence_pattern: { version_1: null, version_2: { frequency: 'weekly', interval: 2 } },
    });
    // The version, rrule, ids and timestamps changed too, but are never compared.
    for (const field of NEVER_COMPARED) expect(forward).not.toHaveProperty(field);
    const backward = await diffOf(owner, id, v2!, v1!);
    expect(backward).toEqual(
      Object.fromEntries(Object.entries(forward).map(([field, c]) => [field, { version_1: c.version_2, version_2: c.version_1 }])),
    );
  });

  it('treats a recurrence object with its keys in another order as unchanged', async () => {
    const owner = await registerUser(api, 'diffkeys');
    const event = await createEvent(api, owner, { title: 'Keys', recurrence_pattern: { frequency: 'weekly', interval: 2 } });
    // Re-ordered keys are the same pattern: no version at all...
    expect((await update(owner, event.id, { recurrence_pattern: { interval: 2, frequency: 'weekly' } })).version).toBe(1);
    // ...and beside a real change the pattern does not show in the diff.
    await update(owner, event.id, { recurrence_pattern: { interval: 2, frequency: 'weekly' }, title: 'Keys 2' });
    const [v1, v2] = await versionIds(owner, event.id);
    expect(Object.keys(await diffOf(owner, event.id, v1!, v2!))).toEqual(['title']);
    expect((await changelogOf(owner, event.id))[1]!.changed_fields).toEqual({ title: { from: 'Keys', to: 'Keys 2' } });
  });

  it('adds word-level ops with detail=true that rebuild both texts', async () => {
    const owner = await registerUser(api, 'words');
    const { id, v1, v3 } = await threeVersions(owner);
    const res = await diffOf(owner, id, v1, v3, '?detail=true');
    const ops = res['description']!.ops!;
    expect(rebuild(ops, 'delete')).toBe('Discuss the budget');
    expect(rebuild(ops, 'insert')).toBe('Discuss the revised budget and hiring');
    expect(ops).toContainEqual({ op: 'insert', text: expect.stringContaining('revised') });
    expect(ops.filter((o) => o.op === 'delete')).toEqual([]);
    for (const o of ops) expect(['equal', 'insert', 'delete']).toContain(o.op);
    // Neighbouring ops never share a kind.
    for (let i = 1; i < ops.length; i++) expect(ops[i]!.op).not.toBe(ops[i - 1]!.op);
    const swapped = await diffOf(owner, id, v3, v1, '?detail=true');
    expect(swapped['description']!.ops).toEqual(mirror(ops));
    expect(swapped['title']!.ops).toEqual(mirror(res['title']!.ops!));
    // The values themselves are the same as without detail.
    const plain = await diffOf(owner, id, v1, v3);
    const withoutOps = Object.fromEntries(Object.entries(res).map(([field, { ops: _ops, ...rest }]) => [field, rest]));
    expect(withoutOps).toEqual(plain);
    expect(await diffOf(owner, id, v1, v3, '?detail=false')).toEqual(plain);
  });

  it('gives ops for title, description and location only', async () => {
    const owner = await registerUser(api, 'opsfields');
    const event = await createEvent(api, owner, {
      title: 'Board meeting',
      description: 'Agenda: budget',
      start_time: '2064-02-02T09:00:00Z',
      end_time: '2064-02-02T10:00:00Z',
    });
    await update(owner, event.id, {
      title: 'Board offsite',
      description: 'Agenda: budget, hiring',
      location: 'Main office',
      start_time: '2064-02-03T09:00:00Z',
      end_time: '2064-02-03T10:00:00Z',
      timezone: 'Asia/Tokyo',
    });
    const [v1, v2] = await versionIds(owner, event.id);
    const detail = await diffOf(owner, event.id, v1!, v2!, '?detail=1');
    expect(Object.keys(detail).sort()).toEqual(['description', 'end_time', 'location', 'start_time', 'timezone', 'title']);
    expect(detail['location']).toEqual({ version_1: null, version_2: 'Main office', ops: [{ op: 'insert', text: 'Main office' }] });
    expect(detail['title']!.ops).toEqual([
      { op: 'equal', text: 'Board ' },
      { op: 'delete', text: 'meeting' },
      { op: 'insert', text: 'offsite' },
    ]);
    for (const field of ['title', 'description', 'location']) {
      const { version_1, version_2, ops } = detail[field]!;
      expect(rebuild(ops!, 'delete')).toBe(version_1 ?? '');
      expect(rebuild(ops!, 'insert')).toBe(version_2 ?? '');
    }
    for (const field of ['start_time', 'end_time', 'timezone']) expect(detail[field]).not.toHaveProperty('ops');
    const back = await diffOf(owner, event.id, v2!, v1!, '?detail=true');
    expect(back['location']).toEqual({ version_1: 'Main office', version_2: null, ops: [{ op: 'delete', text: 'Main office' }] });
    expect(back['title']!.ops).toEqual([
      { op: 'equal', text: 'Board ' },
      { op: 'delete', text: 'offsite' },
      { op: 'insert', text: 'meeting' },
    ]);
    for (const field of Object.keys(detail)) {
      expect(back[field]!.version_1).toEqual(detail[field]!.version_2);
      expect(back[field]!.version_2).toEqual(detail[field]!.version_1);
      if (detail[field]!.ops) expect(back[field]!.ops).toEqual(mirror(detail[field]!.ops!));
    }
  });
  it('word ops survive punctuation, newlines and runs of spaces', async () => {
    const owner = await registerUser(api, 'opstext');
    const before = 'Agenda:\n- budget  review.\n- hiring';
    const after = 'Agenda:\n- budget review!\n\n- hiring, onboarding';
    const event = await createEvent(api, owner, { description: before });
    await update(owner, event.id, { description: after });
    const [v1, v2] = await versionIds(owner, event.id);
    const forward = await diffOf(owner, event.id, v1!, v2!, '?detail=true');
    const ops = forward['description']!.ops!;
    expect(rebuild(ops, 'delete')).toBe(before);
    expect(rebuild(ops, 'insert')).toBe(after);
    expect(ops[0]).toEqual({ op: 'equal', text: expect.stringContaining('Agenda:') });
    const backward = await diffOf(owner, event.id, v2!, v1!, '?detail=true');
    expect(backward['description']!.ops).toEqual(mirror(ops));
    expect(rebuild(backward['description']!.ops!, 'delete')).toBe(after);
    expect(rebuild(backward['description']!.ops!, 'insert')).toBe(before);
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
      event: expect.objectContaining({ id, title: 'Quarterly planning', description: 'Discuss the budget', version: 4, my_role: 'OWNER' }),
    });
    const history = await historyOf(owner, id);
    expect(history).toHaveLength(4);
    expect(history[0]).toMatchObject({ version: 4, history_type: '~', change_reason: 'Rollback to version 1', changed_by: ref(owner) });
    expect(await diffOf(owner, id, v1, history[0]!.version_id)).toEqual({});
    expect(await diffOf(owner, id, v1, history[0]!.version_id, '?detail=true')).toEqual({});
    // Rolling back to what the event already is makes no new version.
    const again = await api.post(`/api/events/${id}/rollback/${v1}`, { token: owner.access });
    expect(again.status).toBe(200);
    expect(again.body.message).toBe('Event rolled back successfully');
    expect(again.body.event.version).toBe(4);
    const sameAsLatest = await api.post(`/api/events/${id}/rollback/${history[0]!.version_id}`, { token: owner.access });
    expect(sameAsLatest.body.event.version).toBe(4);
    expect(await historyOf(owner, id)).toHaveLength(4);
  });

  it('names the per-event version number in the reason, and can roll forward again', async () => {
    const owner = await registerUser(api, 'rollfwd');
    // Another event first, so version_ids and version numbers surely differ.
    await threeVersions(owner);
    const { id, v1, v2, v3 } = await threeVersions(owner);
    expect(v2).toBeGreaterThan(2);
    expect((await api.post(`/api/events/${id}/rollback/${v2}`, { token: owner.access })).body.event.version).toBe(4);
    expect((await api.post(`/api/events/${id}/rollback/${v3}`, { token: owner.access })).body.event).toMatchObject({
      version: 5,
      title: 'Quarterly planning meeting',
      description: 'Discuss the revised budget and hiring',
    });
    const [v4, v5] = (await versionIds(owner, id)).slice(3);
    expect((await api.post(`/api/events/${id}/rollback/${v4}`, { token: owner.access })).body.event.version).toBe(6);
    const history = await historyOf(owner, id);
    expect(history.map((h) => h.change_reason)).toEqual(['Rollback to version 4', 'Rollback to version 3', 'Rollback to version 2', null, null, null]);
    expect(await diffOf(owner, id, v2, history[0]!.version_id)).toEqual({});
    expect(await diffOf(owner, id, v3, v5!)).toEqual({});
    expect(await diffOf(owner, id, v1, history[0]!.version_id)).toEqual({
      title: { version_1: 'Quarterly planning', version_2: 'Quarterly planning meeting' },
    });
    // The changelog of a rollback lists what it changed back.
    const log = await changelogOf(owner, id);
    expect(log[3]).toMatchObject({
      change_reason: 'Rollback to version 2',
      changed_fields: { description: { from: 'Discuss the revised budget and hiring', to: 'Discuss the budget' } },
    });
  });

  it('restores the recurrence, its normalized rule and the times', async () => {
    const owner = await registerUser(api, 'rollrec');
    const event = await createEvent(api, owner, {
      title: 'Series',
      start_time: '2065-06-01T08:00:00Z',
      end_time: '2065-06-01T09:00:00Z',
      timezone: 'Europe/London',
      recurrence_pattern: { frequency: 'weekly', interval: 3 },
    });
    await update(owner, event.id, {
      recurrence_pattern: null,
      start_time: '2065-07-01T08:00:00Z',
      end_time: '2065-07-01T09:00:00Z',
      location: 'Somewhere',
      timezone: 'UTC',
    });
    const [v1] = await versionIds(owner, event.id);
    const res = await api.post(`/api/events/${event.id}/rollback/${v1}`, { token: owner.access });
    expect(res.status).toBe(200);
    const { version: _v, updated_at: _u, ...original } = event;
    const { version, updated_at: _u2, ...restored } = res.body.event;
    expect(version).toBe(3);
    expect(restored).toEqual(original);
    expect(restored.rrule).toEqual(expect.stringContaining('INTERVAL=3'));
    const occurrences = await api.get(`/api/events/${event.id}/occurrences?from=2065-06-01T00:00:00Z&to=2065-07-01T00:00:00Z`, { token: owner.access });
    expect(occurrences.body.map((o: { start_time: string }) => o.start_time)).toEqual(['2065-06-01T08:00:00Z', '2065-06-22T08:00:00Z']);
  });

  it('honours If-Match, the version field and the roles', async () => {
    const owner = await registerUser(api, 'rollrole');
    const editor = await registerUser(api, 'ed');
    const viewer = await registerUser(api, 'vi');
    const { id, v1, v2 } = await threeVersions(owner);
    await shareWith(api, owner, id, editor, 'EDITOR');
    await shareWith(api, owner, id, viewer, 'VIEWER');
    expectStatus(await api.post(`/api/events/${id}/rollback/${v1}`, { token: owner.access, headers: { 'if-match': '"2"' } }), 412, 'PRECONDITION_FAILED');
    expectStatus(await api.post(`/api/events/${id}/rollback/${v1}`, { token: owner.access, body: { version: 1 } }), 412, 'PRECONDITION_FAILED');
    expectStatus(await api.post(`/api/events/${id}/rollback/${v1}?version=7`, { token: owner.access }), 412, 'PRECONDITION_FAILED');
    expectStatus(await api.post(`/api/events/${id}/rollback/${v1}`, { token: viewer.access }), 403, 'FORBIDDEN');
    expectStatus(await api.post(`/api/events/${id}/rollback/${v1}`, { token: viewer.access, headers: { 'if-match': '"3"' } }), 403, 'FORBIDDEN');
    expect(await historyOf(owner, id)).toHaveLength(3);
    // The viewer still reads everything.
    expect((await api.get(`/api/events/${id}/history`, { token: viewer.access })).status).toBe(200);
    expect((await api.get(`/api/events/${id}/changelog`, { token: viewer.access })).status).toBe(200);
    expect((await api.get(`/api/events/${id}/diff/${v1}/${v2}`, { token: viewer.access })).status).toBe(200);
    const byEditor = await api.post(`/api/events/${id}/rollback/${v2}`, { token: editor.access, headers: { 'if-match': '"3"' } });
    expect(byEditor.status).toBe(200);
    expect(byEditor.body.event).toMatchObject({ version: 4, my_role: 'EDITOR', description: 'Discuss the budget' });
    const byBody = await api.post(`/api/events/${id}/rollback/${v1}`, { token: owner.access, body: { version: 4 } });
    expect(byBody.status).toBe(200);
    expect(byBody.body.event.version).toBe(5);
    const history = await historyOf(owner, id);
    expect(history.map((h) => [h.version, h.changed_by?.username, h.change_reason])).toEqual([
      [5, owner.username, 'Rollback to version 1'],
      [4, editor.username, 'Rollback to version 2'],
      [3, owner.username, null],
      [2, owner.username, null],
      [1, owner.username, null],
    ]);
  });

  it('accepts a weak If-Match tag and the wildcard', async () => {
    const owner = await registerUser(api, 'rolltags');
    const { id, v1, v2 } = await threeVersions(owner);
    const weak = await api.post(`/api/events/${id}/rollback/${v1}`, { token: owner.access, headers: { 'if-match': 'W/"3"' } });
    expect(weak.status).toBe(200);
    expect(weak.body.event.version).toBe(4);
    const any = await api.post(`/api/events/${id}/rollback/${v2}`, { token: owner.access, headers: { 'if-match': '*' } });
    expect(any.status).toBe(200);
    expect(any.body.event.version).toBe(5);
    expectStatus(await api.post(`/api/events/${id}/rollback/${v1}`, { token: owner.access, headers: { 'if-match': 'garbage' } }), 412, 'PRECONDITION_FAILED');
    expect(await historyOf(owner, id)).toHaveLength(5);
  });

  it('checks overlaps when rolling back to other times', async () => {
    const owner = await registerUser(api, 'rollclash');
    const event = await createEvent(api, owner, { start_time: '2050-01-01T10:00:00Z', end_time: '2050-01-01T11:00:00Z' });
    await api.put(`/api/events/${event.id}`, { token: owner.access, body: { start_time: '2050-01-02T10:00:00Z', end_time: '2050-01-02T11:00:00Z' } });
    const blocker = await createEvent(api, owner, { title: 'took the slot', start_time: '2050-01-01T10:30:00Z', end_time: '2050-01-01T11:30:00Z' });
    const [v1] = await versionIds(owner, event.id);
    const rejected = await api.post(`/api/events/${event.id}/rollback/${v1}`, { token: owner.access });
    expectStatus(rejected, 409, 'EVENT_CONFLICT');
    expect(rejected.body.conflicts).toEqual([
      { id: blocker.id, title: 'took the slot', start_time: '2050-01-01T10:30:00Z', end_time: '2050-01-01T11:30:00Z' },
    ]);
    expect(await historyOf(owner, event.id)).toHaveLength(2);
    const allowed = await api.post(`/api/events/${event.id}/rollback/${v1}?on_conflict=allow`, { token: owner.access });
    expect(allowed.status).toBe(200);
    expect(allowed.body).toEqual({
      message: 'Event rolled back successfully',
      event: expect.objectContaining({ version: 3, start_time: '2050-01-01T10:00:00Z' }),
      conflicts: [{ id: blocker.id, title: 'took the slot', start_time: '2050-01-01T10:30:00Z', end_time: '2050-01-01T11:30:00Z' }],
    });
  });
});

describe('deleted events', () => {
  it('keep their history, readable by the owner only', async () => {
    const owner = await registerUser(api, 'gone');
    const viewer = await registerUser(api, 'watcher');
    const editor = await registerUser(api, 'goneed');
    const { id, v1, v3 } = await threeVersions(owner);
    await shareWith(api, owner, id, viewer, 'VIEWER');
    await shareWith(api, owner, id, editor, 'EDITOR');
    const before = await historyOf(owner, id);
    expect((await api.delete(`/api/events/${id}`, { token: owner.access })).status).toBe(200);
    expectStatus(await api.get(`/api/events/${id}`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${id}`, { token: viewer.access }), 404, 'NOT_FOUND');

    const history = await historyOf(owner, id);
    expect(history).toHaveLength(4);
    expect(history[0]).toEqual({
      version_id: expect.any(Number),
      version: 4,
      event_id: id,
      history_type: '-',
      history_date: expect.stringMatching(RFC3339),
      changed_by: ref(owner),
      change_reason: null,
    });
    expect(history.slice(1)).toEqual(before);
    expect((await changelogOf(owner, id)).at(-1)!.changed_fields).toEqual({});
    expect(await diffOf(owner, id, v3, history[0]!.version_id)).toEqual({});
    expect(Object.keys(await diffOf(owner, id, v1, history[0]!.version_id)).sort()).toEqual(['description', 'title']);
    const snapshot = await api.get(`/api/events/${id}/history/${v1}`, { token: owner.access });
    expect(snapshot.status).toBe(200);
    expect(snapshot.body.title).toBe('Quarterly planning');

    for (const other of [viewer, editor]) {
      expectStatus(await api.get(`/api/events/${id}/history`, { token: other.access }), 404, 'NOT_FOUND');
      expectStatus(await api.get(`/api/events/${id}/changelog`, { token: other.access }), 404, 'NOT_FOUND');
      expectStatus(await api.get(`/api/events/${id}/history/${v1}`, { token: other.access }), 404, 'NOT_FOUND');
      expectStatus(await api.get(`/api/events/${id}/diff/${v1}/${v3}`, { token: other.access }), 404, 'NOT_FOUND');
      expectStatus(await api.post(`/api/events/${id}/rollback/${v1}`, { token: other.access }), 404, 'NOT_FOUND');
    }
    // A deleted event cannot be rolled back (nor changed) by anyone.
    expectStatus(await api.post(`/api/events/${id}/rollback/${v1}`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.patch(`/api/events/${id}`, { token: owner.access, body: { title: 'back?' } }), 404, 'NOT_FOUND');
    expectStatus(await api.delete(`/api/events/${id}`, { token: owner.access }), 404, 'NOT_FOUND');
    expect(await historyOf(owner, id)).toHaveLength(4);
  });
});
