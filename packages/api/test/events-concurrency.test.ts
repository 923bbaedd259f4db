import { describe, expect, it } from 'vitest';
import { freeSlot } from './support/events.ts';
import { errorBody } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;

describe('concurrency', () => {
  it('lets exactly one of 20 simultaneous overlapping creates through', async () => {
    const owner = await ctx.user('busy');
    const slot = freeSlot(120);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api.post('/api/events', { token: owner.access, body: { title: `race ${i}`, ...slot } })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const loser of results.filter((r) => r.status === 409)) {
      expect(errorBody(loser).code).toBe('EVENT_CONFLICT');
      expect(loser.body.conflicts).toHaveLength(1);
    }
    const listing = await api.get('/api/events', { token: owner.access });
    expect(listing.body.count).toBe(1);
  });

  it('lets exactly one of 20 simultaneous PUTs with the same If-Match win, with contiguous versions', async () => {
    const owner = await ctx.user('writer');
    const event = await ctx.event(owner, { title: 'v1' });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.put(`/api/events/${event.id}`, { token: owner.access, headers: { 'if-match': '"1"' }, body: { title: `writer ${i}` } }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 412)).toHaveLength(19);
    const current = await api.get(`/api/events/${event.id}`, { token: owner.access });
    expect(current.body.version).toBe(2);
    const history = await api.get(`/api/events/${event.id}/history`, { token: owner.access });
    expect(history.body.map((h: { version: number }) => h.version)).toEqual([2, 1]);
  });

  it('keeps versions contiguous under unconditional concurrent updates', async () => {
    const owner = await ctx.user('many');
    const event = await ctx.event(owner);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => api.patch(`/api/events/${event.id}`, { token: owner.access, body: { description: `d${i}` } })),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const history = await api.get(`/api/events/${event.id}/history`, { token: owner.access });
    expect(history.body.map((h: { version: number }) => h.version)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('creates non-overlapping events concurrently without false conflicts', async () => {
    const owner = await ctx.user('parallel');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => api.post('/api/events', { token: owner.access, body: { title: `p${i}`, ...freeSlot() } })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
  });
});

describe('concurrency: who wins and what is left', () => {
  it('the one PUT that wins an If-Match race is the one the event shows; the losers get the 412 error shape', async () => {
    const owner = await ctx.user('race');
    const event = await ctx.event(owner, { title: 'initial' });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.put(`/api/events/${event.id}`, {
          token: owner.access,
          headers: { 'if-match': `"${event.version}"` },
          body: { title: `writer ${i}` },
        }),
      ),
    );
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.body.event.version).toBe(event.version + 1);
    for (const loser of results.filter((r) => r.status !== 200)) {
      expect(loser.status).toBe(412);
      expect(loser.body).toEqual({ error: expect.any(String), code: 'PRECONDITION_FAILED' });
    }
    const current = await api.get(`/api/events/${event.id}`, { token: owner.access });
    expect(current.body.title).toBe(winners[0]!.body.event.title);
    expect(current.body.version).toBe(event.version + 1);
    expect(current.headers.get('etag')).toBe(`"${event.version + 1}"`);
  });

  it('the same race decided by a body version on PATCH', async () => {
    const owner = await ctx.user('bodyrace');
    const event = await ctx.event(owner);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.patch(`/api/events/${event.id}`, { token: owner.access, body: { description: `d${i}`, version: 1 } }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(19).fill(412)]);
    expect((await api.get(`/api/events/${event.id}`, { token: owner.access })).body.version).toBe(2);
  });

  it('sequential conditional updates get contiguous versions 1, 2, 3, …', async () => {
    const owner = await ctx.user('sequence');
    const event = await ctx.event(owner, { title: 't0' });
    let etag = (await api.get(`/api/events/${event.id}`, { token: owner.access })).headers.get('etag')!;
    expect(etag).toBe('"1"');
    for (let i = 1; i <= 6; i++) {
      const res = await api.patch(`/api/events/${event.id}`, {
        token: owner.access,
        headers: { 'if-match': etag },
        body: { title: `t${i}` },
      });
      expect(res.status).toBe(200);
      expect(res.body.event.version).toBe(i + 1);
      etag = (await api.get(`/api/events/${event.id}`, { token: owner.access })).headers.get('etag')!;
      expect(etag).toBe(`"${i + 1}"`);
    }
    const history = await api.get(`/api/events/${event.id}/history`, { token: owner.access });
    expect(history.body.map((h: { version: number }) => h.version)).toEqual([7, 6, 5, 4, 3, 2, 1]);
  });

  it('two updates moving two events into the same slot at once: one 200, one 409', async () => {
    const owner = await ctx.user('movers');
    const a = await ctx.event(owner, { title: 'a' });
    const b = await ctx.event(owner, { title: 'b' });
    const target = freeSlot();
    const results = await Promise.all([a, b].map((e) => api.put(`/api/events/${e.id}`, { token: owner.access, body: target })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const loser = results.find((r) => r.status === 409)!;
    expect(errorBody(loser).code).toBe('EVENT_CONFLICT');
    const inSlot = await api.get(`/api/events?start_date=${target.start_time}&end_date=${target.end_time}`, { token: owner.access });
    expect(inSlot.body.count).toBe(1);
  });

  it('a batch and single creates racing for one slot: only one of them gets it', async () => {
    const owner = await ctx.user('mixed');
    const slot = freeSlot();
    const results = await Promise.all([
      api.post('/api/events/batch', { token: owner.access, body: [{ title: 'batch', ...slot }] }),
      ...Array.from({ length: 5 }, (_, i) => api.post('/api/events', { token: owner.access, body: { title: `single ${i}`, ...slot } })),
    ]);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(5);
    expect((await api.get('/api/events', { token: owner.access })).body.count).toBe(1);
  });

  it('simultaneous overlapping creates with on_conflict=allow all succeed', async () => {
    const owner = await ctx.user('allow');
    const slot = freeSlot();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api.post('/api/events?on_conflict=allow', { token: owner.access, body: { title: `ok ${i}`, ...slot } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect((await api.get('/api/events', { token: owner.access })).body.count).toBe(10);
  });

  it('the same slot on different owners’ calendars never conflicts, even at once', async () => {
    const owners = await Promise.all(Array.from({ length: 8 }, () => ctx.user('solo')));
    const slot = freeSlot();
    const results = await Promise.all(owners.map((o) => api.post('/api/events', { token: o.access, body: { title: 'mine', ...slot } })));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
  });
});
