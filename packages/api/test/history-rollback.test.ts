import { describe, expect, it } from 'vitest';
import { expectStatus, historyHelpers, ref } from './support/history.ts';
import { useTestServer } from './support/test-context.ts';

/** POST /api/events/{id}/rollback/{version_id}: a new version equal to an old one. */
const ctx = useTestServer();
const { api } = ctx;
const { historyOf, changelogOf, diffOf, versionIds, update, threeVersions } = historyHelpers(api);

describe('rollback', () => {
  it('creates a new version equal to the chosen one, with a reason, and diffs to nothing', async () => {
    const owner = await ctx.user('roll');
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
    const owner = await ctx.user('rollfwd');
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
    expect(history.map((h) => h.change_reason)).toEqual([
      'Rollback to version 4',
      'Rollback to version 3',
      'Rollback to version 2',
      null,
      null,
      null,
    ]);
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
    const owner = await ctx.user('rollrec');
    const event = await ctx.event(owner, {
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
    const occurrences = await api.get(`/api/events/${event.id}/occurrences?from=2065-06-01T00:00:00Z&to=2065-07-01T00:00:00Z`, {
      token: owner.access,
    });
    expect(occurrences.body.map((o: { start_time: string }) => o.start_time)).toEqual(['2065-06-01T08:00:00Z', '2065-06-22T08:00:00Z']);
  });

  it('honours If-Match, the version field and the roles', async () => {
    const owner = await ctx.user('rollrole');
    const editor = await ctx.user('ed');
    const viewer = await ctx.user('vi');
    const { id, v1, v2 } = await threeVersions(owner);
    await ctx.share(owner, id, editor, 'EDITOR');
    await ctx.share(owner, id, viewer, 'VIEWER');
    expectStatus(
      await api.post(`/api/events/${id}/rollback/${v1}`, { token: owner.access, headers: { 'if-match': '"2"' } }),
      412,
      'PRECONDITION_FAILED',
    );
    expectStatus(
      await api.post(`/api/events/${id}/rollback/${v1}`, { token: owner.access, body: { version: 1 } }),
      412,
      'PRECONDITION_FAILED',
    );
    expectStatus(await api.post(`/api/events/${id}/rollback/${v1}?version=7`, { token: owner.access }), 412, 'PRECONDITION_FAILED');
    expectStatus(await api.post(`/api/events/${id}/rollback/${v1}`, { token: viewer.access }), 403, 'FORBIDDEN');
    expectStatus(
      await api.post(`/api/events/${id}/rollback/${v1}`, { token: viewer.access, headers: { 'if-match': '"3"' } }),
      403,
      'FORBIDDEN',
    );
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
    const owner = await ctx.user('rolltags');
    const { id, v1, v2 } = await threeVersions(owner);
    const weak = await api.post(`/api/events/${id}/rollback/${v1}`, { token: owner.access, headers: { 'if-match': 'W/"3"' } });
    expect(weak.status).toBe(200);
    expect(weak.body.event.version).toBe(4);
    const any = await api.post(`/api/events/${id}/rollback/${v2}`, { token: owner.access, headers: { 'if-match': '*' } });
    expect(any.status).toBe(200);
    expect(any.body.event.version).toBe(5);
    expectStatus(
      await api.post(`/api/events/${id}/rollback/${v1}`, { token: owner.access, headers: { 'if-match': 'garbage' } }),
      412,
      'PRECONDITION_FAILED',
    );
    expect(await historyOf(owner, id)).toHaveLength(5);
  });

  it('checks overlaps when rolling back to other times', async () => {
    const owner = await ctx.user('rollclash');
    const event = await ctx.event(owner, { start_time: '2050-01-01T10:00:00Z', end_time: '2050-01-01T11:00:00Z' });
    await api.put(`/api/events/${event.id}`, {
      token: owner.access,
      body: { start_time: '2050-01-02T10:00:00Z', end_time: '2050-01-02T11:00:00Z' },
    });
    const blocker = await ctx.event(owner, {
      title: 'took the slot',
      start_time: '2050-01-01T10:30:00Z',
      end_time: '2050-01-01T11:30:00Z',
    });
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

describe('rollback under load', () => {
  it('lets only one of two rollbacks with the same If-Match win', async () => {
    const owner = await ctx.user('rollrace');
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
});
