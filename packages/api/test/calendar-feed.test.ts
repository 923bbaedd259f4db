import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, errorBody, registerUser, type TestUser } from './support/http.ts';
import { readFeed } from './support/ical.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;

const uid = (id: number) => `event-${id}@event-scheduler`;

async function createFeed(user: TestUser): Promise<string> {
  const res = await api.post('/api/calendar/feed', { token: user.access });
  expect(res.status).toBe(201);
  expect(res.body.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/calendar\/[\w-]{43}\.ics$/);
  return res.body.url as string;
}

/** Fetches a feed URL as a calendar app does: no bearer token, optionally with If-None-Match. */
async function fetchFeed(url: string, etag?: string) {
  const res = await fetch(url, { headers: etag ? { 'if-none-match': etag } : {} });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('the calendar feed', () => {
  it('serves, without a bearer, every event the user can read now and nothing else', async () => {
    const [ada, grace] = await ctx.users('feed_ada', 'feed_grace');
    const own = await ctx.event(ada!, { title: 'Planning', description: 'Quarterly; plans, all', location: 'Board Room' });
    const shared = await ctx.event(grace!, { title: 'Shared with ada' });
    await ctx.share(grace!, shared.id, ada!, 'VIEWER');
    const hidden = await ctx.event(grace!, { title: 'Not for ada' });
    const deleted = await ctx.event(ada!, { title: 'Deleted' });
    expect((await api.delete(`/api/events/${deleted.id}`, { token: ada!.access })).status).toBe(200);

    const url = await createFeed(ada!);
    const res = await fetchFeed(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(res.headers.get('etag')).toMatch(/^"[\w-]+"$/);
    expect(res.headers.get('cache-control')).toContain('no-cache');
    const { events } = readFeed(res.text);
    expect(events.map((e) => e.uid).sort()).toEqual([uid(own.id), uid(shared.id)].sort());
    expect(events.map((e) => e.uid)).not.toContain(uid(hidden.id));
    const planning = events.find((e) => e.uid === uid(own.id))!;
    expect(planning).toMatchObject({
      summary: 'Planning',
      description: 'Quarterly; plans, all',
      location: 'Board Room',
      sequence: 0,
      tzid: null,
      rrule: null,
      start: own['start_time'],
      end: own['end_time'],
    });
  });

  it('keeps UIDs across edits while SEQUENCE grows, and answers 304 until something changes', async () => {
    const ada = await ctx.user('feed_seq');
    const event = await ctx.event(ada, { title: 'Before' });
    const url = await createFeed(ada);
    const first = await fetchFeed(url);
    const etag = first.headers.get('etag')!;
    expect(readFeed(first.text).events[0]).toMatchObject({ uid: uid(event.id), sequence: 0, summary: 'Before' });

    const unchanged = await fetchFeed(url, etag);
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe('');
    expect(unchanged.headers.get('etag')).toBe(etag);
    expect((await fetchFeed(url, `W/${etag}`)).status).toBe(304);

    for (const title of ['After', 'After again']) {
      const res = await api.patch(`/api/events/${event.id}`, { token: ada.access, body: { title, location: 'Room 2' } });
      expect(res.status).toBe(200);
    }
    const edited = await fetchFeed(url, etag);
    expect(edited.status).toBe(200);
    expect(edited.headers.get('etag')).not.toBe(etag);
    expect(readFeed(edited.text).events).toEqual([
      expect.objectContaining({ uid: uid(event.id), sequence: 2, summary: 'After again', location: 'Room 2' }),
    ]);
  });

  it('changes its ETag and drops the event when a share is revoked', async () => {
    const [ada, grace] = await ctx.users('feed_rev_a', 'feed_rev_g');
    const shared = await ctx.event(grace!, { title: 'Shared for a while' });
    await ctx.share(grace!, shared.id, ada!, 'EDITOR');
    const url = await createFeed(ada!);
    const before = await fetchFeed(url);
    expect(readFeed(before.text).events.map((e) => e.uid)).toEqual([uid(shared.id)]);
    expect((await api.delete(`/api/events/${shared.id}/permissions/${ada!.id}`, { token: grace!.access })).status).toBe(200);
    const after = await fetchFeed(url, before.headers.get('etag')!);
    expect(after.status).toBe(200);
    expect(readFeed(after.text).events).toEqual([]);
  });

  it('writes a zoned weekly event with TZID, VTIMEZONE and RRULE whose occurrences match the API across the DST change', async () => {
    const ada = await ctx.user('feed_dst');
    // 09:00 in Berlin: 08:00Z before the change of 2026-03-29, 07:00Z after it.
    const weekly = await ctx.event(ada, {
      title: 'Berlin weekly',
      start_time: '2026-03-16 09:00',
      end_time: '2026-03-16 10:00',
      timezone: 'Europe/Berlin',
      recurrence_pattern: 'FREQ=WEEKLY;COUNT=5',
    });
    const url = await createFeed(ada);
    const { events, timezones } = readFeed((await fetchFeed(url)).text);
    expect(timezones).toContain('Europe/Berlin');
    const event = events.find((e) => e.uid === uid(weekly.id))!;
    expect(event).toMatchObject({ tzid: 'Europe/Berlin', rrule: 'FREQ=WEEKLY;COUNT=5' });
    const expanded = event.occurrences('2026-05-01T00:00:00Z');
    expect(expanded).toEqual([
      '2026-03-16T08:00:00Z',
      '2026-03-23T08:00:00Z',
      '2026-03-30T07:00:00Z',
      '2026-04-06T07:00:00Z',
      '2026-04-13T07:00:00Z',
    ]);
    const api_ = await api.get(`/api/events/${weekly.id}/occurrences?from=2026-03-01T00:00:00Z&to=2026-05-01T00:00:00Z`, {
      token: ada.access,
    });
    expect(api_.status).toBe(200);
    expect(api_.body.map((o: { start_time: string }) => o.start_time)).toEqual(expanded);
  });

  it('rotates (the old URL is 404), turns off (404), and 404s a wrong secret', async () => {
    const ada = await ctx.user('feed_rot');
    await ctx.event(ada, { title: 'Rotating' });
    const first = await createFeed(ada);
    expect((await fetchFeed(first)).status).toBe(200);
    const second = await createFeed(ada);
    expect(second).not.toBe(first);
    const old = await fetchFeed(first);
    expect(old.status).toBe(404);
    expect(JSON.parse(old.text)).toMatchObject({ code: 'NOT_FOUND' });
    expect((await fetchFeed(second)).status).toBe(200);

    const off = await api.delete('/api/calendar/feed', { token: ada.access });
    expect(off.status).toBe(200);
    expect(off.body).toEqual({ message: expect.any(String) });
    expect((await fetchFeed(second)).status).toBe(404);
    expect(errorBody(await api.delete('/api/calendar/feed', { token: ada.access })).code).toBe('NOT_FOUND');

    const trail = await api.get('/api/audit?page_size=100', { token: ada.access });
    const actions = (trail.body.results as Array<{ action: string }>).map((r) => r.action).filter((a) => a.startsWith('calendar.'));
    expect(actions.sort()).toEqual(['calendar.feed_create', 'calendar.feed_delete', 'calendar.feed_rotate']);

    expect((await api.get('/api/calendar/not-a-real-secret-at-all-000000000000000000.ics')).status).toBe(404);
    expect((await api.get('/api/calendar/x.ics')).status).toBe(404);
  });

  it('needs a bearer to create or delete a feed', async () => {
    expect((await api.post('/api/calendar/feed')).status).toBe(401);
    expect((await api.delete('/api/calendar/feed')).status).toBe(401);
  });
});

describe('the feed URL', () => {
  const servers: TestServer[] = [];
  // Runs before the shared server stops (after-hooks run last-registered first).
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });
  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'cal.example.com' };

  it('follows X-Forwarded-Proto/-Host only from a trusted proxy, and PUBLIC_URL when it is set', async () => {
    const ada = await ctx.user('feed_url');
    const direct = await api.post('/api/calendar/feed', { token: ada.access, headers: forwarded });
    expect(direct.body.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/calendar\/[\w-]{43}\.ics$/);

    const proxied = await startTestServer({ TRUST_PROXY: 'loopback' }, ctx.server.database);
    servers.push(proxied);
    const behindProxy = apiClient(proxied.url);
    const grace = await registerUser(behindProxy, 'feed_url_proxy');
    const viaProxy = await behindProxy.post('/api/calendar/feed', { token: grace.access, headers: forwarded });
    expect(viaProxy.body.url).toMatch(/^https:\/\/cal\.example\.com\/api\/calendar\/[\w-]{43}\.ics$/);

    const configured = await startTestServer({ PUBLIC_URL: 'https://scheduler.example.org/base/' }, ctx.server.database);
    servers.push(configured);
    const withPublicUrl = apiClient(configured.url);
    const alan = await registerUser(withPublicUrl, 'feed_url_public');
    const res = await withPublicUrl.post('/api/calendar/feed', { token: alan.access, headers: forwarded });
    expect(res.body.url).toMatch(/^https:\/\/scheduler\.example\.org\/base\/api\/calendar\/[\w-]{43}\.ics$/);
    // The secret works on any instance: the path after the public prefix is the feed.
    const secretPath = new URL(res.body.url as string).pathname.replace(/^\/base/, '');
    expect((await fetch(`${configured.url}${secretPath}`)).status).toBe(200);
  });
});
