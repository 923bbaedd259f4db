import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, freeSlot } from './support/events.ts';
import { apiClient, errorBody, registerUser, type ApiClient } from './support/http.ts';
import { startTestServer, type TestServer } from './support/server.ts';

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
});
afterAll(() => server?.stop());

describe('concurrency', () => {
  it('lets exactly one of 20 simultaneous overlapping creates through', async () => {
    const owner = await registerUser(api, 'busy');
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
    const owner = await registerUser(api, 'writer');
    const event = await createEvent(api, owner, { title: 'v1' });
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
    const owner = await registerUser(api, 'many');
    const event = await createEvent(api, owner);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => api.patch(`/api/events/${event.id}`, { token: owner.access, body: { description: `d${i}` } })),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const history = await api.get(`/api/events/${event.id}/history`, { token: owner.access });
    expect(history.body.map((h: { version: number }) => h.version)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('creates non-overlapping events concurrently without false conflicts', async () => {
    const owner = await registerUser(api, 'parallel');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => api.post('/api/events', { token: owner.access, body: { title: `p${i}`, ...freeSlot() } })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
  });
});
