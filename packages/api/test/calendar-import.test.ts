import { describe, expect, it } from 'vitest';
import { errorBody, type TestUser } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;

const ics = (...lines: string[]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Test//Import//EN', ...lines, 'END:VCALENDAR', ''].join('\r\n');
const vevent = (...lines: string[]) => ['BEGIN:VEVENT', ...lines, 'END:VEVENT'];

function importCalendar(user: TestUser, text: string, query = '', contentType = 'text/calendar; charset=utf-8') {
  return api.post(`/api/events/import${query}`, { token: user.access, raw: text, headers: { 'content-type': contentType } });
}

const listAll = async (user: TestUser) =>
  (await api.get('/api/events?page_size=100&sort=start_time', { token: user.access })).body.results as Array<Record<string, unknown>>;

describe('importing an iCalendar file', () => {
  it('round-trips the feed: export as one user, import as another, same titles, times, zones and rules', async () => {
    const [ada, grace] = await ctx.users('imp_src', 'imp_dst');
    await ctx.event(ada!, { title: 'Plain', description: 'With, commas; and\nlines', location: 'Room 1' });
    await ctx.event(ada!, {
      title: 'Berlin weekly',
      start_time: '2026-03-16 09:00',
      end_time: '2026-03-16 10:30',
      timezone: 'Europe/Berlin',
      recurrence_pattern: 'FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20260601T000000Z',
    });
    await ctx.event(ada!, {
      title: 'New York monthly',
      start_time: '2026-01-31 18:00',
      end_time: '2026-01-31 19:00',
      timezone: 'America/New_York',
      recurrence_pattern: { frequency: 'monthly', count: 3 },
    });
    const feed = await api.post('/api/calendar/feed', { token: ada!.access });
    const text = await (await fetch(feed.body.url)).text();

    const res = await importCalendar(grace!, text);
    expect(res.status).toBe(201);
    expect(res.body.errors).toEqual([]);
    const pick = (e: Record<string, unknown>) => ({
      title: e['title'],
      description: e['description'],
      location: e['location'],
      start_time: e['start_time'],
      end_time: e['end_time'],
      timezone: e['timezone'],
      rrule: e['rrule'],
    });
    const source = (await listAll(ada!)).map(pick);
    expect(res.body.created_events.map(pick).sort(byTitle)).toEqual([...source].sort(byTitle));
    expect((await listAll(grace!)).map(pick)).toEqual(source);
    expect(res.body.created_events.every((e: { owner_id: number }) => e.owner_id === grace!.id)).toBe(true);
    const trail = await api.get('/api/audit?page_size=100', { token: grace!.access });
    expect((trail.body.results as Array<{ action: string }>).filter((r) => r.action.startsWith('event.')).map((r) => r.action)).toEqual([
      'event.import',
    ]);
  });

  it('keeps zones and rules, reads DURATION, floating times in X-WR-TIMEZONE, and all-day events as whole days', async () => {
    const user = await ctx.user('imp_forms');
    const res = await importCalendar(
      user,
      ics(
        'X-WR-TIMEZONE:Europe/Paris',
        ...vevent('UID:1', 'SUMMARY:Zoned', 'DTSTART;TZID=Europe/Berlin:20260316T090000', 'DURATION:PT90M', 'RRULE:FREQ=WEEKLY;COUNT=4'),
        ...vevent('UID:2', 'SUMMARY:Floating', 'DTSTART:20260317T090000', 'DTEND:20260317T100000'),
        ...vevent('UID:3', 'SUMMARY:All day', 'DTSTART;VALUE=DATE:20260318', 'DTEND;VALUE=DATE:20260320'),
        ...vevent(
          'UID:4',
          'SUMMARY:UTC',
          'DTSTART:20260321T090000Z',
          'DTEND:20260321T093000Z',
          'LOCATION:Lab',
          'DESCRIPTION:Notes',
          'CATEGORIES:work,planning',
        ),
        ...vevent('UID:5', 'SUMMARY:Prefixed zone', 'DTSTART;TZID=/mozilla.org/20050126_1/Europe/Berlin:20260320T090000'),
      ),
    );
    expect(res.status).toBe(201);
    expect(res.body.errors).toEqual([]);
    const [zoned, floating, allDay, utc, prefixed] = res.body.created_events;
    expect(zoned).toMatchObject({
      title: 'Zoned',
      start_time: '2026-03-16T08:00:00Z',
      end_time: '2026-03-16T09:30:00Z',
      timezone: 'Europe/Berlin',
      rrule: 'FREQ=WEEKLY;INTERVAL=1;COUNT=4',
    });
    expect(floating).toMatchObject({ start_time: '2026-03-17T08:00:00Z', end_time: '2026-03-17T09:00:00Z', timezone: 'Europe/Paris' });
    expect(allDay).toMatchObject({ start_time: '2026-03-17T23:00:00Z', end_time: '2026-03-19T23:00:00Z', timezone: 'Europe/Paris' });
    expect(utc).toMatchObject({ timezone: 'UTC', start_time: '2026-03-21T09:00:00Z', location: 'Lab', description: 'Notes' });
    expect(prefixed).toMatchObject({ timezone: 'Europe/Berlin', start_time: '2026-03-20T08:00:00Z', end_time: '2026-03-20T08:00:00Z' });
  });

  it('fails atomically on one bad VEVENT (index and line), and creates the rest with atomic=false', async () => {
    const user = await ctx.user('imp_atomic');
    const text = ics(
      ...vevent('SUMMARY:First', 'DTSTART:20260401T090000Z', 'DTEND:20260401T100000Z'),
      ...vevent('DTSTART:20260402T090000Z', 'DTEND:20260402T100000Z'),
      ...vevent('SUMMARY:Third', 'DTSTART;TZID=Mars/Olympus:20260403T090000'),
      ...vevent('SUMMARY:Fourth', 'DTSTART:20260404T090000Z', 'DTEND:20260404T080000Z'),
      ...vevent('SUMMARY:Fifth', 'DTSTART:20260405T090000Z', 'DTEND:20260405T100000Z', 'EXDATE:20260412T090000Z', 'RRULE:FREQ=WEEKLY'),
      ...vevent('SUMMARY:Sixth', 'DTSTART:20260406T090000Z', 'DTEND:20260406T100000Z'),
      ...vevent('SUMMARY:Seventh', 'DTSTART;VALUE=DATE:20261301'),
    );
    const res = await importCalendar(user, text);
    expect(res.status).toBe(400);
    expect(errorBody(res).code).toBe('VALIDATION_ERROR');
    expect(res.body.errors.map((e: { index: number }) => e.index)).toEqual([1, 2, 3, 4, 6]);
    expect(res.body.errors[0].error).toMatch(/^SUMMARY: is required .*line 9\)/);
    expect(res.body.errors[1].error).toMatch(/^DTSTART: TZID "Mars\/Olympus" is not an IANA time zone/);
    expect(res.body.errors[2].details).toEqual([expect.objectContaining({ path: 'end_time' })]);
    expect(res.body.errors[3].error).toMatch(/^EXDATE: /);
    expect(res.body.errors[4].error).toMatch(/^DTSTART: is not a valid date or time \(the VEVENT at line 34\)/);
    expect(await listAll(user)).toEqual([]);

    const partial = await importCalendar(user, text, '?atomic=false');
    expect(partial.status).toBe(201);
    expect(partial.body.created_events.map((e: { title: string }) => e.title)).toEqual(['First', 'Sixth']);
    expect(partial.body.errors.map((e: { index: number }) => e.index)).toEqual([1, 2, 3, 4, 6]);
    expect((await listAll(user)).map((e) => e['title'])).toEqual(['First', 'Sixth']);
  });

  it('honours on_conflict: reject (default) is a 409 and creates nothing, allow saves', async () => {
    const user = await ctx.user('imp_conflict');
    await ctx.event(user, { title: 'Existing', start_time: '2026-05-01T09:00:00Z', end_time: '2026-05-01T10:00:00Z' });
    const text = ics(...vevent('SUMMARY:Overlapping', 'DTSTART:20260501T093000Z', 'DTEND:20260501T103000Z'));
    const rejected = await importCalendar(user, text);
    expect(rejected.status).toBe(409);
    expect(errorBody(rejected).code).toBe('EVENT_CONFLICT');
    expect(rejected.body.errors).toEqual([expect.objectContaining({ index: 0, code: 'EVENT_CONFLICT' })]);
    expect((await listAll(user)).map((e) => e['title'])).toEqual(['Existing']);
    const allowed = await importCalendar(user, text, '?on_conflict=allow');
    expect(allowed.status).toBe(201);
    expect((await listAll(user)).map((e) => e['title'])).toEqual(['Existing', 'Overlapping']);
  });

  it('answers 400 with the line for a file that cannot be read', async () => {
    const user = await ctx.user('imp_bad');
    const broken = await importCalendar(user, ics(...vevent('SUMMARY:x', 'this line has no colon', 'DTSTART:20260601T090000Z')));
    expect(broken.status).toBe(400);
    const body = errorBody(broken);
    expect(body.code).toBe('VALIDATION_ERROR');
    expect(body.error).toMatch(/line 6/);
    expect(body.details).toEqual([expect.objectContaining({ path: 'line 6' })]);

    const unclosed = await importCalendar(user, ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'SUMMARY:x', 'END:VCALENDAR'].join('\r\n'));
    expect(unclosed.status).toBe(400);
    expect(errorBody(unclosed).error).toMatch(/line 4: END:VCALENDAR closes BEGIN:VEVENT of line 2/);

    const notIcs = await importCalendar(user, 'hello, world');
    expect(notIcs.status).toBe(400);
    expect(errorBody(notIcs).error).toMatch(/line 1/);
    expect(await listAll(user)).toEqual([]);
  });

  it('refuses more VEVENTs than a batch takes (400), a body over the limit (413) and other content types (415)', async () => {
    const user = await ctx.user('imp_limits');
    const many = Array.from({ length: 10_001 }, (_, i) => vevent(`SUMMARY:e${i}`, 'DTSTART:20300101T000000Z')).flat();
    const tooMany = await importCalendar(user, ics(...many));
    expect(tooMany.status).toBe(400);
    expect(errorBody(tooMany).error).toMatch(/10001 VEVENTs; at most 10000/);

    const huge = ics(...vevent('SUMMARY:big', `DESCRIPTION:${'x'.repeat(11 * 1024 * 1024)}`, 'DTSTART:20300101T000000Z'));
    expect((await importCalendar(user, huge)).status).toBe(413);

    const text = ics(...vevent('SUMMARY:x', 'DTSTART:20300101T000000Z'));
    for (const type of ['application/json', 'text/plain', 'application/x-www-form-urlencoded']) {
      const res = await importCalendar(user, text, '', type);
      expect(res.status, type).toBe(415);
      expect(errorBody(res).error).toMatch(/Content-Type: text\/calendar/);
    }
    expect(await listAll(user)).toEqual([]);
  });

  it('needs a bearer', async () => {
    const res = await api.post('/api/events/import', { raw: ics(), headers: { 'content-type': 'text/calendar' } });
    expect(res.status).toBe(401);
  });
});

function byTitle(a: { title: unknown }, b: { title: unknown }) {
  return String(a.title).localeCompare(String(b.title));
}
