import { beforeAll, describe, expect, it } from 'vitest';
import { errorBody, type ApiResponse, type TestUser } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';
import { iso, nextSecond } from './support/time.ts';

const ctx = useTestServer();
const { api } = ctx;

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

type Ev = Record<string, unknown> & { id: number; version: number };

/**
 * The moment right after a user's latest write: one second past the (second
 * precision) time of their newest audit row. It is later than every write
 * made so far, and earlier than any write made after `nextSecond()`. Times come from
 * the server, so no clock of this process is compared with the database's.
 */
async function momentAfterLastWrite(user: TestUser): Promise<string> {
  const res = await api.get('/api/audit?page_size=1', { token: user.access });
  return iso(Date.parse(res.body.results[0].at) + 1000);
}

const q = (time: string) => encodeURIComponent(time);
const getAsOf = (user: TestUser, id: number, time: string) => api.get(`/api/events/${id}?as_of=${q(time)}`, { token: user.access });
const listAsOf = (user: TestUser, time: string, extra = '') =>
  api.get(`/api/events?as_of=${q(time)}&sort=title${extra}`, { token: user.access });
const titles = (res: ApiResponse) => res.body.results.map((e: Ev) => e.title);
const roles = (res: ApiResponse) => res.body.results.map((e: Ev) => [e.title, e['my_role']]);

function expectNotFound(res: ApiResponse) {
  expect(res.status, res.text).toBe(404);
  expect(errorBody(res).code).toBe('NOT_FOUND');
}

/**
 * One timeline, three moments:
 *   phase 1 (→ M1): A "Alpha v1" shared with the viewer as VIEWER; B "Bravo"; D "Delta" shared as EDITOR.
 *   phase 2 (→ M2): A becomes "Alpha v2" and the viewer an EDITOR of it; B shared as VIEWER;
 *                   the viewer removed from D; C "Charlie" created.
 *   phase 3 (→ M3): A becomes "Alpha v3" in Room 3; B deleted.
 */
let owner: TestUser;
let viewer: TestUser;
let stranger: TestUser;
let A: Ev, B: Ev, C: Ev, D: Ev;
let M1: string, M2: string, M3: string;
/** A's history, oldest first. */
let aHistory: Array<{ version_id: number; version: number; history_date: string }>;

beforeAll(async () => {
  owner = await ctx.user('asof');
  viewer = await ctx.user('asofvi');
  stranger = await ctx.user('asofst');

  A = await ctx.event(owner, { title: 'Alpha v1', description: 'first', location: 'Room 1' });
  B = await ctx.event(owner, { title: 'Bravo' });
  D = await ctx.event(owner, { title: 'Delta', recurrence_pattern: 'weekly' });
  await ctx.share(owner, A.id, viewer, 'VIEWER');
  await ctx.share(owner, D.id, viewer, 'EDITOR');
  M1 = await momentAfterLastWrite(owner);
  // Output times have second precision: the next phase's writes fall in a later second.
  await nextSecond();

  const a2 = await api.patch(`/api/events/${A.id}`, { token: owner.access, body: { title: 'Alpha v2', description: 'second' } });
  if (a2.status !== 200) throw new Error(a2.text);
  await ctx.share(owner, B.id, viewer, 'VIEWER');
  const removed = await api.delete(`/api/events/${D.id}/permissions/${viewer.id}`, { token: owner.access });
  if (removed.status !== 200) throw new Error(removed.text);
  C = await ctx.event(owner, { title: 'Charlie' });
  const promoted = await api.put(`/api/events/${A.id}/permissions/${viewer.id}`, { token: owner.access, body: { role: 'EDITOR' } });
  if (promoted.status !== 200) throw new Error(promoted.text);
  M2 = await momentAfterLastWrite(owner);
  await nextSecond();

  const a3 = await api.patch(`/api/events/${A.id}`, { token: owner.access, body: { title: 'Alpha v3', location: 'Room 3' } });
  if (a3.status !== 200) throw new Error(a3.text);
  const deleted = await api.delete(`/api/events/${B.id}`, { token: owner.access });
  if (deleted.status !== 200) throw new Error(deleted.text);
  M3 = await momentAfterLastWrite(owner);

  aHistory = (await api.get(`/api/events/${A.id}/history`, { token: owner.access })).body.reverse();
});

