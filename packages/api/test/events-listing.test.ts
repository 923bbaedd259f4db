import { beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';
import { nextSecond } from './support/time.ts';

const ctx = useTestServer();
const { api } = ctx;
let user: TestUser;
let friend: TestUser;
const ids: Record<string, number> = {};

beforeAll(async () => {
  user = await ctx.user('lister');
  friend = await ctx.user('friend');
  const make = async (who: TestUser, key: string, body: Record<string, unknown>) => {
    const res = await api.post('/api/events', { token: who.access, body });
    if (res.status !== 201) throw new Error(res.text);
    ids[key] = res.body.event.id;
  };
  await make(user, 'alpha', {
    title: 'Alpha review',
    description: 'budget',
    location: 'Room A',
    start_time: '2048-01-10T09:00:00Z',
    end_time: '2048-01-10T10:00:00Z',
  });
  await make(user, 'beta', {
    title: 'Beta launch',
    location: 'Hall',
    start_time: '2048-01-20T09:00:00Z',
    end_time: '2048-01-20T10:00:00Z',
  });
  await make(user, 'gamma', {
    title: 'gamma retro',
    description: 'what went well',
    start_time: '2048-02-10T09:00:00Z',
    end_time: '2048-02-10T10:00:00Z',
  });
  await make(user, 'weekly', {
    title: 'Weekly sync',
    start_time: '2047-12-01T15:00:00Z',
    end_time: '2047-12-01T15:30:00Z',
    recurrence_pattern: 'weekly',
  });
  await make(friend, 'shared', {
    title: 'Friend party',
    location: 'Room A',
    start_time: '2048-01-15T18:00:00Z',
    end_time: '2048-01-15T22:00:00Z',
  });
  await make(friend, 'private', { title: 'Friend secret', start_time: '2048-01-16T18:00:00Z', end_time: '2048-01-16T22:00:00Z' });
  await api.post(`/api/events/${ids['shared']}/share`, { token: friend.access, body: { user_id: user.id, role: 'VIEWER' } });
});

const list = async (query: string) => {
  const res = await api.get(`/api/events?${query}`, { token: user.access });
  expect(res.status, query).toBe(200);
  return res.body as {
    results: Array<{ id: number; title: string; my_role: string; start_time: string }>;
    count: number;
    num_pages: number;
    current_page: number;
    next: string | null;
    previous: string | null;
  };
};
const titles = (body: { results: Array<{ title: string }> }) => body.results.map((e) => e.title);

describe('listing', () => {
  it('shows my events and those shared with me, sorted by start time, never others', async () => {
    const body = await list('page_size=100');
    expect(titles(body)).toEqual(['Weekly sync', 'Alpha review', 'Friend party', 'Beta launch', 'gamma retro']);
    expect(body.count).toBe(5);
    expect(body.results.find((e) => e.id === ids['shared'])?.my_role).toBe('VIEWER');
  });

  it('paginates with page/page_size and with skip/limit', async () => {
    const first = await list('page=1&page_size=2');
    expect(first).toMatchObject({ count: 5, num_pages: 3, current_page: 1, previous: null });
    expect(first.next).toBe('/api/events?page=2&page_size=2');
    const second = await api.get(first.next!, { token: user.access });
    expect(titles(second.body)).toEqual(['Friend party', 'Beta launch']);
    expect(second.body.previous).toBe('/api/events?page=1&page_size=2');
    const skipped = await list('skip=4&limit=2');
    expect(titles(skipped)).toEqual(['gamma retro']);
    expect(skipped.current_page).toBe(3);
    const beyond = await list('page=9&page_size=2');
    expect(beyond.results).toEqual([]);
    expect(beyond.count).toBe(5);
  });

  it('filters by window (recurring events by their occurrences), text, location, kind and role', async () => {
    expect(titles(await list('start_date=2048-01-12T00:00:00Z&end_date=2048-01-18T00:00:00Z'))).toEqual(['Weekly sync', 'Friend party']);
    expect(titles(await list('start_date=2048-01-10T09:30:00Z&end_date=2048-01-10T12:00:00Z'))).toEqual(['Alpha review']);
    expect(titles(await list('start_date=2047-11-01T00:00:00Z&end_date=2047-11-30T00:00:00Z'))).toEqual([]);
    expect(titles(await list('q=BUDGET'))).toEqual(['Alpha review']);
    expect(titles(await list('q=went'))).toEqual(['gamma retro']);
    expect(titles(await list('location=room a'))).toEqual(['Alpha review', 'Friend party']);
    expect(titles(await list('is_recurring=true'))).toEqual(['Weekly sync']);
    expect(titles(await list('role=viewer'))).toEqual(['Friend party']);
    expect((await list('q=%25')).count).toBe(0);
  });

  it('sorts by every documented key', async () => {
    expect(titles(await list('sort=-start_time&page_size=100'))).toEqual([
      'gamma retro',
      'Beta launch',
      'Friend party',
      'Alpha review',
      'Weekly sync',
    ]);
    expect(titles(await list('sort=title&page_size=100'))).toEqual([
      'Alpha review',
      'Beta launch',
      'Friend party',
      'Weekly sync',
      'gamma retro',
    ]);
    await api.patch(`/api/events/${ids['beta']}`, { token: user.access, body: { description: 'touched' } });
    expect(titles(await list('sort=-updated_at&page_size=1'))).toEqual(['Beta launch']);
    expect(titles(await list('sort=updated_at&page_size=100')).at(-1)).toBe('Beta launch');
  });

  it('expands occurrences inside a window into one row each', async () => {
    const body = await list('expand=true&start_date=2048-01-01T00:00:00Z&end_date=2048-01-31T23:59:59Z&page_size=100');
    const weekly = body.results.filter((e) => e.id === ids['weekly']).map((e) => e.start_time);
    expect(weekly).toEqual(['2048-01-05T15:00:00Z', '2048-01-12T15:00:00Z', '2048-01-19T15:00:00Z', '2048-01-26T15:00:00Z']);
    expect(body.count).toBe(4 + 3);
    const starts = body.results.map((e) => e.start_time);
    expect([...starts].sort()).toEqual(starts);
  });

  it('refuses bad listing parameters with 400', async () => {
    for (const query of [
      'page=0',
      'page_size=101',
      'sort=owner',
      'start_date=never',
      'is_recurring=maybe',
      'role=admin',
      'expand=true',
      'start_date=2048-02-01T00:00:00Z&end_date=2048-01-01T00:00:00Z',
      'limit=0',
    ]) {
      const res = await api.get(`/api/events?${query}`, { token: user.access });
      expect(res.status, query).toBe(400);
      expect(res.body.code).toBe('VALIDATION_ERROR');
    }
  });
});

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
type Listing = {
  results: Array<{ title: string; [key: string]: any }>;
  count: number;
  num_pages: number;
  current_page: number;
  next: string | null;
  previous: string | null;
};

describe('pagination over 23 events', () => {
  let pager: TestUser;
  const at = (i: number) => new Date(Date.UTC(2061, 0, 1) + i * 3_600_000).toISOString().replace('.000Z', 'Z');
  const name = (i: number) => `p${String(i).padStart(2, '0')}`;
  const names = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => name(from + k));

  beforeAll(async () => {
    pager = await ctx.user('pager');
    const res = await api.post('/api/events/batch', {
      token: pager.access,
      body: Array.from({ length: 23 }, (_, i) => ({ title: name(i), start_time: at(i), end_time: at(i + 0.5) })),
    });
    if (res.status !== 201) throw new Error(res.text);
  });

  const page = async (query: string): Promise<Listing> => {
    const res = await api.get(`/api/events${query}`, { token: pager.access });
    expect(res.status, query).toBe(200);
    return res.body;
  };

  it('defaults to page 1 of size 10 and links onwards', async () => {
    const first = await page('');
    expect(first).toEqual({
      results: expect.any(Array),
      count: 23,
      num_pages: 3,
      current_page: 1,
      next: expect.any(String),
      previous: null,
    });
    expect(titles(first)).toEqual(names(0, 10));
    const second = await page(first.next!.replace(/^\/api\/events/, ''));
    expect(second).toMatchObject({ count: 23, num_pages: 3, current_page: 2, next: expect.any(String), previous: expect.any(String) });
    expect(titles(second)).toEqual(names(10, 20));
    const third = await page(second.next!.replace(/^\/api\/events/, ''));
    expect(third).toMatchObject({ count: 23, num_pages: 3, current_page: 3, next: null, previous: expect.any(String) });
    expect(titles(third)).toEqual(names(20, 23));
    const back = await page(third.previous!.replace(/^\/api\/events/, ''));
    expect(titles(back)).toEqual(names(10, 20));
  });

  it('answers each row as the contract’s event object, without permissions', async () => {
    const first = await page('?page_size=1');
    expect(first.results).toEqual([
      {
        id: expect.any(Number),
        title: 'p00',
        description: '',
        start_time: at(0),
        end_time: at(0.5),
        location: null,
        timezone: 'UTC',
        is_recurring: false,
        recurrence_pattern: null,
        rrule: null,
        tags: [],
        metadata: {},
        reminders: [],
        owner_id: pager.id,
        version: 1,
        my_role: 'OWNER',
        created_at: expect.stringMatching(RFC3339),
        updated_at: expect.stringMatching(RFC3339),
      },
    ]);
  });

  it('honours page and page_size, up to 100', async () => {
    expect(await page('?page=5&page_size=5')).toMatchObject({ count: 23, num_pages: 5, current_page: 5, next: null });
    expect(titles(await page('?page=5&page_size=5'))).toEqual(names(20, 23));
    const all = await page('?page_size=100');
    expect(all).toMatchObject({ count: 23, num_pages: 1, current_page: 1, next: null, previous: null });
    expect(titles(all)).toEqual(names(0, 23));
    const tooBig = await api.get('/api/events?page_size=101', { token: pager.access });
    expect(tooBig.status).toBe(400);
  });

  it('honours seed 000’s skip and limit', async () => {
    const res = await page('?skip=10&limit=5');
    expect(titles(res)).toEqual(names(10, 15));
    expect(res).toMatchObject({ count: 23, num_pages: 5, current_page: 3 });
    expect(titles(await page('?skip=0&limit=100'))).toEqual(names(0, 23));
    expect(titles(await page('?skip=22&limit=10'))).toEqual(['p22']);
  });

  it('sorts by -start_time across pages', async () => {
    expect(titles(await page('?sort=-start_time&page_size=3'))).toEqual(['p22', 'p21', 'p20']);
    expect(titles(await page('?sort=start_time&page_size=3&page=2'))).toEqual(['p03', 'p04', 'p05']);
  });
});

