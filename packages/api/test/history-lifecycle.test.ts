import { describe, expect, it } from 'vitest';
import { type TestUser } from './support/http.ts';
import { expectStatus, historyHelpers, ref, RFC3339 } from './support/history.ts';
import { useTestServer } from './support/test-context.ts';

/** An event's whole life, and after its deletion, through every history endpoint. */
const ctx = useTestServer();
const { api } = ctx;
const { historyOf, changelogOf, diffOf, versionIds, update, threeVersions } = historyHelpers(api);

describe('the full life of an event', () => {
  it('follows create, updates, share, rollback and delete through history, changelog, diff and audit', async () => {
    const owner = await ctx.user('life');
    const editor = await ctx.user('lifeed');
    const viewer = await ctx.user('lifevi');
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
      body: {
        users: [
          { user_id: editor.id, role: 'EDITOR' },
          { user_id: viewer.id, role: 'VIEWER' },
        ],
      },
    });
    expect(shared.status).toBe(200);
    expect(await historyOf(owner, id)).toHaveLength(2);
    // v3: the editor changes the place and the description.
    expect((await update(editor, id, { location: 'Room 2', description: 'Weekly status and demos' }, { 'if-match': '"2"' })).version).toBe(
      3,
    );
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
        tags: [],
        metadata: {},
        reminders: [],
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
    expect(deletion.body).toMatchObject({
      history_type: '-',
      version: 6,
      title: 'Team sync (all hands)',
      location: 'Room 1',
      start_time: t.start1,
    });

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
          tags: { from: null, to: [] },
          metadata: { from: null, to: {} },
          reminders: { from: null, to: [] },
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
      (await api.get('/api/audit?page_size=100', { token: user.access })).body.results as Array<{
        action: string;
        target_type: string;
        target_id: string;
      }>;
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

describe('deleted events', () => {
  it('keep their history, readable by the owner only', async () => {
    const owner = await ctx.user('gone');
    const viewer = await ctx.user('watcher');
    const editor = await ctx.user('goneed');
    const { id, v1, v3 } = await threeVersions(owner);
    await ctx.share(owner, id, viewer, 'VIEWER');
    await ctx.share(owner, id, editor, 'EDITOR');
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