describe('one event as of a time', () => {
  it('answers the event as it was between two updates, in the full event shape', async () => {
    expect(Date.parse(M1)).toBeLessThan(Date.parse(M2));
    expect(Date.parse(M2)).toBeLessThan(Date.parse(M3));
    const res = await getAsOf(owner, A.id, M2);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: A.id,
      title: 'Alpha v2',
      description: 'second',
      start_time: A['start_time'],
      end_time: A['end_time'],
      location: 'Room 1',
      timezone: 'UTC',
      is_recurring: false,
      recurrence_pattern: null,
      rrule: null,
      tags: [],
      metadata: {},
      reminders: [],
      owner_id: owner.id,
      version: 2,
      my_role: 'OWNER',
      created_at: A['created_at'],
      updated_at: aHistory[1]!.history_date,
      permissions: expect.any(Array),
    });
    expect(res.headers.get('etag')).toBe('"2"');
    expect(res.body.updated_at).toMatch(RFC3339);
  });

  it('follows every version of the event through time', async () => {
    const at = async (time: string) => (await getAsOf(owner, A.id, time)).body;
    expect(await at(M1)).toMatchObject({ title: 'Alpha v1', description: 'first', location: 'Room 1', version: 1 });
    expect(await at(M2)).toMatchObject({ title: 'Alpha v2', description: 'second', location: 'Room 1', version: 2 });
    expect(await at(M3)).toMatchObject({ title: 'Alpha v3', description: 'second', location: 'Room 3', version: 3 });
    // Right after each version's (second precision) time, the event is that version.
    for (const v of aHistory) {
      expect((await at(iso(Date.parse(v.history_date) + 1000))).version).toBe(v.version);
    }
    // Each answer has the content of that version's snapshot.
    const snapshot = (await api.get(`/api/events/${A.id}/history/${aHistory[0]!.version_id}`, { token: owner.access })).body;
    const then = await at(M1);
    for (const field of [
      'title',
      'description',
      'start_time',
      'end_time',
      'location',
      'timezone',
      'is_recurring',
      'recurrence_pattern',
      'tags',
      'metadata',
      'rrule',
      'reminders',
      'owner_id',
    ]) {
      expect(then[field], field).toEqual(snapshot[field]);
    }
  });

  it('answers the present for a time after the last change, matching a plain GET', async () => {
    const live = await api.get(`/api/events/${A.id}`, { token: owner.access });
    const future = await getAsOf(owner, A.id, '2999-01-01T00:00:00Z');
    expect(future.status).toBe(200);
    const content = (e: Record<string, unknown>) => {
      const { updated_at: _u, permissions: _p, ...rest } = e;
      return rest;
    };
    expect(content(future.body)).toEqual(content(live.body));
    expect(future.body.version).toBe(3);
  });

  it('is 404 before the event existed', async () => {
    const created = Date.parse(aHistory[0]!.history_date);
    expectNotFound(await getAsOf(owner, A.id, iso(created - 1000)));
    expectNotFound(await getAsOf(owner, A.id, '2000-01-01T00:00:00Z'));
    expectNotFound(await getAsOf(owner, A.id, '0001-01-01T00:00:00Z'));
    expectNotFound(await getAsOf(owner, 2_000_000_000, M2));
    // C was created in phase 2.
    expectNotFound(await getAsOf(owner, C.id, M1));
    expect((await getAsOf(owner, C.id, M2)).body).toMatchObject({ title: 'Charlie', version: 1 });
  });

  it('is 404 after the deletion, and answers the old content before it', async () => {
    expectNotFound(await api.get(`/api/events/${B.id}`, { token: owner.access }));
    expectNotFound(await getAsOf(owner, B.id, M3));
    expectNotFound(await getAsOf(owner, B.id, '2999-01-01T00:00:00Z'));
    const before = await getAsOf(owner, B.id, M2);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ id: B.id, title: 'Bravo', version: 1, my_role: 'OWNER' });
    // The viewer saw it while it was shared with them, but access is judged now: since the
    // deletion they read nothing of it, its past included.
    expectNotFound(await getAsOf(viewer, B.id, M2));
    expectNotFound(await getAsOf(viewer, B.id, M3));
  });

  it('answers with the role the caller had then, and 404 when they had no access then', async () => {
    // A: VIEWER in phase 1, EDITOR from phase 2 on.
    expect((await getAsOf(viewer, A.id, M1)).body).toMatchObject({ title: 'Alpha v1', my_role: 'VIEWER' });
    expect((await getAsOf(viewer, A.id, M2)).body).toMatchObject({ title: 'Alpha v2', my_role: 'EDITOR' });
    expect((await getAsOf(viewer, A.id, M3)).body).toMatchObject({ title: 'Alpha v3', my_role: 'EDITOR' });
    // B: shared only in phase 2, though it existed (and the owner saw it) in phase 1.
    expectNotFound(await getAsOf(viewer, B.id, M1));
    expect((await getAsOf(owner, B.id, M1)).status).toBe(200);
    // D: an EDITOR in phase 1, removed in phase 2; access is judged now, so the past is gone too.
    expectNotFound(await getAsOf(viewer, D.id, M1));
    expect((await getAsOf(owner, D.id, M1)).body).toMatchObject({
      title: 'Delta',
      my_role: 'OWNER',
      is_recurring: true,
      recurrence_pattern: 'weekly',
    });
    expectNotFound(await getAsOf(viewer, D.id, M2));
    expectNotFound(await getAsOf(viewer, D.id, M3));
    expectNotFound(await api.get(`/api/events/${D.id}`, { token: viewer.access }));
    // Someone it was never shared with sees nothing, ever.
    for (const time of [M1, M2, M3, '2999-01-01T00:00:00Z']) {
      for (const id of [A.id, B.id, C.id, D.id]) expectNotFound(await getAsOf(stranger, id, time));
    }
  });

  it('reads every accepted time form as the same moment', async () => {
    const m2 = Date.parse(M2);
    const forms = [
      M2,
      new Date(m2).toISOString(),
      iso(m2).replace('Z', '+00:00'),
      // The same instant written with offsets.
      new Date(m2 + 2 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, '+02:00'),
      new Date(m2 - 5.5 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, '-05:30'),
      // Zone-less forms are UTC.
      iso(m2).replace('T', ' ').replace('Z', ''),
      iso(m2).replace('Z', ''),
    ];
    for (const form of forms) {
      const res = await getAsOf(owner, A.id, form);
      expect(res.status, form).toBe(200);
      expect(res.body.title, form).toBe('Alpha v2');
      expect(titles(await listAsOf(owner, form)), form).toEqual(['Alpha v2', 'Bravo', 'Charlie', 'Delta']);
    }
  });

  it('refuses a malformed time with 400', async () => {
    for (const bad of ['yesterday', '2025-13-01T00:00:00Z', '2025-02-30', '12:00', '1700000000', '2025-01-01T25:00:00Z']) {
      for (const res of [await getAsOf(owner, A.id, bad), await listAsOf(owner, bad)]) {
        expect(res.status, bad).toBe(400);
        const body = errorBody(res);
        expect(body.code).toBe('VALIDATION_ERROR');
        expect(body.details?.[0]?.path).toBe('as_of');
      }
    }
    expect((await api.get(`/api/events/abc?as_of=${q(M2)}`, { token: owner.access })).status).toBe(400);
    expect((await api.get(`/api/events/${A.id}?as_of=${q(M2)}`)).status).toBe(401);
  });
});

