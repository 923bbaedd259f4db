import { beforeAll, describe, expect, it } from 'vitest';
import { errorBody, type TestUser } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;
let user: TestUser;
let eventId: number;
let versionId: number;

beforeAll(async () => {
  user = await ctx.user('hostile');
  eventId = (await ctx.event(user, { title: 'target' })).id;
  versionId = (await api.get(`/api/events/${eventId}/history`, { token: user.access })).body[0].version_id;
});

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
    expectClientError(
      await api.post('/api/events', { token: user.access, raw: '{"title": "x",', headers: { 'content-type': 'application/json' } }),
    );
    expectClientError(
      await api.put(`/api/events/${eventId}`, { token: user.access, raw: 'title=x', headers: { 'content-type': 'text/plain' } }),
      415,
    );
    expectClientError(
      await api.post('/api/events', { token: user.access, raw: '"just a string"', headers: { 'content-type': 'application/json' } }),
    );
    expectClientError(
      await api.patch(`/api/events/${eventId}`, { token: user.access, raw: '[1,2,3]', headers: { 'content-type': 'application/json' } }),
    );
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
    expectClientError(
      await api.put(`/api/events/${eventId}/permissions/2147480000`, { token: user.access, body: { role: 'VIEWER' } }),
      404,
    );
    expectClientError(await api.put(`/api/events/${eventId}/permissions/${user.id}`, { token: user.access, body: { role: 'SUPREME' } }));
    expectClientError(await api.get(`/api/events/${eventId}/history/xyz`, { token: user.access }));
    expectClientError(await api.get(`/api/events/${eventId}/history/2147480000`, { token: user.access }), 404);
    expectClientError(await api.get(`/api/events/${eventId}/diff/${versionId}/nope`, { token: user.access }));
    expectClientError(await api.get(`/api/events/${eventId}/history?limit=100000`, { token: user.access }));
    expectClientError(await api.get(`/api/audit?page=-1`, { token: user.access }));
    expectClientError(await api.get(`/api/sync?limit=abc`, { token: user.access }));
  });
});

/** A 400 VALIDATION_ERROR in the contract shape, whose details name `path` when given. */
function expectValidation(res: { status: number; text: string; body: any }, path?: string) {
  expect(res.status, res.text).toBe(400);
  const error = errorBody(res as never);
  expect(error.code).toBe('VALIDATION_ERROR');
  if (path !== undefined) {
    expect(Array.isArray(error.details), res.text).toBe(true);
    for (const detail of error.details!) expect(detail).toEqual({ path: expect.any(String), message: expect.any(String) });
    expect(
      error.details!.map((d) => d.path),
      res.text,
    ).toContain(path);
  }
}

