import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent } from './support/events.ts';
import { apiClient, errorBody, registerUser, type ApiClient, type TestUser } from './support/http.ts';
import { startTestServer, type TestServer } from './support/server.ts';

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
});
afterAll(() => server?.stop());

const starts = (list: Array<{ start_time: string }>) => list.map((o) => o.start_time);

async function occurrences(user: TestUser, id: number, from: string, to: string) {
  const res = await api.get(`/api/events/${id}/occurrences?from=${from}&to=${to}`, { token: user.access });
  expect(res.status).toBe(200);
  return res.body as Array<{ start_time: string; end_time: string }>;
}

describe('recurrence', () => {
  it('keeps a weekly 09:00 Europe/Berlin meeting at 09:00 local across the DST change', async () => {
    const user = await registerUser(api, 'berlin');
    const event = await createEvent(api, user, {
      title: 'Standup',
      start_time: '2025-03-17T08:00:00Z', // 09:00 CET
      end_time: '2025-03-17T08:30:00Z',
      timezone: 'Europe/Berlin',
      recurrence_pattern: 'weekly',
    });
    const list = await occurrences(user, event.id, '2025-03-16T00:00:00Z', '2025-04-08T00:00:00Z');
    expect(list).toEqual([
      { start_time: '2025-03-17T08:00:00Z', end_time: '2025-03-17T08:30:00Z' },
      { start_time: '2025-03-24T08:00:00Z', end_time: '2025-03-24T08:30:00Z' },
      { start_time: '2025-03-31T07:00:00Z', end_time: '2025-03-31T07:30:00Z' }, // 09:00 CEST
      { start_time: '2025-04-07T07:00:00Z', end_time: '2025-04-07T07:30:00Z' },
    ]);
  });

  it('honours COUNT and UNTIL', async () => {
    const user = await registerUser(api, 'limits');
    const counted = await createEvent(api, user, {
      start_time: '2045-01-01T09:00:00Z',
      end_time: '2045-01-01T10:00:00Z',
      recurrence_pattern: 'FREQ=DAILY;COUNT=3',
    });
    expect(counted['rrule']).toBe('FREQ=DAILY;INTERVAL=1;COUNT=3');
    expect(starts(await occurrences(user, counted.id, '2045-01-01T00:00:00Z', '2045-02-01T00:00:00Z'))).toEqual([
      '2045-01-01T09:00:00Z',
      '2045-01-02T09:00:00Z',
      '2045-01-03T09:00:00Z',
    ]);
    const until = await createEvent(api, user, {
      start_time: '2045-03-01T09:00:00Z',
      end_time: '2045-03-01T10:00:00Z',
      recurrence_pattern: { frequency: 'weekly', until: '2045-03-15T09:00:00Z' },
    });
    expect(until['recurrence_pattern']).toEqual({ frequency: 'weekly', until: '2045-03-15T09:00:00Z' });
    expect(starts(await occurrences(user, until.id, '2045-03-01T00:00:00Z', '2045-06-01T00:00:00Z'))).toEqual([
      '2045-03-01T09:00:00Z',
      '2045-03-08T09:00:00Z',
      '2045-03-15T09:00:00Z',
    ]);
  });

  it('accepts the object form with interval and weekdays, and RRULE strings', async () => {
    const user = await registerUser(api, 'forms');
    const object = await createEvent(api, user, {
      start_time: '2045-05-01T09:00:00Z', // a Monday
      end_time: '2045-05-01T09:30:00Z',
      recurrence_pattern: { frequency: 'weekly', interval: 2, by_weekday: ['MO', 'WE'], count: 4 },
    });
    expect(object['rrule']).toBe('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=4');
    expect(starts(await occurrences(user, object.id, '2045-05-01T00:00:00Z', '2045-07-01T00:00:00Z'))).toEqual([
      '2045-05-01T09:00:00Z',
      '2045-05-03T09:00:00Z',
      '2045-05-15T09:00:00Z',
      '2045-05-17T09:00:00Z',
    ]);
    const rule = await createEvent(api, user, {
      start_time: '2045-08-01T09:00:00Z',
      end_time: '2045-08-01T09:30:00Z',
      recurrence_pattern: 'RRULE:freq=monthly;count=2',
    });
    expect(rule['rrule']).toBe('FREQ=MONTHLY;INTERVAL=1;COUNT=2');
    expect(rule['is_recurring']).toBe(true);
  });

  it('refuses inconsistent or invalid recurrence with 400 and details', async () => {
    const user = await registerUser(api, 'invalid');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ is_recurring: true }, 'recurrence_pattern'],
      [{ is_recurring: true, recurrence_pattern: null }, 'recurrence_pattern'],
      [{ recurrence_pattern: 'fortnightly' }, 'recurrence_pattern'],
      [{ recurrence_pattern: 'FREQ=HOURLY' }, 'recurrence_pattern'],
      [{ recurrence_pattern: 'FREQ=DAILY;COUNT=2;UNTIL=20450101T000000Z' }, 'recurrence_pattern'],
      [{ recurrence_pattern: { frequency: 'daily', interval: 0 } }, 'recurrence_pattern.interval'],
      [{ recurrence_pattern: { frequency: 'sometimes' } }, 'recurrence_pattern.frequency'],
      [{ is_recurring: false, recurrence_pattern: 'daily' }, 'is_recurring'],
      [{ timezone: 'Mars/Olympus_Mons', recurrence_pattern: 'daily' }, 'timezone'],
    ];
    for (const [fields, path] of cases) {
      const res = await api.post('/api/events', {
        token: user.access,
        body: { title: 'bad', start_time: '2045-09-01T09:00:00Z', end_time: '2045-09-01T10:00:00Z', ...fields },
      });
      expect(res.status, JSON.stringify(fields)).toBe(400);
      expect(errorBody(res).details?.map((d) => d.path)).toContain(path);
    }
  });

  it('finds a conflict only an occurrence reveals', async () => {
    const user = await registerUser(api, 'series');
    const series = await createEvent(api, user, {
      title: 'daily sync',
      start_time: '2046-01-01T09:00:00Z',
      end_time: '2046-01-01T09:30:00Z',
      recurrence_pattern: 'daily',
    });
    const res = await api.post('/api/events', {
      token: user.access,
      body: { title: 'one-off', start_time: '2046-01-20T09:15:00Z', end_time: '2046-01-20T10:00:00Z' },
    });
    expect(res.status).toBe(409);
    expect(res.body.conflicts).toEqual([expect.objectContaining({ id: series.id, title: 'daily sync' })]);
    const between = await api.post('/api/events', {
      token: user.access,
      body: { title: 'fits', start_time: '2046-01-20T09:30:00Z', end_time: '2046-01-20T10:00:00Z' },
    });
    expect(between.status).toBe(201);
    const weekly = await api.post('/api/events', {
      token: user.access,
      body: { title: 'new series', start_time: '2046-02-02T08:00:00Z', end_time: '2046-02-02T09:10:00Z', recurrence_pattern: 'weekly' },
    });
    expect(weekly.status).toBe(409);
  });

  it('limits the occurrences window to two years and checks its order', async () => {
    const user = await registerUser(api, 'window');
    const event = await createEvent(api, user, { recurrence_pattern: 'daily' });
    const wide = await api.get(`/api/events/${event.id}/occurrences?from=2040-01-01T00:00:00Z&to=2043-01-01T00:00:00Z`, { token: user.access });
    expect(wide.status).toBe(400);
    const backwards = await api.get(`/api/events/${event.id}/occurrences?from=2041-01-01T00:00:00Z&to=2040-01-01T00:00:00Z`, { token: user.access });
    expect(backwards.status).toBe(400);
    const notATime = await api.get(`/api/events/${event.id}/occurrences?from=yesterday`, { token: user.access });
    expect(notATime.status).toBe(400);
  });

  it('lists a one-off event as its only occurrence', async () => {
    const user = await registerUser(api, 'single');
    const event = await createEvent(api, user, { start_time: '2047-01-01T10:00:00Z', end_time: '2047-01-01T11:00:00Z' });
    expect(await occurrences(user, event.id, '2047-01-01T00:00:00Z', '2047-01-02T00:00:00Z')).toEqual([
      { start_time: '2047-01-01T10:00:00Z', end_time: '2047-01-01T11:00:00Z' },
    ]);
    expect(await occurrences(user, event.id, '2047-02-01T00:00:00Z', '2047-02-02T00:00:00Z')).toEqual([]);
  });

  it('can stop recurring through an update', async () => {
    const user = await registerUser(api, 'stop');
    const event = await createEvent(api, user, { recurrence_pattern: 'weekly' });
    const res = await api.patch(`/api/events/${event.id}`, { token: user.access, body: { is_recurring: false } });
    expect(res.status).toBe(200);
    expect(res.body.event).toMatchObject({ is_recurring: false, recurrence_pattern: null, rrule: null });
  });
});
