import { describe, expect, it } from 'vitest';
import { expectStatus, historyHelpers, RFC3339 } from './support/history.ts';
import { useTestServer } from './support/test-context.ts';

/** GET /api/events/{id}/history/{version_id}: one version as a snapshot. */
const ctx = useTestServer();
const { api } = ctx;
const { historyOf, versionIds, update, threeVersions } = historyHelpers(api);

describe('history version', () => {
  it('returns one version as a full snapshot', async () => {
    const owner = await ctx.user('snap');
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
      tags: [],
      metadata: {},
      rrule: null,
      reminders: [],
      owner_id: owner.id,
    });
  });

  it('keeps the recurrence of each version in its snapshot', async () => {
    const owner = await ctx.user('snaprec');
    const event = await ctx.event(owner, {
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
    expect(await snap(v2!)).toMatchObject({
      version: 2,
      is_recurring: true,
      recurrence_pattern: 'FREQ=DAILY;COUNT=5',
      rrule: expect.stringContaining('FREQ=DAILY'),
    });
    expect(await snap(v3!)).toMatchObject({ version: 3, is_recurring: false, recurrence_pattern: null, rrule: null });
  });

  it('answers a version of another event with 404', async () => {
    const owner = await ctx.user('cross');
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
});