describe('wrong types and values for every event field', () => {
  const cases: Array<[string, unknown, string]> = [
    ['title', null, 'title'],
    ['title', ['a'], 'title'],
    ['title', { text: 'a' }, 'title'],
    ['title', 't'.repeat(201), 'title'],
    ['description', 5, 'description'],
    ['description', 'd'.repeat(200_000), 'description'],
    ['start_time', null, 'start_time'],
    ['start_time', 1745741100, 'start_time'],
    ['start_time', { date: '2025-04-27' }, 'start_time'],
    ['start_time', true, 'start_time'],
    ['start_time', '2025-13-45', 'start_time'],
    ['start_time', '2025-13-45 10:00', 'start_time'],
    ['end_time', 'yesterday', 'end_time'],
    ['end_time', '', 'end_time'],
    ['end_time', '2049-01-01T25:00:00Z', 'end_time'],
    ['location', 5, 'location'],
    ['location', ['Room'], 'location'],
    ['timezone', 5, 'timezone'],
    ['timezone', '', 'timezone'],
    ['timezone', 'Europe/Atlantis', 'timezone'],
    ['timezone', 'x'.repeat(10_000), 'timezone'],
    ['is_recurring', 'true', 'is_recurring'],
    ['is_recurring', 1, 'is_recurring'],
    ['recurrence_pattern', ['weekly'], 'recurrence_pattern'],
    ['recurrence_pattern', true, 'recurrence_pattern'],
    ['recurrence_pattern', 'every tuesday', 'recurrence_pattern'],
    ['recurrence_pattern', 'FREQ=WEEKLY;BYDAY=XX', 'recurrence_pattern'],
    ['recurrence_pattern', 'FREQ=WEEKLY;INTERVAL=-1', 'recurrence_pattern'],
    ['recurrence_pattern', { interval: 2 }, 'recurrence_pattern.frequency'],
    ['recurrence_pattern', { frequency: 'weekly', by_weekday: ['XX'] }, 'recurrence_pattern.by_weekday.0'],
    ['recurrence_pattern', { frequency: 'weekly', count: 0 }, 'recurrence_pattern.count'],
    ['recurrence_pattern', { frequency: 'weekly', interval: 'two' }, 'recurrence_pattern.interval'],
    ['recurrence_pattern', { frequency: 'weekly', colour: 'blue' }, 'recurrence_pattern'],
    ['tags', 'solo', 'tags'],
    ['tags', ['has space'], 'tags.0'],
    ['tags', ['ok', ''], 'tags.1'],
    ['tags', Array.from({ length: 21 }, (_, i) => `t${i}`), 'tags'],
    ['metadata', ['list'], 'metadata'],
    ['metadata', 'text', 'metadata'],
    ['metadata', { big: 'x'.repeat(8 * 1024) }, 'metadata'],
  ];
  const base = { title: 'typed', start_time: '2049-02-01T10:00:00Z', end_time: '2049-02-01T11:00:00Z' };

  it.each(cases)('POST /api/events with %s = %j → 400 naming it', async (field, value, path) => {
    const res = await api.post('/api/events', { token: user.access, body: { ...base, [field]: value } });
    expectValidation(res, path);
  });

  it.each(cases)('PATCH /api/events/{id} with only %s = %j → 400, event untouched', async (field, value, path) => {
    const res = await api.patch(`/api/events/${eventId}`, { token: user.access, body: { [field]: value } });
    expectValidation(res, path);
    const after = await api.get(`/api/events/${eventId}`, { token: user.access });
    expect(after.body).toMatchObject({ title: 'target', version: 1 });
  });

  it('refuses an end before the start on POST, PUT and in a batch item, naming end_time', async () => {
    const backwards = { title: 'backwards', start_time: '2049-03-01T10:00:00Z', end_time: '2049-03-01T09:59:59Z' };
    expectValidation(await api.post('/api/events', { token: user.access, body: backwards }), 'end_time');
    expectValidation(await api.put(`/api/events/${eventId}`, { token: user.access, body: backwards }), 'end_time');
    const batch = await api.post('/api/events/batch', { token: user.access, body: [backwards] });
    expectValidation(batch);
    expect(batch.body.errors).toEqual([
      expect.objectContaining({ index: 0, details: expect.arrayContaining([expect.objectContaining({ path: 'end_time' })]) }),
    ]);
  });

  it('refuses is_recurring: true without a pattern on POST and on PATCH of a one-off event', async () => {
    expectValidation(await api.post('/api/events', { token: user.access, body: { ...base, is_recurring: true } }), 'recurrence_pattern');
    expectValidation(await api.patch(`/api/events/${eventId}`, { token: user.access, body: { is_recurring: true } }), 'recurrence_pattern');
  });

  it('refuses a bad If-Match version in the body', async () => {
    for (const version of ['abc', -1, { v: 1 }]) {
      const res = await api.patch(`/api/events/${eventId}`, { token: user.access, body: { title: 'v', version } });
      expectValidation(res, 'version');
    }
    expect((await api.get(`/api/events/${eventId}`, { token: user.access })).body.version).toBe(1);
  });
});