describe('filters, roles, windows and expansion', () => {
  let me: TestUser;
  let other: TestUser;
  let nobody: TestUser;
  const id: Record<string, number> = {};

  beforeAll(async () => {
    me = await ctx.user('filter');
    other = await ctx.user('sharer');
    nobody = await ctx.user('nobody');
    const make = async (who: TestUser, key: string, body: Record<string, unknown>) => {
      const res = await api.post('/api/events', { token: who.access, body });
      if (res.status !== 201) throw new Error(res.text);
      id[key] = res.body.event.id;
    };
    await make(me, 'design', {
      title: 'Design review',
      description: 'figma walkthrough',
      location: 'Studio 5',
      start_time: '2062-01-10T10:00:00Z',
      end_time: '2062-01-10T11:00:00Z',
    });
    await make(me, 'budget', { title: 'Budget', location: 'HQ', start_time: '2062-01-12T10:00:00Z', end_time: '2062-01-12T11:00:00Z' });
    // Tuesdays 08:00–09:00 from 2062-01-03.
    await make(me, 'weekly', {
      title: 'Weekly planning',
      location: 'HQ',
      start_time: '2062-01-03T08:00:00Z',
      end_time: '2062-01-03T09:00:00Z',
      recurrence_pattern: 'weekly',
    });
    await make(me, 'short', {
      title: 'Short series',
      start_time: '2062-01-01T07:00:00Z',
      end_time: '2062-01-01T08:00:00Z',
      recurrence_pattern: 'FREQ=DAILY;COUNT=2',
    });
    await make(other, 'asEditor', { title: 'X editor event', start_time: '2062-01-11T12:00:00Z', end_time: '2062-01-11T13:00:00Z' });
    await make(other, 'asViewer', { title: 'X viewer event', start_time: '2062-01-13T12:00:00Z', end_time: '2062-01-13T13:00:00Z' });
    await make(other, 'hidden', {
      title: 'Budget of X',
      location: 'HQ',
      start_time: '2062-01-12T10:00:00Z',
      end_time: '2062-01-12T11:00:00Z',
    });
    await api.post(`/api/events/${id['asEditor']}/share`, { token: other.access, body: { user_id: me.id, role: 'EDITOR' } });
    await api.post(`/api/events/${id['asViewer']}/share`, { token: other.access, body: { user_id: me.id, role: 'VIEWER' } });
  });

  const find = async (query: string, who: TestUser = me): Promise<Listing> => {
    const res = await api.get(`/api/events?page_size=100&${query}`, { token: who.access });
    expect(res.status, query).toBe(200);
    return res.body;
  };
  const sortedTitles = (body: Listing) => titles(body).sort();

  it('lists own and shared events only, each with the caller’s role', async () => {
    const all = await find('');
    expect(sortedTitles(all)).toEqual(['Budget', 'Design review', 'Short series', 'Weekly planning', 'X editor event', 'X viewer event']);
    expect(all.count).toBe(6);
    const roles = Object.fromEntries(all.results.map((e) => [e['title'], e['my_role']]));
    expect(roles).toEqual({
      Budget: 'OWNER',
      'Design review': 'OWNER',
      'Short series': 'OWNER',
      'Weekly planning': 'OWNER',
      'X editor event': 'EDITOR',
      'X viewer event': 'VIEWER',
    });
  });

  it('never shows another user’s events, whatever the filter', async () => {
    for (const query of ['', 'q=Budget', 'location=HQ', 'role=OWNER', 'start_date=2062-01-01T00:00:00Z&end_date=2062-12-31T00:00:00Z']) {
      const body = await find(query, nobody);
      expect(body, query).toEqual({ results: [], count: 0, num_pages: expect.any(Number), current_page: 1, next: null, previous: null });
    }
    expect((await find('q=Budget')).results.map((e) => e['id'])).toEqual([id['budget']]);
    expect((await find('', other)).results.map((e) => e['id']).sort()).toEqual([id['asEditor'], id['asViewer'], id['hidden']].sort());
  });

  it('filters by role, case-insensitively', async () => {
    expect(sortedTitles(await find('role=OWNER'))).toEqual(['Budget', 'Design review', 'Short series', 'Weekly planning']);
    expect(titles(await find('role=editor'))).toEqual(['X editor event']);
    expect(titles(await find('role=Viewer'))).toEqual(['X viewer event']);
  });

  it('matches q in title, description and location, case-insensitively', async () => {
    expect(titles(await find('q=FIGMA'))).toEqual(['Design review']);
    expect(titles(await find('q=studio'))).toEqual(['Design review']);
    expect(titles(await find('q=x%20viewer'))).toEqual(['X viewer event']);
    expect(titles(await find('q=no-such-text'))).toEqual([]);
  });

  it('filters by location and is_recurring', async () => {
    expect(sortedTitles(await find('location=HQ'))).toEqual(['Budget', 'Weekly planning']);
    expect(sortedTitles(await find('is_recurring=true'))).toEqual(['Short series', 'Weekly planning']);
    expect(sortedTitles(await find('is_recurring=false'))).toEqual(['Budget', 'Design review', 'X editor event', 'X viewer event']);
    expect(titles(await find('is_recurring=true&location=HQ'))).toEqual(['Weekly planning']);
  });

  it('matches a window by overlap, and recurring events by an occurrence inside it', async () => {
    expect(sortedTitles(await find('start_date=2062-01-10T00:00:00Z&end_date=2062-01-14T00:00:00Z'))).toEqual([
      'Budget',
      'Design review',
      'Weekly planning', // its 2062-01-10 occurrence
      'X editor event',
      'X viewer event',
    ]);
    // March: only the weekly series has an occurrence; the COUNT=2 series ended on 2 January.
    expect(titles(await find('start_date=2062-03-01T00:00:00Z&end_date=2062-03-31T00:00:00Z'))).toEqual(['Weekly planning']);
    // A Wednesday: between two Tuesdays, nothing.
    expect(titles(await find('start_date=2062-02-08T00:00:00Z&end_date=2062-02-09T00:00:00Z'))).toEqual([]);
    // An event running across the window's start overlaps it.
    expect(titles(await find('start_date=2062-01-10T10:30:00Z&end_date=2062-01-10T10:45:00Z'))).toEqual(['Design review']);
  });

  it('accepts a window open on one side', async () => {
    expect(sortedTitles(await find('start_date=2062-01-12T00:00:00Z'))).toEqual(['Budget', 'Weekly planning', 'X viewer event']);
    expect(titles(await find('end_date=2062-01-02T00:00:00Z'))).toEqual(['Short series']);
  });

  it('sorts by title, start_time and updated_at', async () => {
    expect(titles(await find('sort=title'))).toEqual([
      'Budget',
      'Design review',
      'Short series',
      'Weekly planning',
      'X editor event',
      'X viewer event',
    ]);
    expect(titles(await find('sort=start_time'))).toEqual([
      'Short series',
      'Weekly planning',
      'Design review',
      'X editor event',
      'Budget',
      'X viewer event',
    ]);
    expect(titles(await find('sort=-start_time'))).toEqual([
      'X viewer event',
      'Budget',
      'X editor event',
      'Design review',
      'Weekly planning',
      'Short series',
    ]);
    // updated_at has second precision: in a later second the touched event is strictly the newest.
    await nextSecond();
    expect(
      (await api.patch(`/api/events/${id['design']}`, { token: me.access, body: { description: 'figma walkthrough, again' } })).status,
    ).toBe(200);
    expect(titles(await find('sort=-updated_at')).at(0)).toBe('Design review');
    expect(titles(await find('sort=updated_at')).at(-1)).toBe('Design review');
  });

  it('expand=true gives one row per occurrence, with the occurrence’s times, sorted by start', async () => {
    const feb = await find('expand=true&start_date=2062-02-01T00:00:00Z&end_date=2062-03-01T00:00:00Z');
    expect(feb.count).toBe(4);
    expect(feb.results.map((e) => [e['id'], e['title'], e['start_time'], e['end_time']])).toEqual(
      ['07', '14', '21', '28'].map((day) => [id['weekly'], 'Weekly planning', `2062-02-${day}T08:00:00Z`, `2062-02-${day}T09:00:00Z`]),
    );
    const week = await find('expand=true&start_date=2062-01-10T00:00:00Z&end_date=2062-01-14T00:00:00Z');
    expect(week.results.map((e) => [e['title'], e['start_time']])).toEqual([
      ['Weekly planning', '2062-01-10T08:00:00Z'],
      ['Design review', '2062-01-10T10:00:00Z'],
      ['X editor event', '2062-01-11T12:00:00Z'],
      ['Budget', '2062-01-12T10:00:00Z'],
      ['X viewer event', '2062-01-13T12:00:00Z'],
    ]);
    const early = await find('expand=true&start_date=2062-01-01T00:00:00Z&end_date=2062-01-04T00:00:00Z');
    expect(early.results.map((e) => [e['title'], e['start_time']])).toEqual([
      ['Short series', '2062-01-01T07:00:00Z'],
      ['Short series', '2062-01-02T07:00:00Z'],
      ['Weekly planning', '2062-01-03T08:00:00Z'],
    ]);
  });

  it('paginates expanded rows', async () => {
    const res = await api.get('/api/events?expand=true&start_date=2062-02-01T00:00:00Z&end_date=2062-03-01T00:00:00Z&page_size=3&page=2', {
      token: me.access,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ count: 4, num_pages: 2, current_page: 2, next: null });
    expect(res.body.results.map((e: { start_time: string }) => e.start_time)).toEqual(['2062-02-28T08:00:00Z']);
  });

  it('combines filters', async () => {
    expect(titles(await find('q=event&role=viewer'))).toEqual(['X viewer event']);
    expect(titles(await find('location=HQ&start_date=2062-01-12T00:00:00Z&end_date=2062-01-12T23:59:59Z&is_recurring=false'))).toEqual([
      'Budget',
    ]);
  });
});

describe('page links by transport', () => {
  it('gives REST callers the contract’s links and tRPC callers page numbers without REST URLs', async () => {
    const rest = await list('page_size=2&q=a');
    expect(rest).toMatchObject({ current_page: 1, next: '/api/events?q=a&page=2&page_size=2', previous: null });
    const input = encodeURIComponent(JSON.stringify({ page_size: 2, q: 'a' }));
    const res = await fetch(`${ctx.url}/trpc/events.list?input=${input}`, { headers: { authorization: `Bearer ${user.access}` } });
    expect(res.status).toBe(200);
    const page = ((await res.json()) as { result: { data: Record<string, unknown> } }).result.data;
    expect(page).toMatchObject({ count: rest.count, num_pages: rest.num_pages, current_page: 1 });
    expect((page['results'] as unknown[]).length).toBe(2);
    expect(page).not.toHaveProperty('next');
    expect(page).not.toHaveProperty('previous');
  });
});
