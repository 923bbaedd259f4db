import { describe, expect, it } from 'vitest';
import { errorBody, type TestUser } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';
import { HOUR, MINUTE, at } from './support/time.ts';

const ctx = useTestServer();
const { api } = ctx;

const starts = (list: Array<{ start_time: string }>) => list.map((o) => o.start_time);

async function occurrences(user: TestUser, id: number, from: string, to: string) {
  const res = await api.get(`/api/events/${id}/occurrences?from=${from}&to=${to}`, { token: user.access });
  expect(res.status).toBe(200);
  return res.body as Array<{ start_time: string; end_time: string }>;
}

describe('recurrence', () => {
  it('keeps a weekly 09:00 Europe/Berlin meeting at 09:00 local across the DST change', async () => {
    const user = await ctx.user('berlin');
    const event = await ctx.event(user, {
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
    const user = await ctx.user('limits');
    const counted = await ctx.event(user, {
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
    const until = await ctx.event(user, {
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
    const user = await ctx.user('forms');
    const object = await ctx.event(user, {
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
    const rule = await ctx.event(user, {
      start_time: '2045-08-01T09:00:00Z',
      end_time: '2045-08-01T09:30:00Z',
      recurrence_pattern: 'RRULE:freq=monthly;count=2',
    });
    expect(rule['rrule']).toBe('FREQ=MONTHLY;INTERVAL=1;COUNT=2');
    expect(rule['is_recurring']).toBe(true);
  });

  it('refuses inconsistent or invalid recurrence with 400 and details', async () => {
    const user = await ctx.user('invalid');
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
    const user = await ctx.user('series');
    const series = await ctx.event(user, {
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
    const user = await ctx.user('window');
    const event = await ctx.event(user, { recurrence_pattern: 'daily' });
    const wide = await api.get(`/api/events/${event.id}/occurrences?from=2040-01-01T00:00:00Z&to=2043-01-01T00:00:00Z`, {
      token: user.access,
    });
    expect(wide.status).toBe(400);
    const backwards = await api.get(`/api/events/${event.id}/occurrences?from=2041-01-01T00:00:00Z&to=2040-01-01T00:00:00Z`, {
      token: user.access,
    });
    expect(backwards.status).toBe(400);
    const notATime = await api.get(`/api/events/${event.id}/occurrences?from=yesterday`, { token: user.access });
    expect(notATime.status).toBe(400);
  });

  it('lists a one-off event as its only occurrence', async () => {
    const user = await ctx.user('single');
    const event = await ctx.event(user, { start_time: '2047-01-01T10:00:00Z', end_time: '2047-01-01T11:00:00Z' });
    expect(await occurrences(user, event.id, '2047-01-01T00:00:00Z', '2047-01-02T00:00:00Z')).toEqual([
      { start_time: '2047-01-01T10:00:00Z', end_time: '2047-01-01T11:00:00Z' },
    ]);
    expect(await occurrences(user, event.id, '2047-02-01T00:00:00Z', '2047-02-02T00:00:00Z')).toEqual([]);
  });

  it('can stop recurring through an update', async () => {
    const user = await ctx.user('stop');
    const event = await ctx.event(user, { recurrence_pattern: 'weekly' });
    const res = await api.patch(`/api/events/${event.id}`, { token: user.access, body: { is_recurring: false } });
    expect(res.status).toBe(200);
    expect(res.body.event).toMatchObject({ is_recurring: false, recurrence_pattern: null, rrule: null });
  });
});

describe('recurrence: forms, limits and conflicts', () => {
  it('normalizes every shorthand into an RRULE and echoes the shorthand', async () => {
    const user = await ctx.user('shorthand');
    // Distinct hours, so the endless series never overlap one another.
    const cases: Array<[string, string, string[]]> = [
      ['daily', 'FREQ=DAILY;INTERVAL=1', ['2050-01-03T09:00:00Z', '2050-01-04T09:00:00Z', '2050-01-05T09:00:00Z']],
      ['weekly', 'FREQ=WEEKLY;INTERVAL=1', ['2050-03-07T11:00:00Z', '2050-03-14T11:00:00Z', '2050-03-21T11:00:00Z']],
      ['monthly', 'FREQ=MONTHLY;INTERVAL=1', ['2050-05-15T13:00:00Z', '2050-06-15T13:00:00Z', '2050-07-15T13:00:00Z']],
      ['yearly', 'FREQ=YEARLY;INTERVAL=1', ['2050-09-10T15:00:00Z', '2051-09-10T15:00:00Z']],
    ];
    for (const [pattern, rrule, expectedStarts] of cases) {
      const first = expectedStarts[0]!;
      const halfHourLater = (start: string) => at(start, 30 * MINUTE);
      const res = await api.post('/api/events', {
        token: user.access,
        body: { title: pattern, start_time: first, end_time: halfHourLater(first), is_recurring: true, recurrence_pattern: pattern },
      });
      expect(res.status, pattern).toBe(201);
      expect(res.body.event).toMatchObject({ is_recurring: true, recurrence_pattern: pattern, rrule });
      const to = at(expectedStarts.at(-1)!, HOUR);
      expect(await occurrences(user, res.body.event.id, first, to), pattern).toEqual(
        expectedStarts.map((start) => ({ start_time: start, end_time: halfHourLater(start) })),
      );
    }
  });

  it('sets is_recurring from the pattern and treats null and "" as no recurrence, echoing them as given', async () => {
    const user = await ctx.user('none');
    const implied = await ctx.event(user, {
      start_time: '2050-11-01T09:00:00Z',
      end_time: '2050-11-01T10:00:00Z',
      recurrence_pattern: 'daily',
    });
    expect(implied['is_recurring']).toBe(true);
    const asNull = await ctx.event(user, {
      start_time: '2050-12-01T12:00:00Z',
      end_time: '2050-12-01T13:00:00Z',
      recurrence_pattern: null,
    });
    expect(asNull).toMatchObject({ is_recurring: false, recurrence_pattern: null, rrule: null });
    const asEmpty = await ctx.event(user, { start_time: '2050-12-02T12:00:00Z', end_time: '2050-12-02T13:00:00Z', recurrence_pattern: '' });
    expect(asEmpty).toMatchObject({ is_recurring: false, rrule: null });
    // The contract: "It is echoed back as given" and "null or \"\" means none"; seed 001's PUT answers "".
    expect(asEmpty['recurrence_pattern']).toBe('');
  });

  it('expands the object form {frequency: weekly, interval: 2, by_weekday: [MO, WE], count: 6} to six dates', async () => {
    const user = await ctx.user('object6');
    const pattern = { frequency: 'weekly', interval: 2, by_weekday: ['MO', 'WE'], count: 6 };
    const event = await ctx.event(user, {
      title: 'biweekly',
      start_time: '2051-01-02T10:00:00Z', // a Monday
      end_time: '2051-01-02T11:00:00Z',
      recurrence_pattern: pattern,
    });
    expect(event).toMatchObject({ is_recurring: true, recurrence_pattern: pattern, rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=6' });
    expect(await occurrences(user, event.id, '2051-01-01T00:00:00Z', '2051-12-31T00:00:00Z')).toEqual(
      ['2051-01-02', '2051-01-04', '2051-01-16', '2051-01-18', '2051-01-30', '2051-02-01'].map((day) => ({
        start_time: `${day}T10:00:00Z`,
        end_time: `${day}T11:00:00Z`,
      })),
    );
  });

  it('accepts the contract’s RRULE example and stops after COUNT', async () => {
    const user = await ctx.user('rrule10');
    const event = await ctx.event(user, {
      start_time: '2051-03-06T14:00:00Z', // a Monday
      end_time: '2051-03-06T15:00:00Z',
      recurrence_pattern: 'FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10',
    });
    expect(event).toMatchObject({
      is_recurring: true,
      recurrence_pattern: 'FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10',
      rrule: 'FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE;COUNT=10',
    });
    const list = await occurrences(user, event.id, '2051-03-01T00:00:00Z', '2052-03-01T00:00:00Z');
    expect(starts(list)).toEqual([
      '2051-03-06T14:00:00Z',
      '2051-03-08T14:00:00Z',
      '2051-03-13T14:00:00Z',
      '2051-03-15T14:00:00Z',
      '2051-03-20T14:00:00Z',
      '2051-03-22T14:00:00Z',
      '2051-03-27T14:00:00Z',
      '2051-03-29T14:00:00Z',
      '2051-04-03T14:00:00Z',
      '2051-04-05T14:00:00Z',
    ]);
  });

  it('stops at UNTIL given in an RRULE string, inclusive', async () => {
    const user = await ctx.user('untilrule');
    const event = await ctx.event(user, {
      start_time: '2051-05-01T08:00:00Z',
      end_time: '2051-05-01T08:15:00Z',
      recurrence_pattern: 'FREQ=DAILY;UNTIL=20510504T080000Z',
    });
    expect(starts(await occurrences(user, event.id, '2051-04-01T00:00:00Z', '2051-06-01T00:00:00Z'))).toEqual([
      '2051-05-01T08:00:00Z',
      '2051-05-02T08:00:00Z',
      '2051-05-03T08:00:00Z',
      '2051-05-04T08:00:00Z',
    ]);
  });

  it('keeps 09:00 Berlin time across the October change too (07:00Z before, 08:00Z after)', async () => {
    const user = await ctx.user('autumn');
    const event = await ctx.event(user, {
      start_time: '2025-10-20T07:00:00Z', // Monday 09:00 CEST
      end_time: '2025-10-20T08:00:00Z',
      timezone: 'Europe/Berlin',
      recurrence_pattern: { frequency: 'weekly', count: 3 },
    });
    expect(await occurrences(user, event.id, '2025-10-01T00:00:00Z', '2025-12-01T00:00:00Z')).toEqual([
      { start_time: '2025-10-20T07:00:00Z', end_time: '2025-10-20T08:00:00Z' },
      { start_time: '2025-10-27T08:00:00Z', end_time: '2025-10-27T09:00:00Z' }, // 09:00 CET
      { start_time: '2025-11-03T08:00:00Z', end_time: '2025-11-03T09:00:00Z' },
    ]);
  });

  it('refuses is_recurring: true without a pattern with 400 VALIDATION_ERROR and the contract shape', async () => {
    const user = await ctx.user('nopattern');
    const res = await api.post('/api/events', {
      token: user.access,
      body: { title: 'x', start_time: '2051-07-01T09:00:00Z', end_time: '2051-07-01T10:00:00Z', is_recurring: true },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: expect.any(String),
      code: 'VALIDATION_ERROR',
      details: expect.arrayContaining([{ path: 'recurrence_pattern', message: expect.any(String) }]),
    });
    expect((await api.get('/api/events', { token: user.access })).body.count).toBe(0);
  });

  it('finds a one-off event on Thursday in conflict with a daily series that started on Monday', async () => {
    const user = await ctx.user('monday');
    const series = await ctx.event(user, {
      title: 'Daily standup',
      start_time: '2053-01-06T09:00:00Z', // Monday
      end_time: '2053-01-06T10:00:00Z',
      recurrence_pattern: 'daily',
    });
    const thursday = { title: 'Thursday one-off', start_time: '2053-01-09T09:00:00Z', end_time: '2053-01-09T10:00:00Z' };
    const res = await api.post('/api/events', { token: user.access, body: thursday });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      error: expect.any(String),
      code: 'EVENT_CONFLICT',
      conflicts: [
        {
          id: series.id,
          title: 'Daily standup',
          start_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          end_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        },
      ],
    });
    const allowed = await api.post('/api/events?on_conflict=allow', { token: user.access, body: thursday });
    expect(allowed.status).toBe(201);
    expect(allowed.body.conflicts.map((c: { id: number }) => c.id)).toEqual([series.id]);
  });

  it('sees no conflict once a COUNT-limited series has ended, nor on days a weekly series skips', async () => {
    const user = await ctx.user('ended');
    await ctx.event(user, {
      title: 'three days',
      start_time: '2054-01-05T09:00:00Z', // Monday; COUNT=3 ends Wednesday
      end_time: '2054-01-05T10:00:00Z',
      recurrence_pattern: 'FREQ=DAILY;COUNT=3',
    });
    await ctx.event(user, {
      title: 'mondays',
      start_time: '2054-02-02T12:00:00Z',
      end_time: '2054-02-02T13:00:00Z',
      recurrence_pattern: 'weekly',
    });
    const thursday = await api.post('/api/events', {
      token: user.access,
      body: { title: 'after', start_time: '2054-01-08T09:00:00Z', end_time: '2054-01-08T10:00:00Z' },
    });
    expect(thursday.status).toBe(201);
    const wednesday = await api.post('/api/events', {
      token: user.access,
      body: { title: 'last day', start_time: '2054-01-07T09:30:00Z', end_time: '2054-01-07T09:45:00Z' },
    });
    expect(wednesday.status).toBe(409);
    const tuesday = await api.post('/api/events', {
      token: user.access,
      body: { title: 'tue', start_time: '2054-03-03T12:00:00Z', end_time: '2054-03-03T13:00:00Z' },
    });
    expect(tuesday.status).toBe(201);
    const monday = await api.post('/api/events', {
      token: user.access,
      body: { title: 'mon', start_time: '2054-03-02T12:30:00Z', end_time: '2054-03-02T14:00:00Z' },
    });
    expect(monday.status).toBe(409);
  });

  it('changing the pattern by PATCH changes rrule and the occurrences', async () => {
    const user = await ctx.user('repattern');
    const event = await ctx.event(user, {
      start_time: '2055-01-04T09:00:00Z',
      end_time: '2055-01-04T09:30:00Z',
      recurrence_pattern: 'weekly',
    });
    const res = await api.patch(`/api/events/${event.id}`, { token: user.access, body: { recurrence_pattern: 'FREQ=DAILY;COUNT=2' } });
    expect(res.status).toBe(200);
    expect(res.body.event).toMatchObject({
      is_recurring: true,
      recurrence_pattern: 'FREQ=DAILY;COUNT=2',
      rrule: 'FREQ=DAILY;INTERVAL=1;COUNT=2',
      version: 2,
    });
    expect(starts(await occurrences(user, event.id, '2055-01-01T00:00:00Z', '2055-03-01T00:00:00Z'))).toEqual([
      '2055-01-04T09:00:00Z',
      '2055-01-05T09:00:00Z',
    ]);
  });

  it('allows an occurrences window of exactly two years and refuses a longer one with the contract shape', async () => {
    const user = await ctx.user('twoyears');
    const event = await ctx.event(user, {
      start_time: '2056-01-03T09:00:00Z',
      end_time: '2056-01-03T10:00:00Z',
      recurrence_pattern: 'yearly',
    });
    const exact = await occurrences(user, event.id, '2056-01-01T00:00:00Z', '2058-01-01T00:00:00Z');
    expect(starts(exact)).toEqual(['2056-01-03T09:00:00Z', '2057-01-03T09:00:00Z']);
    const longer = await api.get(`/api/events/${event.id}/occurrences?from=2056-01-01T00:00:00Z&to=2058-02-01T00:00:00Z`, {
      token: user.access,
    });
    expect(longer.status).toBe(400);
    const error = errorBody(longer);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details?.length).toBeGreaterThan(0);
  });
});