describe('bad input on sharing', () => {
  let guest: TestUser;
  beforeAll(async () => {
    guest = await ctx.user('guest');
  });

  const shareCases = (): Array<[string, unknown, string | undefined]> => [
    ['user_id as text', { user_id: 'abc', role: 'VIEWER' }, 'user_id'],
    ['negative user_id', { user_id: -3, role: 'VIEWER' }, 'user_id'],
    ['fractional user_id', { user_id: 1.5, role: 'VIEWER' }, 'user_id'],
    ['huge user_id', { user_id: 99_999_999_999, role: 'VIEWER' }, 'user_id'],
    ['role as number', { user_id: guest.id, role: 5 }, 'role'],
    ['unknown role', { user_id: guest.id, role: 'SUPERUSER' }, 'role'],
    ['empty role', { user_id: guest.id, role: '' }, 'role'],
    ['missing role', { user_id: guest.id }, 'role'],
    ['missing user', { role: 'VIEWER' }, undefined],
    ['username as number', { username: 42, role: 'VIEWER' }, 'username'],
    ['username too long', { username: 'u'.repeat(151), role: 'VIEWER' }, 'username'],
    ['users not a list', { users: 'everyone' }, 'users'],
    ['users of numbers', { users: [1, 2] }, undefined],
    ['users item without role', { users: [{ user_id: guest.id }] }, undefined],
    ['users item with bad role', { users: [{ user_id: guest.id, role: 'ADMIN' }] }, undefined],
    ['empty users', { users: [] }, 'users'],
    ['empty object', {}, undefined],
  ];

  it('answers every malformed share body with 400 VALIDATION_ERROR and shares nothing', async () => {
    for (const [name, body, path] of shareCases()) {
      const res = await api.post(`/api/events/${eventId}/share`, { token: user.access, body });
      expect(res.status, name).toBe(400);
      expectValidation(res, path);
    }
    const participants = await api.get(`/api/events/${eventId}/permissions`, { token: user.access });
    expect(participants.body.participants).toHaveLength(1);
  });

  it('answers every malformed PUT permission body with 400', async () => {
    const event = await ctx.event(user, { title: 'perm target' });
    await api.post(`/api/events/${event.id}/share`, { token: user.access, body: { user_id: guest.id, role: 'VIEWER' } });
    for (const body of [
      {},
      { role: null },
      { role: 7 },
      { role: ['EDITOR'] },
      { role: 'owner' },
      { role: 'r'.repeat(10_000) },
      { role: 'GOD' },
    ]) {
      const res = await api.put(`/api/events/${event.id}/permissions/${guest.id}`, { token: user.access, body });
      expectValidation(res, 'role');
    }
    expect((await api.get(`/api/events/${event.id}`, { token: guest.access })).body.my_role).toBe('VIEWER');
  });

  it('answers bad user ids in permission paths with 400 and unknown ones with 404', async () => {
    for (const userId of ['abc', '-1', '0', '2.5', '99999999999']) {
      expectValidation(
        await api.put(`/api/events/${eventId}/permissions/${userId}`, { token: user.access, body: { role: 'VIEWER' } }),
        'user_id',
      );
      expectValidation(await api.delete(`/api/events/${eventId}/permissions/${userId}`, { token: user.access }), 'user_id');
    }
    for (const res of [
      await api.put(`/api/events/${eventId}/permissions/2147480000`, { token: user.access, body: { role: 'VIEWER' } }),
      await api.delete(`/api/events/${eventId}/permissions/2147480000`, { token: user.access }),
    ]) {
      expect(res.status).toBe(404);
      expect(errorBody(res).code).toBe('NOT_FOUND');
    }
  });
});

