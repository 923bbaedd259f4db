import { createTRPCClient, httpLink } from '@trpc/client';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../src/routers/root.ts';
import { errorBody, type ApiResponse, type TestUser } from './support/http.ts';
import { wsSubscriber } from './support/live.ts';
import { useTestServer } from './support/test-context.ts';
import { iso, nextSecond } from './support/time.ts';

const ctx = useTestServer();
const { api } = ctx;

type Ev = { id: number; version: number; tags: string[]; metadata: Record<string, unknown>; [key: string]: unknown };

function expectValidation(res: ApiResponse, path: string) {
  expect(res.status, res.text).toBe(400);
  const body = errorBody(res);
  expect(body.code).toBe('VALIDATION_ERROR');
  expect(body.details?.map((d) => d.path)).toContain(path);
}

const create = (user: TestUser, body: Record<string, unknown>) => ctx.event(user, body) as Promise<Ev>;
const patch = (user: TestUser, id: number, body: Record<string, unknown>) => api.patch(`/api/events/${id}`, { token: user.access, body });
const historyOf = async (user: TestUser, id: number) =>
  (await api.get(`/api/events/${id}/history`, { token: user.access })).body as Array<{ version_id: number; version: number }>;

describe('tags and metadata as input', () => {
  let owner: TestUser;
  beforeAll(async () => {
    owner = await ctx.user('tagin');
  });

  it('trims and lower-cases tags, drops duplicates, keeps the order, and stores metadata as given', async () => {
    const metadata = { budget: { code: 'OPS-7', amount: 1200.5 }, flags: [true, null, 'x'], note: 'ünïcode ✓' };
    const event = await create(owner, { tags: ['  Team-A ', 'q2', 'TEAM-A', 'x.y:z_1', 'Q2'], metadata });
    expect(event.tags).toEqual(['team-a', 'q2', 'x.y:z_1']);
    expect(event.metadata).toEqual(metadata);
    const read = await api.get(`/api/events/${event.id}`, { token: owner.access });
    expect(read.body.tags).toEqual(['team-a', 'q2', 'x.y:z_1']);
    expect(read.body.metadata).toEqual(metadata);
  });

  it('defaults to no tags and an empty object', async () => {
    const event = await create(owner, {});
    expect(event.tags).toEqual([]);
    expect(event.metadata).toEqual({});
  });

  it('accepts 20 tags, and more entries when duplicates bring them down to 20', async () => {
    const twenty = Array.from({ length: 20 }, (_, i) => `t${i}`);
    expect((await create(owner, { tags: twenty })).tags).toEqual(twenty);
    expect((await create(owner, { tags: [...twenty, 'T0', 't1 '] })).tags).toEqual(twenty);
  });

  it('refuses 21 tags, a tag over 40 characters, bad characters and empty tags, naming the field', async () => {
    const base = { title: 'x', start_time: '2041-01-01T10:00:00Z', end_time: '2041-01-01T11:00:00Z' };
    const post = (body: Record<string, unknown>) => api.post('/api/events', { token: owner.access, body: { ...base, ...body } });
    expectValidation(await post({ tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }), 'tags');
    expect((await post({ tags: ['a'.repeat(40)] })).status).toBe(201);
    expectValidation(await post({ tags: ['ok', 'a'.repeat(41)] }), 'tags.1');
    expectValidation(await post({ tags: ['two words'] }), 'tags.0');
    expectValidation(await post({ tags: ['naïve'] }), 'tags.0');
    expectValidation(await post({ tags: ['a/b'] }), 'tags.0');
    expectValidation(await post({ tags: ['   '] }), 'tags.0');
    expectValidation(await post({ tags: 'solo' }), 'tags');
    expectValidation(await post({ tags: [7] }), 'tags.0');
  });

  it('refuses metadata over 8 KB as JSON, arrays and non-objects', async () => {
    const base = { title: 'x', start_time: '2041-01-02T10:00:00Z', end_time: '2041-01-02T11:00:00Z' };
    const post = (body: Record<string, unknown>) => api.post('/api/events', { token: owner.access, body: { ...base, ...body } });
    // {"k":"…"} is 8 bytes around the value.
    const exactly = { k: 'v'.repeat(8 * 1024 - 8) };
    expect(JSON.stringify(exactly)).toHaveLength(8192);
    const ok = await post({ metadata: exactly });
    expect(ok.status, ok.text).toBe(201);
    expectValidation(await post({ metadata: { k: 'v'.repeat(8 * 1024 - 7) } }), 'metadata');
    // Measured in bytes of the JSON text: 4096 two-byte characters are 8 KB on their own.
    expectValidation(await post({ metadata: { k: 'é'.repeat(4096) } }), 'metadata');
    expectValidation(await post({ metadata: [1, 2] }), 'metadata');
    expectValidation(await post({ metadata: 'text' }), 'metadata');
    expectValidation(await post({ metadata: null }), 'metadata');
  });

  it('validates on PUT and PATCH too, and a failed update changes nothing', async () => {
    const event = await create(owner, { tags: ['keep'] });
    expectValidation(await patch(owner, event.id, { tags: ['bad tag'] }), 'tags.0');
    expectValidation(
      await api.put(`/api/events/${event.id}`, { token: owner.access, body: { metadata: { k: 'v'.repeat(9000) } } }),
      'metadata',
    );
    const read = await api.get(`/api/events/${event.id}`, { token: owner.access });
    expect(read.body).toMatchObject({ tags: ['keep'], metadata: {}, version: 1 });
  });

  it('creates a batch with tags and metadata, and reports a bad item by index', async () => {
    const slot = (day: number) => ({ start_time: `2041-02-0${day}T10:00:00Z`, end_time: `2041-02-0${day}T11:00:00Z` });
    const res = await api.post('/api/events/batch', {
      token: owner.access,
      body: [
        { title: 'one', ...slot(1), tags: ['Batch', 'batch', 'ONE'], metadata: { n: 1 } },
        { title: 'two', ...slot(2) },
      ],
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.created_events.map((e: Ev) => [e.tags, e.metadata])).toEqual([
      [['batch', 'one'], { n: 1 }],
      [[], {}],
    ]);
    const history = await api.get(
      `/api/events/${res.body.created_events[0].id}/history/${(await historyOf(owner, res.body.created_events[0].id))[0]!.version_id}`,
      {
        token: owner.access,
      },
    );
    expect(history.body).toMatchObject({ tags: ['batch', 'one'], metadata: { n: 1 } });
    const bad = await api.post('/api/events/batch', {
      token: owner.access,
      body: [
        { title: 'fine', ...slot(3) },
        { title: 'bad', ...slot(4), tags: ['no spaces'] },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ index: 1, details: [expect.objectContaining({ path: 'tags.0' })] })]);
  });
});

