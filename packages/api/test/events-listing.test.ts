import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser, type ApiClient, type TestUser } from './support/http.ts';
import { startTestServer, type TestServer } from './support/server.ts';

let server: TestServer;
let api: ApiClient;
let user: TestUser;
let friend: TestUser;
const ids: Record<string, number> = {};

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  user = await registerUser(api, 'lister');
  friend = await registerUser(api, 'friend');
  const make = async (who: TestUser, key: string, body: Record<string, unknown>) => {
    const res = await api.post('/api/events', { token: who.access, body });
    if (res.status !== 201) throw new Error(res.text);
    ids[key] = res.body.event.id;
  };
  await make(user, 'alpha', { title: 'Alpha review', description: 'budget', location: 'Room A', start_time: '2048-01-10T09:00:00Z', end_time: '2048-01-10T10:00:00Z' });
  await make(user, 'beta', { title: 'Beta launch', location: 'Hall', start_time: '2048-01-20T09:00:00Z', end_time: '2048-01-20T10:00:00Z' });
  await make(user, 'gamma', { title: 'gamma retro', description: 'what went well', start_time: '2048-02-10T09:00:00Z', end_time: '2048-02-10T10:00:00Z' });
  await make(user, 'weekly', { title: 'Weekly sync', start_time: '2047-12-01T15:00:00Z', end_time: '2047-12-01T15:30:00Z', recurrence_pattern: 'weekly' });
  await make(friend, 'shared', { title: 'Friend party', location: 'Room A', start_time: '2048-01-15T18:00:00Z', end_time: '2048-01-15T22:00:00Z' });
  await make(friend, 'private', { title: 'Friend secret', start_time: '2048-01-16T18:00:00Z', end_time: '2048-01-16T22:00:00Z' });
  await api.post(`/api/events/${ids['shared']}/share`, { token: friend.access, body: { user_id: user.id, role: 'VIEWER' } });
});
afterAll(() => server?.stop());

const list = async (query: string) => {
  const res = await api.get(`/api/events?${query}`, { token: user.access });
  expect(res.status, query).toBe(200);
  return res.body as { results: Array<{ id: number; title: string; my_role: string; start_time: string }>; count: number; num_pages: number; current_page: number; next: string | null; previous: string | null };
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
    expect(titles(await list('sort=-start_time&page_size=100'))).toEqual(['gamma retro', 'Beta launch', 'Friend party', 'Alpha review', 'Weekly sync']);
    expect(titles(await list('sort=title&page_size=100'))).toEqual(['Alpha review', 'Beta launch', 'Friend party', 'Weekly sync', 'gamma retro']);
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
    for (const query of ['page=0', 'page_size=101', 'sort=owner', 'start_date=never', 'is_recurring=maybe', 'role=admin', 'expand=true', 'start_date=2048-02-01T00:00:00Z&end_date=2048-01-01T00:00:00Z', 'limit=0']) {
      const res = await api.get(`/api/events?${query}`, { token: user.access });
      expect(res.status, query).toBe(400);
      expect(res.body.code).toBe('VALIDATION_ERROR');
    }
  });
});
