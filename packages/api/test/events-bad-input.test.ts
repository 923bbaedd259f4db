import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent } from './support/events.ts';
import { apiClient, errorBody, registerUser, type ApiClient, type TestUser } from './support/http.ts';
import { startTestServer, type TestServer } from './support/server.ts';

let server: TestServer;
let api: ApiClient;
let user: TestUser;
let eventId: number;
let versionId: number;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  user = await registerUser(api, 'hostile');
  eventId = (await createEvent(api, user, { title: 'target' })).id;
  versionId = (await api.get(`/api/events/${eventId}/history`, { token: user.access })).body[0].version_id;
});
afterAll(() => server?.stop());

const valid = { title: 'ok', start_time: '2049-01-01T10:00:00Z', end_time: '2049-01-01T11:00:00Z' };

/** Every answer to hostile input: a 4xx with the contract's error shape, never a 5xx. */
function expectClientError(res: { status: number; text: string }, status = 400) {
  expect(res.status, res.text).toBe(status);
  errorBody(res as never);
}

describe('bad input on event writes', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['missing title', { start_time: valid.start_time, end_time: valid.end_time }, 'title'],
    ['empty title', { ...valid, title: '   ' }, 'title'],
    ['title too long', { ...valid, title: 'x'.repeat(201) }, 'title'],
    ['description too long', { ...valid, description: 'y'.repeat(200_001) }, 'description'],
    ['title not a string', { ...valid, title: 42 }, 'title'],
    ['missing start', { title: 'x', end_time: valid.end_time }, 'start_time'],
    ['impossible date', { ...valid, start_time: '2025-13-45T10:00:00Z' }, 'start_time'],
    ['words for a date', { ...valid, start_time: 'yesterday' }, 'start_time'],
    ['date as number', { ...valid, end_time: 1700000000 }, 'end_time'],
    ['february 30', { ...valid, start_time: '2049-02-30T10:00:00Z' }, 'start_time'],
    ['end before start', { ...valid, end_time: '2049-01-01T09:00:00Z' }, 'end_time'],
    ['unknown timezone', { ...valid, timezone: 'Narnia/Cair_Paravel' }, 'timezone'],
    ['recurrence of wrong type', { ...valid, recurrence_pattern: 7 }, 'recurrence_pattern'],
    ['is_recurring not boolean', { ...valid, is_recurring: 'yes' }, 'is_recurring'],
    ['location too long', { ...valid, location: 'z'.repeat(501) }, 'location'],
  ];

  it.each(cases)('POST /api/events: %s → 400 naming %s', async (_name, body, path) => {
    const res = await api.post('/api/events', { token: user.access, body });
    expectClientError(res);
    expect(errorBody(res).details?.map((d) => d.path)).toContain(path);
  });

  it.each(cases.filter(([, body]) => 'title' in body && 'start_time' in body && 'end_time' in body))(
    'PUT /api/events/{id}: %s → 400',
    async (_name, body) => {
      const res = await api.put(`/api/events/${eventId}`, { token: user.access, body });
      expectClientError(res);
    },
  );

  it('rejects a bad on_conflict and leaves the event untouched after every failure', async () => {
    expectClientError(await api.post('/api/events?on_conflict=maybe', { token: user.access, body: valid }));
    const res = await api.get(`/api/events/${eventId}`, { token: user.access });
    expect(res.body).toMatchObject({ title: 'target', version: 1 });
  });

  it('answers malformed JSON, wrong content types and non-object bodies on writes', async () => {
    expectClientError(await api.post('/api/events', { token: user.access, raw: '{"title": "x",', headers: { 'content-type': 'application/json' } }));
    expectClientError(await api.put(`/api/events/${eventId}`, { token: user.access, raw: 'title=x', headers: { 'content-type': 'text/plain' } }), 415);
    expectClientError(await api.post('/api/events', { token: user.access, raw: '"just a string"', headers: { 'content-type': 'application/json' } }));
    expectClientError(await api.patch(`/api/events/${eventId}`, { token: user.access, raw: '[1,2,3]', headers: { 'content-type': 'application/json' } }));
  });
});

describe('bad ids and parameters on every event route', () => {
  const routes: Array<[string, (id: string) => Promise<{ status: number; text: string }>]> = [
    ['GET event', (id) => api.get(`/api/events/${id}`, { token: user.access })],
    ['PUT event', (id) => api.put(`/api/events/${id}`, { token: user.access, body: valid })],
    ['PATCH event', (id) => api.patch(`/api/events/${id}`, { token: user.access, body: valid })],
    ['DELETE event', (id) => api.delete(`/api/events/${id}`, { token: user.access })],
    ['occurrences', (id) => api.get(`/api/events/${id}/occurrences`, { token: user.access })],
    ['share', (id) => api.post(`/api/events/${id}/share`, { token: user.access, body: { user_id: 1, role: 'VIEWER' } })],
    ['permissions', (id) => api.get(`/api/events/${id}/permissions`, { token: user.access })],
    ['history', (id) => api.get(`/api/events/${id}/history`, { token: user.access })],
    ['changelog', (id) => api.get(`/api/events/${id}/changelog`, { token: user.access })],
    ['version', (id) => api.get(`/api/events/${id}/history/${versionId}`, { token: user.access })],
    ['rollback', (id) => api.post(`/api/events/${id}/rollback/${versionId}`, { token: user.access })],
    ['diff', (id) => api.get(`/api/events/${id}/diff/${versionId}/${versionId}`, { token: user.access })],
  ];

  it.each(routes)('%s: non-numeric, negative, fractional and huge ids → 400; unknown id → 404', async (_name, call) => {
    for (const id of ['abc', '-5', '2.5', '99999999999', '%00']) expectClientError(await call(id));
    expectClientError(await call('2147480000'), 404);
  });

  it('answers bad nested ids with 400 and unknown nested ids with 404', async () => {
    expectClientError(await api.put(`/api/events/${eventId}/permissions/abc`, { token: user.access, body: { role: 'VIEWER' } }));
    expectClientError(await api.delete(`/api/events/${eventId}/permissions/-1`, { token: user.access }));
    expectClientError(await api.put(`/api/events/${eventId}/permissions/2147480000`, { token: user.access, body: { role: 'VIEWER' } }), 404);
    expectClientError(await api.put(`/api/events/${eventId}/permissions/${user.id}`, { token: user.access, body: { role: 'SUPREME' } }));
    expectClientError(await api.get(`/api/events/${eventId}/history/xyz`, { token: user.access }));
    expectClientError(await api.get(`/api/events/${eventId}/history/2147480000`, { token: user.access }), 404);
    expectClientError(await api.get(`/api/events/${eventId}/diff/${versionId}/nope`, { token: user.access }));
    expectClientError(await api.get(`/api/events/${eventId}/history?limit=100000`, { token: user.access }));
    expectClientError(await api.get(`/api/audit?page=-1`, { token: user.access }));
    expectClientError(await api.get(`/api/sync?limit=abc`, { token: user.access }));
  });
});