describe('the listing as of a time', () => {
  it('lists what the owner had then, with the content of then', async () => {
    const m1 = await listAsOf(owner, M1);
    expect(m1.status).toBe(200);
    expect(m1.body).toEqual({
      results: expect.any(Array),
      count: 3,
      num_pages: 1,
      current_page: 1,
      next: null,
      previous: null,
    });
    expect(titles(m1)).toEqual(['Alpha v1', 'Bravo', 'Delta']);
    expect(titles(await listAsOf(owner, M2))).toEqual(['Alpha v2', 'Bravo', 'Charlie', 'Delta']);
    expect(titles(await listAsOf(owner, M3))).toEqual(['Alpha v3', 'Charlie', 'Delta']);
    const live = await api.get('/api/events?sort=title', { token: owner.access });
    expect(titles(live)).toEqual(['Alpha v3', 'Charlie', 'Delta']);
    expect(titles(await listAsOf(owner, '2000-01-01T00:00:00Z'))).toEqual([]);
    // Each row is the event as it was: its version then, and what GET ?as_of answers.
    const rowA = m1.body.results.find((e: Ev) => e.id === A.id);
    const { permissions: _p, ...single } = (await getAsOf(owner, A.id, M1)).body;
    expect(rowA).toEqual(single);
    expect(rowA.version).toBe(1);
  });

  it('lists what a collaborator could see then and may still read now: shared later, removed since or deleted since is absent', async () => {
    // Delta (removed in phase 2) and Bravo (deleted in phase 3) were visible then, but access is judged now.
    expect(roles(await listAsOf(viewer, M1))).toEqual([['Alpha v1', 'VIEWER']]);
    expect(roles(await listAsOf(viewer, M2))).toEqual([['Alpha v2', 'EDITOR']]);
    expect(roles(await listAsOf(viewer, M3))).toEqual([['Alpha v3', 'EDITOR']]);
    expect(roles(await api.get('/api/events?sort=title', { token: viewer.access }))).toEqual([['Alpha v3', 'EDITOR']]);
    for (const time of [M1, M2, M3]) expect(titles(await listAsOf(stranger, time))).toEqual([]);
  });

  it('filters, sorts and pages the past like the present', async () => {
    expect(titles(await listAsOf(owner, M2, '&q=bravo'))).toEqual(['Bravo']);
    expect(titles(await listAsOf(owner, M2, '&q=second'))).toEqual(['Alpha v2']);
    expect(titles(await listAsOf(owner, M1, '&q=second'))).toEqual([]);
    expect(titles(await listAsOf(owner, M2, '&location=room'))).toEqual(['Alpha v2']);
    expect(titles(await listAsOf(owner, M2, '&is_recurring=true'))).toEqual(['Delta']);
    expect(titles(await listAsOf(owner, M2, '&role=OWNER'))).toEqual(['Alpha v2', 'Bravo', 'Charlie', 'Delta']);
    expect(titles(await listAsOf(viewer, M1, '&role=viewer'))).toEqual(['Alpha v1']);
    expect(titles(await listAsOf(viewer, M1, '&role=editor'))).toEqual([]);
    const byTitleDesc = await api.get(`/api/events?as_of=${q(M2)}&sort=-start_time`, { token: owner.access });
    expect(byTitleDesc.body.results.map((e: Ev) => e.id)).toEqual([C.id, D.id, B.id, A.id]);

    const first = await listAsOf(owner, M2, '&page_size=3');
    expect(first.body).toMatchObject({ count: 4, num_pages: 2, current_page: 1, previous: null });
    expect(titles(first)).toEqual(['Alpha v2', 'Bravo', 'Charlie']);
    const second = await listAsOf(owner, M2, '&page_size=3&page=2');
    expect(second.body).toMatchObject({ count: 4, num_pages: 2, current_page: 2, next: null });
    expect(titles(second)).toEqual(['Delta']);
    // The link to the next page keeps the moment.
    expect(first.body.next).toEqual(expect.stringContaining('as_of='));
    const followed = await api.get(first.body.next, { token: owner.access });
    expect(followed.status).toBe(200);
    expect(titles(followed)).toEqual(['Delta']);
  });
});

