import { describe, expect, it } from 'vitest';
import { type ChangelogEntry, CONTENT_FIELDS, historyHelpers, NEVER_COMPARED, RFC3339 } from './support/history.ts';
import { useTestServer } from './support/test-context.ts';

/** GET /api/events/{id}/changelog: what changed in each version. */
const ctx = useTestServer();
const { api } = ctx;
const { changelogOf, update, threeVersions } = historyHelpers(api);

describe('changelog', () => {
  it('lists what changed in each version, oldest first', async () => {
    const owner = await ctx.user('log');
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
          tags: { from: null, to: [] },
          metadata: { from: null, to: {} },
          reminders: { from: null, to: [] },
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
    const owner = await ctx.user('logcreate');
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
      tags: { from: null, to: [] },
      metadata: { from: null, to: {} },
      reminders: { from: null, to: [] },
    });
  });

  it('reports a field cleared back to null', async () => {
    const owner = await ctx.user('logclear');
    const event = await ctx.event(owner, { location: 'Annex', recurrence_pattern: 'daily' });
    await update(owner, event.id, { location: null, recurrence_pattern: null });
    const log = await changelogOf(owner, event.id);
    expect(log[1]!.changed_fields).toEqual({
      location: { from: 'Annex', to: null },
      is_recurring: { from: true, to: false },
      recurrence_pattern: { from: 'daily', to: null },
    });
  });

  it('never reports derived or bookkeeping fields', async () => {
    const owner = await ctx.user('derived');
    const event = await ctx.event(owner, { recurrence_pattern: 'daily' });
    await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { recurrence_pattern: 'weekly' } });
    const res = await api.get(`/api/events/${event.id}/changelog`, { token: owner.access });
    expect(res.body[1].changed_fields).toEqual({ recurrence_pattern: { from: 'daily', to: 'weekly' } });
    for (const entry of res.body as ChangelogEntry[]) {
      for (const field of NEVER_COMPARED) expect(entry.changed_fields).not.toHaveProperty(field);
      for (const field of Object.keys(entry.changed_fields)) expect(CONTENT_FIELDS).toContain(field);
    }
  });

  it('records a deletion as a version with no changed fields', async () => {
    const owner = await ctx.user('logdel');
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