describe('malformed and hostile bodies on every write', () => {
  const writes: Array<[string, (raw: string) => Promise<{ status: number; text: string; body: any }>]> = [
    ['POST /api/events', (raw) => api.post('/api/events', { token: user.access, raw, headers: { 'content-type': 'application/json' } })],
    [
      'PUT /api/events/{id}',
      (raw) => api.put(`/api/events/${eventId}`, { token: user.access, raw, headers: { 'content-type': 'application/json' } }),
    ],
    [
      'PATCH /api/events/{id}',
      (raw) => api.patch(`/api/events/${eventId}`, { token: user.access, raw, headers: { 'content-type': 'application/json' } }),
    ],
    [
      'POST /api/events/batch',
      (raw) => api.post('/api/events/batch', { token: user.access, raw, headers: { 'content-type': 'application/json' } }),
    ],
    [
      'POST /api/events/{id}/share',
      (raw) => api.post(`/api/events/${eventId}/share`, { token: user.access, raw, headers: { 'content-type': 'application/json' } }),
    ],
    [
      'PUT /api/events/{id}/permissions/{user_id}',
      (raw) =>
        api.put(`/api/events/${eventId}/permissions/${user.id}`, {
          token: user.access,
          raw,
          headers: { 'content-type': 'application/json' },
        }),
    ],
  ];

  it.each(writes)('%s: malformed JSON → 400 VALIDATION_ERROR', async (_name, send) => {
    for (const raw of ['{"title": "x",', '{title: "x"}', "{'title': 'x'}", '{"a":1}}', 'nul', '\u0000']) {
      const res = await send(raw);
      expectValidation(res);
    }
  });

  it.each(writes)('%s: JSON that is not an object → 400', async (name, send) => {
    const bodies = name.includes('batch') ? ['"text"', '42', 'true', 'null'] : ['"text"', '42', 'true', 'null', '[]', '[{"title":"x"}]'];
    for (const raw of bodies) expectValidation(await send(raw));
  });

  const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
  const hostile: Array<[string, string]> = [
    ['5000-deep nested arrays', `{"title": ${deep}, "start_time": "2049-04-01T10:00:00Z", "end_time": "2049-04-01T11:00:00Z"}`],
    ['__proto__ and constructor keys', '{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}}'],
    ['numbers beyond double range', '{"title": 1e309, "role": 1e309, "user_id": 1e309}'],
    [
      'lone surrogate, -0, impossible offset',
      '{"user_id": -0, "role": "viewer", "title": "\\ud800", "start_time": "2049-04-01T10:00:00+99:99"}',
    ],
    ['NULs and a 300k description', `{"title": "${'\\u0000'.repeat(10)}", "description": "${'x'.repeat(300_000)}"}`],
    ['year 0000 and 9999', '{"start_time": "0000-00-00T00:00:00Z", "end_time": "9999-12-31T23:59:59Z", "title": "edge"}'],
    [
      'expanded years at the Date limits',
      '{"start_time": "-271821-04-20T00:00:00Z", "end_time": "+275760-09-13T00:00:00Z", "title": "edge"}',
    ],
    ['array-like objects', '{"events": {"length": 5}, "users": {"0": {"user_id": 1}}}'],
  ];

  describe.each(writes)('%s: hostile values never produce a 5xx', (_name, send) => {
    it.each(hostile)('%s', async (_label, raw) => {
      const res = await send(raw);
      expect(res.status, `${raw.slice(0, 80)} → ${res.text.slice(0, 200)}`).toBeLessThan(500);
      if (res.status >= 400) errorBody(res as never);
    });
  });

  it('refuses NUL characters in text fields with 400 VALIDATION_ERROR and details', async () => {
    for (const body of [
      { ...valid, title: 'bad\u0000title' },
      { ...valid, description: 'a\u0000b' },
      { ...valid, location: '\u0000' },
    ]) {
      const res = await api.post('/api/events', { token: user.access, body });
      expectValidation(res);
      expect(errorBody(res).details?.length).toBeGreaterThan(0);
    }
    expectValidation(await api.patch(`/api/events/${eventId}`, { token: user.access, body: { title: 'x\u0000' } }));
  });

  it('answers a body over the size limit with 413 PAYLOAD_TOO_LARGE', async () => {
    const raw = JSON.stringify({
      title: 'big',
      description: 'x'.repeat(11 * 1024 * 1024),
      start_time: valid.start_time,
      end_time: valid.end_time,
    });
    const res = await api.post('/api/events', { token: user.access, raw, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(413);
    expect(errorBody(res).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers content types it does not read with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    for (const res of [
      await api.post('/api/events', {
        token: user.access,
        raw: 'title,start_time\nx,2049-01-01T10:00:00Z',
        headers: { 'content-type': 'text/csv' },
      }),
      await api.post(`/api/events/${eventId}/share`, {
        token: user.access,
        raw: '<share user_id="1"/>',
        headers: { 'content-type': 'application/xml' },
      }),
      await api.post('/api/events/batch', { token: user.access, raw: '[]', headers: { 'content-type': 'text/plain' } }),
    ]) {
      expect(res.status, res.text).toBe(415);
      expect(errorBody(res).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('leaves the target event untouched after all of the above', async () => {
    const res = await api.get(`/api/events/${eventId}`, { token: user.access });
    expect(res.body).toMatchObject({ title: 'target', version: 1 });
    expect(res.body.permissions).toHaveLength(1);
  });
});

describe('bad query parameters', () => {
  it.each([
    'q=' + 'q'.repeat(201),
    'location=' + 'l'.repeat(501),
    'page=abc',
    'page=-1',
    'page_size=0',
    'page_size=-5',
    'page_size=1.5',
    'skip=-1',
    'limit=101',
    'sort=title;drop',
    'sort=-title',
    'start_date=2025-13-45',
    'end_date=yesterday',
    'is_recurring=2',
    'role=superuser',
    'expand=sometimes',
  ])('GET /api/events?%s → 400', async (query) => {
    expectValidation(await api.get(`/api/events?${query}`, { token: user.access }));
  });

  it.each([
    ['from=2025-13-45', 'from'],
    ['to=yesterday', 'to'],
    ['from=2049-02-01T00:00:00Z&to=2049-01-01T00:00:00Z', 'to'],
    ['from=2049-01-01T00:00:00Z&to=2052-01-01T00:00:00Z', 'to'],
  ])('GET occurrences?%s → 400 naming %s', async (query, path) => {
    expectValidation(await api.get(`/api/events/${eventId}/occurrences?${query}`, { token: user.access }), path);
  });

  it('refuses an unknown on_conflict on create and update', async () => {
    expectValidation(
      await api.post('/api/events?on_conflict=ignore', {
        token: user.access,
        body: { ...valid, start_time: '2049-05-01T10:00:00Z', end_time: '2049-05-01T11:00:00Z' },
      }),
    );
    expectValidation(await api.patch(`/api/events/${eventId}?on_conflict=ignore`, { token: user.access, body: { title: 'nope' } }));
  });
});