describe('page links of a past listing', () => {
  it('keep the moment to the millisecond, so following them pages the same past', async () => {
    const user = await ctx.user('asofms');
    await ctx.event(user, { title: 'x1' });
    await ctx.event(user, { title: 'x2' });
    // Create "a0" early in a second, and take a moment a little later in that same second:
    // a0 exists at that moment, but not at the start of its second.
    let moment = '';
    for (let attempt = 0; attempt < 5 && !moment; attempt++) {
      await nextSecond();
      const a0 = await ctx.event(user, { title: 'a0' });
      // Not a wait for anything: it only puts the moment a little after a0's write.
      await new Promise((resolve) => setTimeout(resolve, 30));
      const now = Date.now();
      const created = (await api.get(`/api/events/${a0.id}/history`, { token: user.access })).body[0].history_date;
      if (iso(now) === created) moment = new Date(now).toISOString();
      else await api.delete(`/api/events/${a0.id}`, { token: user.access });
    }
    expect(moment).toMatch(/\.\d{3}Z$/);
    expect(moment.endsWith('.000Z')).toBe(false);
    const first = await listAsOf(user, moment, '&page_size=1');
    expect(first.body).toMatchObject({ count: 3, num_pages: 3 });
    expect(titles(first)).toEqual(['a0']);
    // Page 2 of the same past: still three events, and the second of them.
    const second = await api.get(first.body.next, { token: user.access });
    expect({ count: second.body.count, titles: titles(second) }).toEqual({ count: 3, titles: ['x1'] });
    const next = new URL(first.body.next, 'http://x');
    expect(Date.parse(next.searchParams.get('as_of')!)).toBe(Date.parse(moment));
  });
});