describe('listing by tags', () => {
  let user: TestUser;
  let a: Ev, b: Ev, c: Ev;
  beforeAll(async () => {
    user = await ctx.user('tagfilter');
    a = await create(user, { title: 'a', tags: ['x', 'y'] });
    b = await create(user, { title: 'b', tags: ['y'] });
    c = await create(user, { title: 'c', tags: ['z'] });
    await create(user, { title: 'untagged' });
  });
  const ids = async (query: string) => {
    const res = await api.get(`/api/events?sort=title&${query}`, { token: user.access });
    expect(res.status, res.text).toBe(200);
    return res.body.results.map((e: Ev) => e.id);
  };

  it('finds events with any of the tags by default and with all of them with tags_mode=all', async () => {
    expect(await ids('tags=x,y')).toEqual([a.id, b.id]);
    expect(await ids('tags=x,y&tags_mode=any')).toEqual([a.id, b.id]);
    expect(await ids('tags=x,y&tags_mode=all')).toEqual([a.id]);
    expect(await ids('tags=z&tags=x')).toEqual([a.id, c.id]);
    expect(await ids('tags=nothing')).toEqual([]);
  });

  it('normalizes the filter like input tags', async () => {
    expect(await ids('tags=%20Y%20')).toEqual([a.id, b.id]);
    expect(await ids('tags=X,Y&tags_mode=all')).toEqual([a.id]);
  });

  it('refuses a bad tag or mode in the filter with 400', async () => {
    expectValidation(await api.get('/api/events?tags=a%20b', { token: user.access }), 'tags.0');
    expectValidation(await api.get(`/api/events?tags=${'a'.repeat(41)}`, { token: user.access }), 'tags.0');
    expectValidation(await api.get('/api/events?tags=x&tags_mode=some', { token: user.access }), 'tags_mode');
  });
});

