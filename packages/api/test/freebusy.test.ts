import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import type { AppRouter } from '../src/index.ts';
import { errorBody, type TestUser } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();

/** Creates an event, overlaps with the owner's other events allowed. */
async function event(owner: TestUser, fields: Record<string, unknown>) {
  const res = await ctx.api.post('/api/events?on_conflict=allow', { token: owner.access, body: { title: 'Private matter', ...fields } });
  expect(res.status, res.text).toBe(201);
  return res.body.event as { id: number };
}

const busyOf = async (caller: TestUser, body: Record<string, unknown>) => ctx.api.post('/api/freebusy', { token: caller.access, body });
const suggest = async (caller: TestUser, body: Record<string, unknown>) =>
  ctx.api.post('/api/freebusy/suggest', { token: caller.access, body });

describe('POST /api/freebusy', () => {
  it('merges overlapping and touching events, clips to the window and ignores zero-length and deleted events', async () => {
    const ada = await ctx.user('fb_merge');
    await event(ada, { start_time: '2026-05-04T10:00:00Z', end_time: '2026-05-04T11:00:00Z' });
    await event(ada, { start_time: '2026-05-04T10:30:00Z', end_time: '2026-05-04T11:30:00Z' });
    await event(ada, { start_time: '2026-05-04T11:30:00Z', end_time: '2026-05-04T12:00:00Z' }); // touches the one before
    await event(ada, { start_time: '2026-05-04T14:00:00Z', end_time: '2026-05-04T15:00:00Z' });
    await event(ada, { start_time: '2026-05-04T16:00:00Z', end_time: '2026-05-04T16:00:00Z' }); // zero length
    await event(ada, { start_time: '2026-05-03T23:00:00Z', end_time: '2026-05-04T01:00:00Z' }); // starts before the window
    await event(ada, { start_time: '2026-05-05T23:30:00Z', end_time: '2026-05-06T02:00:00Z' }); // ends after it
    await event(ada, { start_time: '2026-05-07T09:00:00Z', end_time: '2026-05-07T10:00:00Z' }); // outside
    const deleted = await event(ada, { start_time: '2026-05-05T09:00:00Z', end_time: '2026-05-05T10:00:00Z' });
    expect((await ctx.api.delete(`/api/events/${deleted.id}`, { token: ada.access })).status).toBe(200);

    const res = await busyOf(ada, { users: [ada.id], start: '2026-05-04T00:00:00Z', end: '2026-05-06T00:00:00Z' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      users: {
        [ada.id]: {
          busy: [
            { start: '2026-05-04T00:00:00Z', end: '2026-05-04T01:00:00Z' },
            { start: '2026-05-04T10:00:00Z', end: '2026-05-04T12:00:00Z' },
            { start: '2026-05-04T14:00:00Z', end: '2026-05-04T15:00:00Z' },
            { start: '2026-05-05T23:30:00Z', end: '2026-05-06T00:00:00Z' },
          ],
        },
      },
    });
    // Nothing but times: no titles, ids or other details.
    expect(res.text).not.toContain('Private matter');
    expect(Object.keys(res.body.users[ada.id])).toEqual(['busy']);
    for (const span of res.body.users[ada.id].busy) expect(Object.keys(span).sort()).toEqual(['end', 'start']);
  });

  it('expands weekly Europe/Berlin meetings at their local time across the spring and autumn changes', async () => {
    const ada = await ctx.user('fb_dst');
    await event(ada, {
      start_time: '2026-03-23 09:00',
      end_time: '2026-03-23 10:00',
      timezone: 'Europe/Berlin',
      recurrence_pattern: 'weekly',
    });
    // Named by username, in another case: usernames are matched as registration compares them.
    const res = await busyOf(ada, { users: [ada.username.toUpperCase()], start: '2026-03-20T00:00:00Z', end: '2026-04-10T00:00:00Z' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.users[String(ada.id)].busy).toEqual([
      { start: '2026-03-23T08:00:00Z', end: '2026-03-23T09:00:00Z' },
      { start: '2026-03-30T07:00:00Z', end: '2026-03-30T08:00:00Z' },
      { start: '2026-04-06T07:00:00Z', end: '2026-04-06T08:00:00Z' },
    ]);

    // Both series after the autumn change: the Monday one, and a Tuesday 14:00 one of three.
    await event(ada, {
      start_time: '2026-10-20 14:00',
      end_time: '2026-10-20 15:00',
      timezone: 'Europe/Berlin',
      recurrence_pattern: { frequency: 'weekly', count: 3 },
    });
    const autumn = await busyOf(ada, { users: [ada.id], start: '2026-10-20T00:00:00Z', end: '2026-11-30T00:00:00Z' });
    expect(autumn.body.users[String(ada.id)].busy.slice(0, 6)).toEqual([
      { start: '2026-10-20T12:00:00Z', end: '2026-10-20T13:00:00Z' },
      { start: '2026-10-26T08:00:00Z', end: '2026-10-26T09:00:00Z' },
      { start: '2026-10-27T13:00:00Z', end: '2026-10-27T14:00:00Z' },
      { start: '2026-11-02T08:00:00Z', end: '2026-11-02T09:00:00Z' },
      { start: '2026-11-03T13:00:00Z', end: '2026-11-03T14:00:00Z' },
      { start: '2026-11-09T08:00:00Z', end: '2026-11-09T09:00:00Z' },
    ]);
    expect(autumn.body.users[String(ada.id)].busy).toHaveLength(8); // Mondays through 23 November
  });

  it('answers the same 404 for a user the caller may not ask about and for unknown users, naming each', async () => {
    const ada = await ctx.user('fb_ada');
    const stranger = await ctx.user('fb_stranger');
    await event(stranger, { start_time: '2026-05-04T10:00:00Z', end_time: '2026-05-04T11:00:00Z' });
    const res = await busyOf(ada, {
      users: [ada.id, stranger.id, 2_000_000_000, 'no_such_user_fb', stranger.username],
      start: '2026-05-04T00:00:00Z',
      end: '2026-05-05T00:00:00Z',
    });
    expect(res.status).toBe(404);
    const body = errorBody(res);
    expect(body.code).toBe('NOT_FOUND');
    expect(body.details?.map((d) => d.path)).toEqual(['users.1', 'users.2', 'users.3', 'users.4']);
    expect(body.details?.[0]?.message).toContain(String(stranger.id));
    expect(body.details?.[3]?.message).toContain(stranger.username);
    // An unknown user and a known stranger read alike.
    expect(body.details?.[1]?.message.replace('2000000000', 'X')).toBe(body.details?.[0]?.message.replace(String(stranger.id), 'X'));
    expect(res.text).not.toContain('10:00');
  });

  it('refuses bad windows and bad user lists with 400 and details', async () => {
    const ada = await ctx.user('fb_bad');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ users: [ada.id], start: '2026-01-01T00:00:00Z', end: '2026-03-04T00:00:01Z' }, 'end'], // 62 days and a second
      [{ users: [ada.id], start: '2026-01-01T00:00:00Z', end: '2026-01-01T00:00:00Z' }, 'end'],
      [{ users: [ada.id], start: '2026-01-02T00:00:00Z', end: '2026-01-01T00:00:00Z' }, 'end'],
      [{ users: [ada.id], start: 'tomorrow', end: '2026-01-01T00:00:00Z' }, 'start'],
      [{ users: [], start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' }, 'users'],
      [{ users: Array.from({ length: 51 }, () => ada.id), start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' }, 'users'],
      [{ users: [ada.id, -3], start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' }, 'users.1'],
      [{ users: [ada.id, ''], start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' }, 'users.1'],
    ];
    for (const [body, path] of cases) {
      const res = await busyOf(ada, body);
      expect(res.status, JSON.stringify(body).slice(0, 100)).toBe(400);
      expect(errorBody(res).details?.map((d) => d.path)).toContain(path);
    }
    // Exactly 62 days is allowed, and so are 50 users (the same one, answered once).
    const ok = await busyOf(ada, {
      users: Array.from({ length: 50 }, () => ada.id),
      start: '2026-01-01T00:00:00Z',
      end: '2026-03-04T00:00:00Z',
    });
    expect(ok.status, ok.text).toBe(200);
    expect(Object.keys(ok.body.users)).toEqual([String(ada.id)]);
  });

  it('needs a token', async () => {
    const res = await ctx.api.post('/api/freebusy', { body: { users: [1], start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' } });
    expect(res.status).toBe(401);
  });
});

describe('POST /api/freebusy/suggest', () => {
  it('suggests 09:00 Berlin across the spring change, at the right UTC times, skipping a busy day', async () => {
    const ada = await ctx.user('fb_suggest_dst');
    await event(ada, { start_time: '2026-03-28 12:00', end_time: '2026-03-28 12:30', timezone: 'Europe/Berlin' });
    const res = await suggest(ada, {
      users: [ada.id],
      duration_minutes: 480,
      start: '2026-03-26T12:00:00Z',
      end: '2026-04-02T00:00:00Z',
      timezone: 'Europe/Berlin',
      working_hours: { start: '09:00', end: '17:00' },
      limit: 10,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      slots: [
        { start: '2026-03-27T08:00:00Z', end: '2026-03-27T16:00:00Z' },
        { start: '2026-03-29T07:00:00Z', end: '2026-03-29T15:00:00Z' },
        { start: '2026-03-30T07:00:00Z', end: '2026-03-30T15:00:00Z' },
        { start: '2026-03-31T07:00:00Z', end: '2026-03-31T15:00:00Z' },
        { start: '2026-04-01T07:00:00Z', end: '2026-04-01T15:00:00Z' },
      ],
    });
  });

  it('honours the limit and the default working hours, around everyone’s busy times', async () => {
    const ada = await ctx.user('fb_suggest_limit');
    await event(ada, { start_time: '2026-06-01T09:00:00Z', end_time: '2026-06-01T09:40:00Z' });
    await event(ada, { start_time: '2026-06-01T11:00:00Z', end_time: '2026-06-01T12:00:00Z' });
    const res = await suggest(ada, {
      users: [ada.id],
      duration_minutes: 60,
      start: '2026-06-01T00:00:00Z',
      end: '2026-06-08T00:00:00Z',
      limit: 3,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.slots).toEqual([
      { start: '2026-06-01T09:45:00Z', end: '2026-06-01T10:45:00Z' },
      { start: '2026-06-01T12:00:00Z', end: '2026-06-01T13:00:00Z' },
      { start: '2026-06-01T13:00:00Z', end: '2026-06-01T14:00:00Z' },
    ]);
    const byDefault = await suggest(ada, {
      users: [ada.id],
      duration_minutes: 30,
      start: '2026-06-02T00:00:00Z',
      end: '2026-06-08T00:00:00Z',
    });
    expect(byDefault.body.slots).toHaveLength(5);
    expect(byDefault.body.slots[0]).toEqual({ start: '2026-06-02T09:00:00Z', end: '2026-06-02T09:30:00Z' });
  });

  it('refuses bad durations, working hours, zones and limits with 400 and details', async () => {
    const ada = await ctx.user('fb_suggest_bad');
    const base = { users: [ada.id], duration_minutes: 30, start: '2026-06-01T00:00:00Z', end: '2026-06-08T00:00:00Z' };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, duration_minutes: 1441 }, 'duration_minutes'],
      [{ ...base, duration_minutes: 0 }, 'duration_minutes'],
      [{ ...base, duration_minutes: 12.5 }, 'duration_minutes'],
      [{ ...base, duration_minutes: 9 * 60 }, 'duration_minutes'], // longer than 09:00–17:00
      [{ ...base, working_hours: { start: '17:00', end: '09:00' } }, 'working_hours.end'],
      [{ ...base, working_hours: { start: '9am', end: '17:00' } }, 'working_hours.start'],
      [{ ...base, timezone: 'Mars/Olympus' }, 'timezone'],
      [{ ...base, limit: 0 }, 'limit'],
      [{ ...base, limit: 51 }, 'limit'],
      [{ ...base, end: '2026-09-01T00:00:00Z' }, 'end'],
    ];
    for (const [body, path] of cases) {
      const res = await suggest(ada, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(errorBody(res).details?.map((d) => d.path)).toContain(path);
    }
  });
});

describe('over tRPC', () => {
  it('answers the typed client', async () => {
    const ada = await ctx.user('fb_trpc');
    await event(ada, { start_time: '2026-05-04T10:00:00Z', end_time: '2026-05-04T11:00:00Z' });
    const client = createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: `${ctx.url}/trpc`, headers: { authorization: `Bearer ${ada.access}` } })],
    });
    const [busy, slots] = await Promise.all([
      client.freebusy.busy.query({ users: [ada.id], start: '2026-05-04T00:00:00Z', end: '2026-05-05T00:00:00Z' }),
      client.freebusy.suggest.query({
        users: [ada.id],
        duration_minutes: 60,
        start: '2026-05-04T10:00:00Z',
        end: '2026-05-05T00:00:00Z',
        limit: 1,
      }),
    ]);
    expect(busy.users[String(ada.id)]?.busy).toEqual([{ start: '2026-05-04T10:00:00Z', end: '2026-05-04T11:00:00Z' }]);
    expect(slots.slots).toEqual([{ start: '2026-05-04T11:00:00Z', end: '2026-05-04T12:00:00Z' }]);

    const refused = await client.freebusy.busy
      .query({ users: [2_000_000_000], start: '2026-05-04T00:00:00Z', end: '2026-05-05T00:00:00Z' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TRPCClientError);
    expect((refused as TRPCClientError<AppRouter>).data).toMatchObject({
      code: 'NOT_FOUND',
      details: [expect.objectContaining({ path: 'users.0' })],
    });
  });
});

describe('whom one may ask, and what a calendar holds', () => {
  async function team(admin: TestUser, ...members: TestUser[]) {
    const created = await ctx.api.post('/api/teams', { token: admin.access, body: { name: 'Planning' } });
    expect(created.status, created.text).toBe(201);
    for (const member of members) {
      const added = await ctx.api.post(`/api/teams/${created.body.id}/members`, { token: admin.access, body: { user_id: member.id } });
      expect(added.status, added.text).toBe(200);
    }
    return created.body.id as number;
  }
  const rsvp = async (user: TestUser, eventId: number, response: string) => {
    const res = await ctx.api.put(`/api/events/${eventId}/rsvp`, { token: user.access, body: { response } });
    expect(res.status, res.text).toBe(200);
  };
  const window = { start: '2026-05-04T00:00:00Z', end: '2026-05-05T00:00:00Z' };

  it('answers about teammates (both ways) and refuses others with a 404 naming them', async () => {
    const ada = await ctx.user('fb_team_ada');
    const grace = await ctx.user('fb_team_grace');
    const linus = await ctx.user('fb_team_linus');
    await event(grace, { start_time: '2026-05-04T10:00:00Z', end_time: '2026-05-04T11:00:00Z' });
    await event(ada, { start_time: '2026-05-04T12:00:00Z', end_time: '2026-05-04T13:00:00Z' });
    await event(linus, { start_time: '2026-05-04T14:00:00Z', end_time: '2026-05-04T15:00:00Z' });

    const before = await busyOf(ada, { users: [grace.id], ...window });
    expect(before.status).toBe(404);
    expect(errorBody(before).details).toEqual([{ path: 'users.0', message: expect.stringContaining(String(grace.id)) }]);

    await team(ada, grace);
    const res = await busyOf(ada, { users: [ada.id, grace.username], ...window });
    expect(res.status, res.text).toBe(200);
    expect(res.body.users).toEqual({
      [ada.id]: { busy: [{ start: '2026-05-04T12:00:00Z', end: '2026-05-04T13:00:00Z' }] },
      [grace.id]: { busy: [{ start: '2026-05-04T10:00:00Z', end: '2026-05-04T11:00:00Z' }] },
    });
    const back = await busyOf(grace, { users: [ada.id], ...window });
    expect(back.status, back.text).toBe(200);

    const stranger = await busyOf(ada, { users: [grace.id, linus.id], ...window });
    expect(stranger.status).toBe(404);
    expect(errorBody(stranger).details).toEqual([{ path: 'users.1', message: expect.stringContaining(String(linus.id)) }]);
    expect(stranger.text).not.toContain('14:00');

    // Suggestions avoid everyone's busy times.
    const slots = await suggest(ada, {
      users: [ada.id, grace.id],
      duration_minutes: 60,
      ...window,
      working_hours: { start: '10:00', end: '16:00' },
      limit: 3,
    });
    expect(slots.status, slots.text).toBe(200);
    expect(slots.body.slots).toEqual([
      { start: '2026-05-04T11:00:00Z', end: '2026-05-04T12:00:00Z' },
      { start: '2026-05-04T13:00:00Z', end: '2026-05-04T14:00:00Z' },
      { start: '2026-05-04T14:00:00Z', end: '2026-05-04T15:00:00Z' },
    ]);
  });

  it('counts an event shared with a user only while their RSVP is accepted and they may read it', async () => {
    const ada = await ctx.user('fb_rsvp_ada');
    const carol = await ctx.user('fb_rsvp_carol');
    const shared = await event(carol, { start_time: '2026-05-04T09:00:00Z', end_time: '2026-05-04T10:00:00Z' });
    await ctx.share(carol, shared.id, ada, 'VIEWER');
    const busy = async () => (await busyOf(ada, { users: [ada.id], ...window })).body.users[String(ada.id)].busy;

    expect(await busy()).toEqual([]); // needs_action
    await rsvp(ada, shared.id, 'tentative');
    expect(await busy()).toEqual([]);
    await rsvp(ada, shared.id, 'accepted');
    expect(await busy()).toEqual([{ start: '2026-05-04T09:00:00Z', end: '2026-05-04T10:00:00Z' }]);
    await rsvp(ada, shared.id, 'declined');
    expect(await busy()).toEqual([]);

    await rsvp(ada, shared.id, 'accepted');
    const removed = await ctx.api.delete(`/api/events/${shared.id}/permissions/${ada.id}`, { token: carol.access });
    expect(removed.status, removed.text).toBe(200);
    expect(await busy()).toEqual([]);
    // The owner's own calendar holds it all along, without an RSVP.
    const own = await busyOf(carol, { users: [carol.id], ...window });
    expect(own.body.users[String(carol.id)].busy).toEqual([{ start: '2026-05-04T09:00:00Z', end: '2026-05-04T10:00:00Z' }]);
  });

  it('counts an accepted event shared through a team', async () => {
    const ada = await ctx.user('fb_tgrant_ada');
    const carol = await ctx.user('fb_tgrant_carol');
    const teamId = await team(carol, ada);
    const shared = await event(carol, { start_time: '2026-05-04T15:00:00Z', end_time: '2026-05-04T16:00:00Z' });
    const granted = await ctx.api.post(`/api/events/${shared.id}/share`, {
      token: carol.access,
      body: { teams: [{ team_id: teamId, role: 'VIEWER' }] },
    });
    expect(granted.status, granted.text).toBe(200);
    await rsvp(ada, shared.id, 'accepted');
    const res = await busyOf(carol, { users: [ada.id], ...window });
    expect(res.status, res.text).toBe(200);
    expect(res.body.users[String(ada.id)].busy).toEqual([{ start: '2026-05-04T15:00:00Z', end: '2026-05-04T16:00:00Z' }]);
  });
});