describe('point in time', () => {
  it('answers an event as it was, 404 before it existed and after it was deleted', async () => {
    const owner = await ctx.user('time');
    const before = new Date(Date.now() - 2000).toISOString();
    const event = await ctx.event(owner, { title: 'first title' });
    await nextSecond();
    const between = new Date().toISOString();
    await nextSecond();
    await api.put(`/api/events/${event.id}`, { token: owner.access, body: { title: 'second title' } });
    const then = await api.get(`/api/events/${event.id}?as_of=${between}`, { token: owner.access });
    expect(then.status).toBe(200);
    expect(then.body).toMatchObject({ id: event.id, title: 'first title', version: 1, my_role: 'OWNER' });
    expect((await api.get(`/api/events/${event.id}?as_of=${before}`, { token: owner.access })).status).toBe(404);
    const now = await api.get(`/api/events/${event.id}?as_of=${new Date(Date.now() + 1000).toISOString()}`, { token: owner.access });
    expect(now.body.title).toBe('second title');
    await api.delete(`/api/events/${event.id}`, { token: owner.access });
    expect(
      (await api.get(`/api/events/${event.id}?as_of=${new Date(Date.now() + 1000).toISOString()}`, { token: owner.access })).status,
    ).toBe(404);
    expect((await api.get(`/api/events/${event.id}?as_of=${between}`, { token: owner.access })).body.title).toBe('first title');
  });

  it('lists what the caller could see then', async () => {
    const owner = await ctx.user('lister');
    const guest = await ctx.user('guest');
    const early = await ctx.event(owner, { title: 'early' });
    const sharedLater = await ctx.event(owner, { title: 'shared later' });
    await ctx.share(owner, early.id, guest, 'VIEWER');
    await nextSecond();
    const moment = new Date().toISOString();
    await nextSecond();
    await ctx.share(owner, sharedLater.id, guest, 'VIEWER');
    await api.put(`/api/events/${early.id}`, { token: owner.access, body: { title: 'early, renamed' } });
    await api.put(`/api/events/${early.id}/permissions/${guest.id}`, { token: owner.access, body: { role: 'EDITOR' } });

    const past = await api.get(`/api/events?as_of=${moment}`, { token: guest.access });
    expect(past.status).toBe(200);
    expect(past.body.results.map((e: { title: string }) => e.title)).toEqual(['early']);
    expect(past.body.results[0].my_role).toBe('VIEWER');
    const present = await api.get('/api/events?sort=title', { token: guest.access });
    expect(present.body.results.map((e: { title: string }) => e.title)).toEqual(['early, renamed', 'shared later']);
    // A single event follows the same rule.
    expect((await api.get(`/api/events/${sharedLater.id}?as_of=${moment}`, { token: guest.access })).status).toBe(404);
    const earlyThen = await api.get(`/api/events/${early.id}?as_of=${moment}`, { token: guest.access });
    expect(earlyThen.status).toBe(200);
    // The permissions as they were then: the guest was a viewer, whatever happened since.
    expect(earlyThen.body.permissions).toEqual([
      { user_id: owner.id, username: owner.username, role: 'OWNER' },
      { user_id: guest.id, username: guest.username, role: 'VIEWER' },
    ]);
    const laterThen = await api.get(`/api/events/${sharedLater.id}?as_of=${moment}`, { token: owner.access });
    expect(laterThen.body.permissions).toEqual([{ user_id: owner.id, username: owner.username, role: 'OWNER' }]);
    const ownerPast = await api.get(`/api/events?as_of=${moment}&sort=title`, { token: owner.access });
    expect(ownerPast.body.results.map((e: { title: string }) => e.title)).toEqual(['early', 'shared later']);
  });
});