describe('GET /api/tags', () => {
  it('counts tags over the events the caller can read now, most used first, then alphabetical', async () => {
    const [me, friend, stranger] = await ctx.users('tagme', 'tagfriend', 'tagstranger');
    await create(me!, { tags: ['work', 'beta'] });
    await create(me!, { tags: ['work', 'alpha'] });
    const shared = await create(friend!, { tags: ['work', 'shared'] });
    await ctx.share(friend!, shared.id, me!, 'VIEWER');
    await create(friend!, { tags: ['private-to-friend'] });
    await create(stranger!, { tags: ['work', 'stranger'] });
    const gone = await create(me!, { tags: ['deleted', 'work'] });
    expect((await api.delete(`/api/events/${gone.id}`, { token: me!.access })).status).toBe(200);

    const res = await api.get('/api/tags', { token: me!.access });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { tag: 'work', count: 3 },
      { tag: 'alpha', count: 1 },
      { tag: 'beta', count: 1 },
      { tag: 'shared', count: 1 },
    ]);

    // Losing access takes the shared event's tags away.
    await api.delete(`/api/events/${shared.id}/permissions/${me!.id}`, { token: friend!.access });
    expect((await api.get('/api/tags/', { token: me!.access })).body).toEqual([
      { tag: 'work', count: 2 },
      { tag: 'alpha', count: 1 },
      { tag: 'beta', count: 1 },
    ]);
    expect((await api.get('/api/tags')).status).toBe(401);
  });

  it('answers the same over tRPC (tags.list)', async () => {
    const me = await ctx.user('tagtrpc');
    await create(me, { tags: ['b', 'a'] });
    await create(me, { tags: ['b'] });
    const client = createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${ctx.url}/trpc`, headers: { authorization: `Bearer ${me.access}` } })],
    });
    expect(await client.tags.list.query({})).toEqual([
      { tag: 'b', count: 2 },
      { tag: 'a', count: 1 },
    ]);
  });
});

describe('tags and metadata are versioned content', () => {
  let owner: TestUser;
  beforeAll(async () => {
    owner = await ctx.user('tagver');
  });

  it('versions a change, shows it in the changelog and diff, and rolls it back', async () => {
    const event = await create(owner, { tags: ['one'], metadata: { a: 1, nested: { x: 1, y: 2 } } });
    const changed = await patch(owner, event.id, { tags: ['one', 'two'], metadata: { a: 2, nested: { x: 1, y: 2 } } });
    expect(changed.status).toBe(200);
    expect(changed.body.event).toMatchObject({ version: 2, tags: ['one', 'two'], metadata: { a: 2, nested: { x: 1, y: 2 } } });

    const log = await api.get(`/api/events/${event.id}/changelog`, { token: owner.access });
    expect(log.body[1].changed_fields).toEqual({
      tags: { from: ['one'], to: ['one', 'two'] },
      metadata: { from: { a: 1, nested: { x: 1, y: 2 } }, to: { a: 2, nested: { x: 1, y: 2 } } },
    });
    const [v2, v1] = await historyOf(owner, event.id);
    const diff = await api.get(`/api/events/${event.id}/diff/${v1!.version_id}/${v2!.version_id}`, { token: owner.access });
    expect(diff.body).toEqual({
      tags: { version_1: ['one'], version_2: ['one', 'two'] },
      metadata: { version_1: { a: 1, nested: { x: 1, y: 2 } }, version_2: { a: 2, nested: { x: 1, y: 2 } } },
    });
    const snapshot = await api.get(`/api/events/${event.id}/history/${v1!.version_id}`, { token: owner.access });
    expect(snapshot.body).toMatchObject({ version: 1, tags: ['one'], metadata: { a: 1, nested: { x: 1, y: 2 } } });

    const rolled = await api.post(`/api/events/${event.id}/rollback/${v1!.version_id}`, { token: owner.access });
    expect(rolled.status).toBe(200);
    expect(rolled.body.event).toMatchObject({ version: 3, tags: ['one'], metadata: { a: 1, nested: { x: 1, y: 2 } } });
    const read = await api.get(`/api/events/${event.id}`, { token: owner.access });
    expect(read.body).toMatchObject({ version: 3, tags: ['one'], metadata: { a: 1, nested: { x: 1, y: 2 } } });
  });

  it('makes no version for a PATCH that changes nothing: same tags written differently, same metadata in another key order', async () => {
    const event = await create(owner, { tags: ['alpha', 'beta'], metadata: { a: 1, b: { c: [1, 2], d: null } } });
    const same = await patch(owner, event.id, { tags: [' ALPHA', 'beta', 'Beta'], metadata: { b: { d: null, c: [1, 2] }, a: 1 } });
    expect(same.status).toBe(200);
    expect(same.body.event.version).toBe(1);
    expect(await historyOf(owner, event.id)).toHaveLength(1);
    // Order is part of the tags: reordering them is a change.
    const reordered = await patch(owner, event.id, { tags: ['beta', 'alpha'] });
    expect(reordered.body.event).toMatchObject({ version: 2, tags: ['beta', 'alpha'], metadata: { a: 1, b: { c: [1, 2], d: null } } });
    // A PATCH without them keeps them.
    const other = await patch(owner, event.id, { title: 'renamed' });
    expect(other.body.event).toMatchObject({ version: 3, tags: ['beta', 'alpha'], metadata: { a: 1, b: { c: [1, 2], d: null } } });
    // Giving them replaces them whole.
    const cleared = await patch(owner, event.id, { tags: [], metadata: {} });
    expect(cleared.body.event).toMatchObject({ version: 4, tags: [], metadata: {} });
  });

  it('answers as_of with the tags and metadata of that moment, in the event and in the listing', async () => {
    const event = await create(owner, { title: 'asof-tags', tags: ['before'], metadata: { phase: 1 } });
    // One second past the creation's (second precision) audit time; the patch waits until after it.
    const audit = await api.get('/api/audit?page_size=1', { token: owner.access });
    const moment = iso(Date.parse(audit.body.results[0].at) + 1000);
    await nextSecond();
    await patch(owner, event.id, { tags: ['after'], metadata: { phase: 2 } });
    const then = await api.get(`/api/events/${event.id}?as_of=${encodeURIComponent(moment)}`, { token: owner.access });
    expect(then.status, then.text).toBe(200);
    expect(then.body).toMatchObject({ tags: ['before'], metadata: { phase: 1 } });
    const list = await api.get(`/api/events?as_of=${encodeURIComponent(moment)}&tags=before`, { token: owner.access });
    expect(list.body.results.map((e: Ev) => [e.id, e.tags, e.metadata])).toEqual([[event.id, ['before'], { phase: 1 }]]);
    const none = await api.get(`/api/events?as_of=${encodeURIComponent(moment)}&tags=after`, { token: owner.access });
    expect(none.body.results).toEqual([]);
  });

  it('carries tags and metadata in live messages and in sync', async () => {
    const user = await ctx.user('taglive');
    const start = await api.get('/api/sync', { token: user.access });
    const sub = wsSubscriber(ctx.url, user.access);
    await sub.ready;
    try {
      const event = await create(user, { tags: ['live'], metadata: { v: 1 } });
      await patch(user, event.id, { tags: ['live', 'updated'], metadata: { v: 2 } });
      await sub.inbox.waitFor((inbox) => inbox.types(event.id).includes('event.updated'));
      const messages = sub.inbox.messages.filter((m) => m.event_id === event.id);
      expect(messages.map((m) => [m.type, m.event?.tags, m.event?.metadata])).toEqual([
        ['event.created', ['live'], { v: 1 }],
        ['event.updated', ['live', 'updated'], { v: 2 }],
      ]);
      const sync = await api.get(`/api/sync?cursor=${start.body.next_cursor}`, { token: user.access });
      const upserts = sync.body.changes.filter((c: { event_id: number }) => c.event_id === event.id);
      expect(upserts.at(-1).event).toMatchObject({ tags: ['live', 'updated'], metadata: { v: 2 } });
      const snapshot = await api.get('/api/sync', { token: user.access });
      expect(snapshot.body.changes.find((c: { event_id: number }) => c.event_id === event.id).event).toMatchObject({
        tags: ['live', 'updated'],
        metadata: { v: 2 },
      });
    } finally {
      await sub.close();
    }
  });
});
