import rrulePkg from 'rrule';
import { describe, expect, it } from 'vitest';
import { expandOccurrences, isValidTimeZone, nextOccurrenceStart, normalizeRecurrence, seriesEnd } from './recurrence.ts';

const { RRule } = rrulePkg;

const d = (iso: string) => new Date(iso);
const iso = (date: Date) => date.toISOString().replace('.000Z', 'Z');
const starts = (list: Array<{ start: Date }>) => list.map((o) => iso(o.start));
const HOUR = 3_600_000;

/** An event of `hours` from `start`, expanded over [from, to]. */
function expand(
  rrule: string | null,
  start: string,
  from: string,
  to: string,
  extra: { timezone?: string; hours?: number; limit?: number } = {},
) {
  const s = d(start);
  return expandOccurrences({
    start: s,
    end: new Date(s.getTime() + (extra.hours ?? 1) * HOUR),
    rrule,
    timezone: extra.timezone ?? 'UTC',
    from: d(from),
    to: d(to),
    ...(extra.limit === undefined ? {} : { limit: extra.limit }),
  });
}

const rule = (pattern: unknown) => {
  const result = normalizeRecurrence(pattern);
  if (!result.ok) throw new Error(result.message);
  return result.rrule;
};

describe('normalizeRecurrence', () => {
  it.each([
    ['daily', 'FREQ=DAILY;INTERVAL=1'],
    ['Weekly', 'FREQ=WEEKLY;INTERVAL=1'],
    [' monthly ', 'FREQ=MONTHLY;INTERVAL=1'],
    ['YEARLY', 'FREQ=YEARLY;INTERVAL=1'],
  ])('reads the shorthand %j', (input, expected) => {
    expect(normalizeRecurrence(input)).toEqual({ ok: true, rrule: expected });
  });

  it.each([
    ['FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10', 'FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE;COUNT=10'],
    ['RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=10', 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=10'],
    ['rrule:count=3;freq=daily;interval=02;', 'FREQ=DAILY;INTERVAL=2;COUNT=3'],
    [' FREQ = WEEKLY ; BYDAY = we,mo,WE ', 'FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE'],
    ['FREQ=MONTHLY;BYDAY=-1FR', 'FREQ=MONTHLY;INTERVAL=1;BYDAY=-1FR'],
    ['FREQ=MONTHLY;BYDAY=+2TU,-1TU,TU', 'FREQ=MONTHLY;INTERVAL=1;BYDAY=TU,2TU,-1TU'],
    ['FREQ=MONTHLY;BYMONTHDAY=-1,15,1', 'FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=1,15,-1'],
    ['FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1', 'FREQ=MONTHLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1'],
    ['FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1', 'FREQ=YEARLY;INTERVAL=1;BYMONTHDAY=-1;BYMONTH=2'],
    ['FREQ=YEARLY;BYMONTH=11;BYDAY=4TH', 'FREQ=YEARLY;INTERVAL=1;BYDAY=4TH;BYMONTH=11'],
    ['FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=SU', 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=SU'],
    ['FREQ=WEEKLY;WKST=MO', 'FREQ=WEEKLY;INTERVAL=1'],
    ['FREQ=WEEKLY;UNTIL=20250630T170000Z', 'FREQ=WEEKLY;INTERVAL=1;UNTIL=20250630T170000Z'],
    ['FREQ=WEEKLY;UNTIL=20250630T170000', 'FREQ=WEEKLY;INTERVAL=1;UNTIL=20250630T170000Z'],
    ['FREQ=WEEKLY;UNTIL=20250630', 'FREQ=WEEKLY;INTERVAL=1;UNTIL=20250630T235959Z'],
    ['FREQ=WEEKLY;UNTIL=2025-06-30T19:00:00+02:00', 'FREQ=WEEKLY;INTERVAL=1;UNTIL=20250630T170000Z'],
  ])('writes the rule %j canonically', (input, expected) => {
    expect(normalizeRecurrence(input)).toEqual({ ok: true, rrule: expected });
  });

  it('reads the object form', () => {
    expect(rule({ frequency: 'weekly', interval: 2, by_weekday: ['WE', 'MO'], count: 6 })).toBe(
      'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=6',
    );
    expect(rule({ frequency: 'monthly' })).toBe('FREQ=MONTHLY;INTERVAL=1');
    expect(rule({ frequency: 'daily', until: '2025-05-01 10:00' })).toBe('FREQ=DAILY;INTERVAL=1;UNTIL=20250501T100000Z');
    expect(rule({ frequency: 'daily', until: '2025-05-01T12:00:00+02:00' })).toBe('FREQ=DAILY;INTERVAL=1;UNTIL=20250501T100000Z');
    // A bare date keeps the whole day, as in the RRULE form.
    expect(rule({ frequency: 'daily', until: '2025-05-01' })).toBe('FREQ=DAILY;INTERVAL=1;UNTIL=20250501T235959Z');
    // Objects that did not pass through zod yet are read the same way.
    expect(rule({ frequency: 'Weekly', by_weekday: ['monday', 'friday'] })).toBe('FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,FR');
  });

  it.each([null, undefined, '', {}])('reads %j as no recurrence', (input) => {
    expect(normalizeRecurrence(input)).toEqual({ ok: true, rrule: null });
  });

  it('is idempotent', () => {
    for (const input of [
      'weekly',
      'FREQ=MONTHLY;BYDAY=-1FR,MO;COUNT=4',
      'FREQ=WEEKLY;UNTIL=20250630',
      { frequency: 'daily', interval: 3 },
    ]) {
      const once = rule(input);
      expect(rule(once)).toBe(once);
    }
  });

  it.each([
    ['fortnightly', 'daily, weekly, monthly, yearly'],
    ['FREQ=HOURLY', 'too fine'],
    ['FREQ=MINUTELY;INTERVAL=5', 'too fine'],
    ['FREQ=SECONDLY', 'too fine'],
    ['FREQ=FORTNIGHTLY', 'FREQ must be'],
    ['INTERVAL=2', 'FREQ is required'],
    ['FREQ', 'an RRULE such as'],
    ['FREQ=WEEKLY;BYDAY', 'KEY=VALUE'],
    ['FREQ=DAILY;COUNT=2;UNTIL=20250101T000000Z', 'COUNT and UNTIL'],
    ['FREQ=DAILY;INTERVAL=0', 'INTERVAL'],
    ['FREQ=DAILY;INTERVAL=1001', 'INTERVAL'],
    ['FREQ=DAILY;INTERVAL=-1', 'INTERVAL'],
    ['FREQ=DAILY;COUNT=0', 'COUNT'],
    ['FREQ=DAILY;COUNT=100001', 'COUNT'],
    ['FREQ=DAILY;COUNT=2.5', 'COUNT'],
    ['FREQ=DAILY;BYHOUR=9', 'not supported'],
    ['FREQ=YEARLY;BYWEEKNO=20', 'not supported'],
    ['FREQ=DAILY;FREQ=WEEKLY', 'twice'],
    ['FREQ=WEEKLY;BYDAY=XX', 'BYDAY'],
    ['FREQ=WEEKLY;BYDAY=', 'BYDAY'],
    ['FREQ=WEEKLY;BYDAY=1MO', 'MONTHLY or FREQ=YEARLY'],
    ['FREQ=MONTHLY;BYDAY=6MO', 'from 1 to 5'],
    ['FREQ=MONTHLY;BYDAY=0MO', 'from 1 to 5'],
    ['FREQ=YEARLY;BYDAY=54MO', 'from 1 to 53'],
    ['FREQ=MONTHLY;BYMONTHDAY=32', 'BYMONTHDAY'],
    ['FREQ=MONTHLY;BYMONTHDAY=0', 'BYMONTHDAY'],
    ['FREQ=WEEKLY;BYMONTHDAY=1', 'WEEKLY'],
    ['FREQ=YEARLY;BYMONTH=13', 'BYMONTH'],
    ['FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30', 'no month'],
    ['FREQ=DAILY;BYMONTH=4,6;BYMONTHDAY=31', 'no month'],
    ['FREQ=MONTHLY;BYSETPOS=1', 'BYSETPOS needs'],
    ['FREQ=DAILY;BYDAY=MO;BYSETPOS=2', 'BYSETPOS'],
    ['FREQ=WEEKLY;BYDAY=MO;WKST=XX', 'WKST'],
    ['FREQ=DAILY;UNTIL=tomorrow', 'UNTIL'],
    ['FREQ=DAILY;UNTIL=20250230', 'UNTIL'],
    ['DTSTART:20250101T090000Z\nRRULE:FREQ=WEEKLY', 'DTSTART'],
    ['FREQ=WEEKLY\nFREQ=DAILY', 'single'],
    ['   ', 'blank'],
    ['RRULE:', 'an RRULE such as'],
  ])('rejects %j, saying why', (input, fragment) => {
    const result = normalizeRecurrence(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(fragment);
  });

  it.each([
    [{ frequency: 'hourly' }, 'frequency'],
    [{ frequency: 'daily', count: 2, until: '2025-01-01T00:00:00Z' }, 'count and until'],
    [{ frequency: 'daily', until: 'next week' }, 'until'],
    [{ interval: 2 }, 'frequency'],
    [{ frequency: 'daily', interval: 0 }, 'interval'],
    [{ frequency: 'daily', colour: 'red' }, 'colour'],
    [{ frequency: 5 }, 'frequency'],
    [{ frequency: 'daily;COUNT=5' }, 'frequency'],
    [{ frequency: 'weekly', by_weekday: ['XX'] }, 'by_weekday'],
  ])('rejects the object %j', (input, fragment) => {
    const result = normalizeRecurrence(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(fragment);
  });

  it.each([42, true, ['daily']])('rejects %j as the wrong kind of value', (input) => {
    expect(normalizeRecurrence(input)).toEqual({ ok: false, message: 'must be a string, an object or null' });
  });
});

describe('expandOccurrences', () => {
  it('treats a one-off event as its single occurrence, half-open', () => {
    const one = (from: string, to: string) => starts(expand(null, '2030-01-01T10:00:00Z', from, to));
    expect(one('2030-01-01T10:30:00Z', '2030-01-02T00:00:00Z')).toEqual(['2030-01-01T10:00:00Z']);
    expect(one('2030-01-01T00:00:00Z', '2030-01-01T10:00:00Z')).toEqual(['2030-01-01T10:00:00Z']); // to is inclusive
    expect(one('2030-01-01T11:00:00Z', '2030-01-02T00:00:00Z')).toEqual([]); // ends as the window starts
    expect(one('2030-01-02T00:00:00Z', '2030-01-01T00:00:00Z')).toEqual([]); // window the wrong way round
  });

  it('includes zero-length occurrences whose start lies in the window, edges included', () => {
    const zero = (from: string, to: string) => starts(expand('FREQ=DAILY;INTERVAL=1', '2030-01-01T10:00:00Z', from, to, { hours: 0 }));
    expect(zero('2030-01-02T10:00:00Z', '2030-01-03T10:00:00Z')).toEqual(['2030-01-02T10:00:00Z', '2030-01-03T10:00:00Z']);
    expect(zero('2030-01-02T10:00:01Z', '2030-01-03T09:59:59Z')).toEqual([]);
  });

  it.each([
    ['daily', ['2030-01-01T10:00:00Z', '2030-01-02T10:00:00Z', '2030-01-03T10:00:00Z']],
    ['weekly', ['2030-01-01T10:00:00Z', '2030-01-08T10:00:00Z', '2030-01-15T10:00:00Z']],
    ['monthly', ['2030-01-01T10:00:00Z', '2030-02-01T10:00:00Z', '2030-03-01T10:00:00Z']],
    ['yearly', ['2030-01-01T10:00:00Z', '2031-01-01T10:00:00Z', '2032-01-01T10:00:00Z']],
  ])('expands the shorthand %s', (shorthand, expected) => {
    expect(starts(expand(rule(shorthand), '2030-01-01T10:00:00Z', '2029-01-01T00:00:00Z', '2040-01-01T00:00:00Z', { limit: 3 }))).toEqual(
      expected,
    );
  });

  it('expands the object form with weekdays and a count', () => {
    // 2030-01-07 is a Monday.
    const list = expand(
      rule({ frequency: 'weekly', interval: 2, by_weekday: ['MO', 'WE'], count: 5 }),
      '2030-01-07T09:00:00Z',
      '2030-01-01T00:00:00Z',
      '2031-01-01T00:00:00Z',
    );
    expect(starts(list)).toEqual([
      '2030-01-07T09:00:00Z',
      '2030-01-09T09:00:00Z',
      '2030-01-21T09:00:00Z',
      '2030-01-23T09:00:00Z',
      '2030-02-04T09:00:00Z',
    ]);
    expect(list.every((o) => o.end.getTime() - o.start.getTime() === HOUR)).toBe(true);
  });

  it('expands RRULE strings with BYDAY positions and BYSETPOS', () => {
    const lastFriday = expand(rule('FREQ=MONTHLY;BYDAY=-1FR'), '2030-01-25T16:00:00Z', '2030-01-01T00:00:00Z', '2030-05-01T00:00:00Z');
    expect(starts(lastFriday)).toEqual(['2030-01-25T16:00:00Z', '2030-02-22T16:00:00Z', '2030-03-29T16:00:00Z', '2030-04-26T16:00:00Z']);
    const lastWorkday = expand(
      rule('FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1'),
      '2030-01-31T16:00:00Z',
      '2030-01-01T00:00:00Z',
      '2030-04-01T00:00:00Z',
    );
    expect(starts(lastWorkday)).toEqual(['2030-01-31T16:00:00Z', '2030-02-28T16:00:00Z', '2030-03-29T16:00:00Z']);
    const thanksgiving = expand(
      rule('FREQ=YEARLY;BYMONTH=11;BYDAY=4TH'),
      '2030-11-28T17:00:00Z',
      '2030-01-01T00:00:00Z',
      '2033-01-01T00:00:00Z',
    );
    expect(starts(thanksgiving)).toEqual(['2030-11-28T17:00:00Z', '2031-11-27T17:00:00Z', '2032-11-25T17:00:00Z']);
  });

  it('keeps Berlin wall-clock time across the spring change', () => {
    // 2025-03-24 09:00 CET = 08:00Z; after 2025-03-30 09:00 CEST = 07:00Z.
    const list = expand('FREQ=WEEKLY;INTERVAL=1', '2025-03-24T08:00:00Z', '2025-03-20T00:00:00Z', '2025-04-10T00:00:00Z', {
      timezone: 'Europe/Berlin',
    });
    expect(starts(list)).toEqual(['2025-03-24T08:00:00Z', '2025-03-31T07:00:00Z', '2025-04-07T07:00:00Z']);
    expect(list.every((o) => o.end.getTime() - o.start.getTime() === HOUR)).toBe(true);
  });

  it('keeps Berlin wall-clock time across the autumn change', () => {
    const list = expand('FREQ=DAILY;INTERVAL=1', '2025-10-24T07:00:00Z', '2025-10-24T00:00:00Z', '2025-10-28T00:00:00Z', {
      timezone: 'Europe/Berlin',
    });
    expect(starts(list)).toEqual(['2025-10-24T07:00:00Z', '2025-10-25T07:00:00Z', '2025-10-26T08:00:00Z', '2025-10-27T08:00:00Z']);
  });

  it('keeps New York wall-clock time across the November change', () => {
    // 09:00 EDT = 13:00Z; from 2025-11-02 09:00 EST = 14:00Z.
    const list = expand('FREQ=WEEKLY;INTERVAL=1', '2025-10-27T13:00:00Z', '2025-10-20T00:00:00Z', '2025-11-11T00:00:00Z', {
      timezone: 'America/New_York',
    });
    expect(starts(list)).toEqual(['2025-10-27T13:00:00Z', '2025-11-03T14:00:00Z', '2025-11-10T14:00:00Z']);
  });

  it('moves a time that the spring-forward gap skips to after the gap, as RFC 5545 says', () => {
    // 02:30 does not exist in New York on 2025-03-09: it is read with the offset before the gap, 03:30 EDT.
    const list = expand('FREQ=DAILY;INTERVAL=1', '2025-03-08T07:30:00Z', '2025-03-08T00:00:00Z', '2025-03-11T00:00:00Z', {
      timezone: 'America/New_York',
    });
    expect(starts(list)).toEqual(['2025-03-08T07:30:00Z', '2025-03-09T07:30:00Z', '2025-03-10T06:30:00Z']);
  });

  it('takes the first of a time the fall-back change repeats, as RFC 5545 says', () => {
    // 01:30 happens twice in New York on 2025-11-02: the occurrence is the first, 01:30 EDT = 05:30Z.
    const list = expand('FREQ=DAILY;INTERVAL=1', '2025-11-01T05:30:00Z', '2025-11-01T00:00:00Z', '2025-11-04T00:00:00Z', {
      timezone: 'America/New_York',
    });
    expect(starts(list)).toEqual(['2025-11-01T05:30:00Z', '2025-11-02T05:30:00Z', '2025-11-03T06:30:00Z']);
    // An event that starts in the second 01:30 keeps its own instant.
    const second = expand('FREQ=DAILY;INTERVAL=1', '2025-11-02T06:30:00Z', '2025-11-01T00:00:00Z', '2025-11-04T00:00:00Z', {
      timezone: 'America/New_York',
    });
    expect(starts(second)).toEqual(['2025-11-02T06:30:00Z', '2025-11-03T06:30:00Z']);
  });

  it('reads BYDAY as the weekday in the event’s zone', () => {
    // Monday 08:00 in Auckland is Sunday evening in UTC.
    const list = expand('FREQ=WEEKLY;INTERVAL=1;BYDAY=MO', '2025-06-01T20:00:00Z', '2025-06-01T00:00:00Z', '2025-06-16T00:00:00Z', {
      timezone: 'Pacific/Auckland',
    });
    expect(starts(list)).toEqual(['2025-06-01T20:00:00Z', '2025-06-08T20:00:00Z', '2025-06-15T20:00:00Z']);
  });

  it('yields exactly COUNT occurrences', () => {
    for (const count of [1, 2, 5, 53]) {
      const list = expand(`FREQ=WEEKLY;INTERVAL=1;COUNT=${count}`, '2030-01-01T10:00:00Z', '2029-01-01T00:00:00Z', '2032-01-01T00:00:00Z');
      expect(list).toHaveLength(count);
    }
    const later = expand('FREQ=DAILY;INTERVAL=1;COUNT=10', '2030-01-01T10:00:00Z', '2030-01-08T00:00:00Z', '2031-01-01T00:00:00Z');
    expect(starts(later)).toEqual(['2030-01-08T10:00:00Z', '2030-01-09T10:00:00Z', '2030-01-10T10:00:00Z']);
  });

  it('counts a start that does not fit the rule as the first occurrence', () => {
    // 2030-01-01 is a Tuesday; the rule says Mondays and Wednesdays.
    const list = expand(
      'FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE;COUNT=4',
      '2030-01-01T10:00:00Z',
      '2029-01-01T00:00:00Z',
      '2031-01-01T00:00:00Z',
    );
    expect(starts(list)).toEqual(['2030-01-01T10:00:00Z', '2030-01-02T10:00:00Z', '2030-01-07T10:00:00Z', '2030-01-09T10:00:00Z']);
    const endless = expand('FREQ=WEEKLY;INTERVAL=1;BYDAY=MO', '2030-01-01T10:00:00Z', '2029-01-01T00:00:00Z', '2030-01-15T00:00:00Z');
    expect(starts(endless)).toEqual(['2030-01-01T10:00:00Z', '2030-01-07T10:00:00Z', '2030-01-14T10:00:00Z']);
  });

  it('stops at UNTIL, inclusive, comparing instants', () => {
    const base = (until: string) =>
      starts(expand(`FREQ=DAILY;INTERVAL=1;UNTIL=${until}`, '2030-01-01T10:00:00Z', '2029-01-01T00:00:00Z', '2031-01-01T00:00:00Z'));
    expect(base('20300103T100000Z')).toEqual(['2030-01-01T10:00:00Z', '2030-01-02T10:00:00Z', '2030-01-03T10:00:00Z']);
    expect(base('20300103T095959Z')).toEqual(['2030-01-01T10:00:00Z', '2030-01-02T10:00:00Z']);
    // Before the start: the event itself still happens, nothing more.
    expect(base('20291231T000000Z')).toEqual(['2030-01-01T10:00:00Z']);
    // 09:00 Berlin in summer is 07:00Z: UNTIL at exactly that instant keeps July 1.
    const berlin = expand(
      rule('FREQ=DAILY;UNTIL=20300701T070000Z'),
      '2030-06-29T07:00:00Z',
      '2030-06-01T00:00:00Z',
      '2030-08-01T00:00:00Z',
      { timezone: 'Europe/Berlin' },
    );
    expect(starts(berlin)).toEqual(['2030-06-29T07:00:00Z', '2030-06-30T07:00:00Z', '2030-07-01T07:00:00Z']);
  });

  it('includes an occurrence that started before the window and is still running', () => {
    const list = expand('FREQ=DAILY;INTERVAL=1', '2030-01-01T22:00:00Z', '2030-01-05T01:00:00Z', '2030-01-05T01:30:00Z', { hours: 4 });
    expect(starts(list)).toEqual(['2030-01-04T22:00:00Z']);
    // A long occurrence (three days) is still found from far inside it.
    const long = expand('FREQ=WEEKLY;INTERVAL=1', '2030-01-01T00:00:00Z', '2030-01-17T12:00:00Z', '2030-01-17T13:00:00Z', { hours: 72 });
    expect(starts(long)).toEqual(['2030-01-15T00:00:00Z']);
  });

  it('answers windows far in the future without walking from the start', () => {
    const daily = expand('FREQ=DAILY;INTERVAL=1', '2025-01-01T09:00:00Z', '2124-06-01T00:00:00Z', '2124-06-03T00:00:00Z');
    expect(starts(daily)).toEqual(['2124-06-01T09:00:00Z', '2124-06-02T09:00:00Z']);
    // Eight thousand years of a daily Berlin series: only fast because the walk starts near the window.
    const far = expand('FREQ=DAILY;INTERVAL=3', '0001-01-01T09:00:00Z', '9999-12-01T00:00:00Z', '9999-12-10T00:00:00Z', {
      timezone: 'UTC',
    });
    expect(far).toHaveLength(3);
    expect((far[0]!.start.getTime() - d('0001-01-01T09:00:00Z').getTime()) % (3 * 24 * HOUR)).toBe(0);
    // Every third month on the 31st: April is skipped.
    const monthly = expand('FREQ=MONTHLY;INTERVAL=3', '2025-01-31T09:00:00Z', '2400-01-01T00:00:00Z', '2401-01-01T00:00:00Z');
    expect(starts(monthly)).toEqual(['2400-01-31T09:00:00Z', '2400-07-31T09:00:00Z', '2400-10-31T09:00:00Z']);
    const leap = expand('FREQ=YEARLY;INTERVAL=1', '2024-02-29T12:00:00Z', '2090-01-01T00:00:00Z', '2105-01-01T00:00:00Z');
    expect(starts(leap)).toEqual(['2092-02-29T12:00:00Z', '2096-02-29T12:00:00Z', '2104-02-29T12:00:00Z']);
  });

  it('skips months without the 31st, as RFC 5545 says', () => {
    const list = expand('FREQ=MONTHLY;INTERVAL=1', '2030-01-31T12:00:00Z', '2030-01-01T00:00:00Z', '2030-08-30T00:00:00Z');
    expect(starts(list)).toEqual(['2030-01-31T12:00:00Z', '2030-03-31T12:00:00Z', '2030-05-31T12:00:00Z', '2030-07-31T12:00:00Z']);
    const lastDay = expand(rule('FREQ=MONTHLY;BYMONTHDAY=-1'), '2030-01-31T12:00:00Z', '2030-01-01T00:00:00Z', '2030-05-01T00:00:00Z');
    expect(starts(lastDay)).toEqual(['2030-01-31T12:00:00Z', '2030-02-28T12:00:00Z', '2030-03-31T12:00:00Z', '2030-04-30T12:00:00Z']);
  });

  it('honours the limit, the event itself included', () => {
    expect(
      expand('FREQ=DAILY;INTERVAL=1', '2030-01-01T10:00:00Z', '2030-01-01T00:00:00Z', '2031-01-01T00:00:00Z', { limit: 7 }),
    ).toHaveLength(7);
    expect(
      expand('FREQ=DAILY;INTERVAL=1', '2030-01-01T10:00:00Z', '2030-01-01T00:00:00Z', '2031-01-01T00:00:00Z', { limit: 1 }),
    ).toHaveLength(1);
    expect(expand('FREQ=DAILY;INTERVAL=1', '2030-01-01T10:00:00Z', '2030-01-01T00:00:00Z', '2031-01-01T00:00:00Z')).toHaveLength(365);
  });

  it('keeps years 0-99 and sub-second starts as they are', () => {
    expect(starts(expand('FREQ=YEARLY;INTERVAL=1', '0005-03-01T10:00:00Z', '0006-01-01T00:00:00Z', '0007-01-01T00:00:00Z'))).toEqual([
      '0006-03-01T10:00:00Z',
    ]);
    // 0004 is a leap year and 0001-01-01 a Monday, as in the proleptic Gregorian calendar.
    expect(starts(expand('FREQ=YEARLY;INTERVAL=1', '0004-02-29T10:00:00Z', '0004-03-01T00:00:00Z', '0013-01-01T00:00:00Z'))).toEqual([
      '0008-02-29T10:00:00Z',
      '0012-02-29T10:00:00Z',
    ]);
    expect(
      starts(expand('FREQ=WEEKLY;INTERVAL=1;BYDAY=MO', '0001-01-01T10:00:00Z', '0001-01-02T00:00:00Z', '0001-01-09T00:00:00Z')),
    ).toEqual(['0001-01-08T10:00:00Z']);
    const ms = expand('FREQ=DAILY;INTERVAL=1', '2030-01-01T10:00:00.250Z', '2030-01-02T00:00:00Z', '2030-01-03T00:00:00Z');
    expect(ms.map((o) => o.start.toISOString())).toEqual(['2030-01-02T10:00:00.250Z']);
  });

  it('gives up on rules that can never match from their start', () => {
    for (const never of [
      'FREQ=DAILY;INTERVAL=7;BYDAY=TU', // every seventh day from a Monday is a Monday
      'FREQ=MONTHLY;INTERVAL=2;BYMONTH=2', // odd months only from January
      'FREQ=DAILY;INTERVAL=1;BYMONTH=2;BYMONTHDAY=30', // normalizeRecurrence refuses it; stored data might not
      'FREQ=MONTHLY;INTERVAL=1;BYDAY=MO;BYSETPOS=6',
    ]) {
      const list = expand(never, '2029-01-01T10:00:00Z', '2030-01-01T00:00:00Z', '2030-02-01T00:00:00Z');
      expect(list, never).toEqual([]);
    }
  });

  it('reads an unknown zone as UTC rather than failing', () => {
    expect(
      starts(
        expand('FREQ=DAILY;INTERVAL=1', '2030-01-01T10:00:00Z', '2030-01-02T00:00:00Z', '2030-01-03T00:00:00Z', { timezone: 'Mars/Base' }),
      ),
    ).toEqual(['2030-01-02T10:00:00Z']);
  });

  it('agrees with a plain walk from the start of the series (random rules and windows)', () => {
    // The walk skips ahead to the window; a plain rrule.js walk from the start must see the same dates.
    let seed = 20250401;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pick = <T>(list: readonly T[]) => list[random(list.length)]!;
    for (let i = 0; i < 200; i++) {
      const freq = pick(['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'] as const);
      const parts = [`FREQ=${freq}`, `INTERVAL=${pick([1, 1, 2, 3, 5, 7, 12])}`];
      if (random(3) === 0 && freq !== 'DAILY') parts.push(`BYDAY=${pick(['MO', 'TU,TH', 'SA,SU', 'MO,WE,FR'])}`);
      if (random(4) === 0 && freq !== 'WEEKLY') parts.push(`BYMONTHDAY=${pick(['1', '15', '31', '-1', '29'])}`);
      if (random(4) === 0 && freq === 'YEARLY') parts.push(`BYMONTH=${pick(['2', '3,9', '12'])}`);
      if (random(5) === 0 && freq === 'WEEKLY') parts.push(`WKST=${pick(['SU', 'WE'])}`);
      if (random(4) === 0) parts.push(`UNTIL=${2030 + random(60)}0615T120000Z`);
      const normalized = normalizeRecurrence(parts.join(';'));
      if (!normalized.ok) continue;
      const start = new Date(Date.UTC(2025 + random(3), random(12), 1 + random(28), random(24), random(4) * 15));
      const hours = pick([0, 1, 30, 24 * 9]);
      const from = new Date(start.getTime() + random(25 * 366) * 24 * HOUR);
      const to = new Date(from.getTime() + random(400) * 24 * HOUR);
      const got = expandOccurrences({
        start,
        end: new Date(start.getTime() + hours * HOUR),
        rrule: normalized.rrule,
        timezone: 'UTC',
        from,
        to,
      });

      const plain = new RRule({ ...RRule.parseString(normalized.rrule!), dtstart: start });
      const dates = [start, ...plain.between(new Date(from.getTime() - hours * HOUR), to, true)];
      const expected = [...new Set(dates.map((x) => x.getTime()))]
        .sort((a, b) => a - b)
        .filter((s) => (hours === 0 ? s >= from.getTime() && s <= to.getTime() : s <= to.getTime() && s + hours * HOUR > from.getTime()));
      expect(
        got.map((o) => o.start.getTime()),
        `${normalized.rrule} from ${start.toISOString()} window ${from.toISOString()}`,
      ).toEqual(expected);
    }
  }, 60_000);
});

describe('seriesEnd', () => {
  const start = d('2030-01-01T10:00:00Z');
  const end = d('2030-01-01T11:00:00Z');
  const ends = (rrule: string | null, timezone = 'UTC') => seriesEnd({ start, end, rrule, timezone });

  it('is the end of a one-off event and null for an endless series', () => {
    expect(ends(null)).toEqual(end);
    expect(ends('FREQ=WEEKLY;INTERVAL=1')).toBeNull();
    expect(ends('FREQ=MONTHLY;INTERVAL=1;BYDAY=-1FR')).toBeNull();
  });

  it('is the end of the last occurrence of a COUNT rule', () => {
    expect(ends('FREQ=DAILY;INTERVAL=1;COUNT=3')).toEqual(d('2030-01-03T11:00:00Z'));
    expect(ends('FREQ=DAILY;INTERVAL=1;COUNT=1')).toEqual(end);
    // Tuesday start, Mondays and Wednesdays: Tue 1, Wed 2, Mon 7, Wed 9.
    expect(ends('FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE;COUNT=4')).toEqual(d('2030-01-09T11:00:00Z'));
    // Dates stop at year 9999, so does the series.
    expect(ends('FREQ=MONTHLY;INTERVAL=1;COUNT=100000')).toEqual(d('9999-12-01T11:00:00Z'));
  });

  it('is the end of the last occurrence at or before UNTIL', () => {
    expect(ends('FREQ=WEEKLY;INTERVAL=1;UNTIL=20300120T000000Z')).toEqual(d('2030-01-15T11:00:00Z'));
    expect(ends('FREQ=WEEKLY;INTERVAL=1;UNTIL=20300115T100000Z')).toEqual(d('2030-01-15T11:00:00Z'));
    expect(ends('FREQ=WEEKLY;INTERVAL=1;UNTIL=20291201T000000Z')).toEqual(end);
    // A sparse rule whose last date is many years before UNTIL.
    expect(ends('FREQ=YEARLY;INTERVAL=1;BYMONTH=2;BYMONTHDAY=29;UNTIL=20950101T000000Z')).toEqual(d('2092-02-29T11:00:00Z'));
    // Far ahead: found without walking every day.
    // 11:00 Berlin (10:00Z) every day until 9999-01-01 00:00Z (01:00 Berlin).
    expect(ends('FREQ=DAILY;INTERVAL=1;UNTIL=99990101T000000Z', 'Europe/Berlin')).toEqual(d('9998-12-31T11:00:00Z'));
  });

  it('follows the zone across DST changes', () => {
    // 09:00 Berlin, weekly five times from 2025-03-17: the last, 2025-04-14, is in summer time (07:00Z).
    const berlin = seriesEnd({
      start: d('2025-03-17T08:00:00Z'),
      end: d('2025-03-17T09:00:00Z'),
      rrule: 'FREQ=WEEKLY;INTERVAL=1;COUNT=5',
      timezone: 'Europe/Berlin',
    });
    expect(berlin).toEqual(d('2025-04-14T08:00:00Z'));
  });

  it('matches the last occurrence expandOccurrences finds', () => {
    for (const rrule of [
      'FREQ=DAILY;INTERVAL=2;COUNT=17',
      'FREQ=MONTHLY;INTERVAL=1;BYDAY=2TU;UNTIL=20310101T000000Z',
      'FREQ=WEEKLY;INTERVAL=3;BYDAY=SU;COUNT=9',
    ]) {
      const all = expandOccurrences({ start, end, rrule, timezone: 'America/New_York', from: start, to: d('2040-01-01T00:00:00Z') });
      expect(seriesEnd({ start, end, rrule, timezone: 'America/New_York' }), rrule).toEqual(all.at(-1)!.end);
    }
  });

  it('answers null (no known end) for a COUNT rule too sparse to walk', () => {
    expect(ends('FREQ=DAILY;INTERVAL=1;BYMONTH=2;BYMONTHDAY=29;COUNT=100000')).toBeNull();
  });
});

describe('isValidTimeZone', () => {
  it.each([
    ['UTC', true],
    ['Europe/Berlin', true],
    ['America/New_York', true],
    ['Etc/GMT+5', true],
    ['Mars/Base', false],
    ['', false],
    ['+05:00', false],
  ])('%j → %s', (zone, valid) => {
    expect(isValidTimeZone(zone)).toBe(valid);
  });
});

describe('nextOccurrenceStart', () => {
  it('is the first occurrence expandOccurrences lists from the same time (random rules, zones and times)', () => {
    let seed = 20261203;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor(seed / 65_536) % n; // the high bits: the low ones of this generator repeat quickly
    };
    const pick = <T>(list: readonly T[]) => list[random(list.length)]!;
    const YEAR = 366 * 24 * HOUR;
    let compared = 0;
    for (let i = 0; i < 200; i++) {
      const freq = pick(['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'] as const);
      const parts = [`FREQ=${freq}`, `INTERVAL=${pick([1, 1, 2, 3, 7])}`];
      if (random(3) === 0 && freq !== 'DAILY') parts.push(`BYDAY=${pick(['MO', 'TU,TH', 'SA,SU'])}`);
      if (random(4) === 0 && freq === 'MONTHLY') parts.push(`BYMONTHDAY=${pick(['1', '15', '31', '-1'])}`);
      const ending = random(8);
      if (ending < 2) parts.push(`COUNT=${1 + random(40)}`);
      else if (ending < 4) parts.push(`UNTIL=${2026 + random(6)}0615T120000Z`);
      const normalized = normalizeRecurrence(parts.join(';'));
      if (!normalized.ok) continue;
      const timezone = pick(['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Sydney']);
      const start = new Date(Date.UTC(2025 + random(3), random(12), 1 + random(28), random(24), random(4) * 15));
      const after = new Date(start.getTime() + (random(3) === 0 ? 0 : random(5 * 366) * 24 * HOUR + random(24) * HOUR));
      const series = { start, end: start, rrule: normalized.rrule, timezone };
      const window = expandOccurrences({ ...series, from: after, to: new Date(after.getTime() + 3 * YEAR), limit: 1 });
      const next = nextOccurrenceStart({ start, rrule: normalized.rrule, timezone, after });
      const label = `${normalized.rrule} in ${timezone} from ${start.toISOString()}, after ${after.toISOString()}`;
      if (window[0]) compared += 1;
      if (window[0]) expect(next?.toISOString(), label).toBe(window[0].start.toISOString());
      else expect(next === null || next.getTime() > after.getTime() + 3 * YEAR, label).toBe(true);
    }
    // Most cases have an occurrence in the window: the comparison is not vacuous.
    expect(compared).toBeGreaterThan(100);
  });

  it('answers the start itself when it is not past, and null for a one-off event that is', () => {
    const start = new Date('2030-01-01T10:00:00Z');
    expect(nextOccurrenceStart({ start, rrule: null, timezone: 'UTC', after: start })).toEqual(start);
    expect(nextOccurrenceStart({ start, rrule: null, timezone: 'UTC', after: new Date('2030-01-01T10:00:01Z') })).toBeNull();
  });
});
