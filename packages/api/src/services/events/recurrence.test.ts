import { describe, expect, it } from 'vitest';
import { expandOccurrences, isValidTimeZone, normalizeRecurrence, seriesEnd } from './recurrence.ts';

const d = (iso: string) => new Date(iso);
const isoList = (list: Array<{ start: Date }>) => list.map((o) => o.start.toISOString().replace('.000', ''));

describe('normalizeRecurrence', () => {
  it.each([
    ['daily', 'FREQ=DAILY;INTERVAL=1'],
    ['Weekly', 'FREQ=WEEKLY;INTERVAL=1'],
    ['monthly', 'FREQ=MONTHLY;INTERVAL=1'],
    ['YEARLY', 'FREQ=YEARLY;INTERVAL=1'],
    ['RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10', 'FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE;COUNT=10'],
    ['count=3;freq=daily;interval=2', 'FREQ=DAILY;INTERVAL=2;COUNT=3'],
    ['FREQ=MONTHLY;BYDAY=-1FR', 'FREQ=MONTHLY;INTERVAL=1;BYDAY=-1FR'],
    ['FREQ=WEEKLY;UNTIL=20250630', 'FREQ=WEEKLY;INTERVAL=1;UNTIL=20250630T235959Z'],
    ['FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1', 'FREQ=YEARLY;INTERVAL=1;BYMONTHDAY=-1;BYMONTH=2'],
  ])('normalizes %s', (input, expected) => {
    expect(normalizeRecurrence(input)).toEqual({ ok: true, rrule: expected });
  });

  it('normalizes the object form', () => {
    expect(normalizeRecurrence({ frequency: 'weekly', interval: 2, by_weekday: ['MO', 'WE'], count: 6 })).toEqual({
      ok: true,
      rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=6',
    });
    expect(normalizeRecurrence({ frequency: 'daily', until: '2025-05-01 10:00' })).toEqual({
      ok: true,
      rrule: 'FREQ=DAILY;INTERVAL=1;UNTIL=20250501T100000Z',
    });
  });

  it.each([null, undefined, '', {}])('reads %j as no recurrence', (input) => {
    expect(normalizeRecurrence(input)).toEqual({ ok: true, rrule: null });
  });

  it.each([
    'fortnightly',
    'FREQ=HOURLY',
    'FREQ=MINUTELY',
    'FREQ=DAILY;COUNT=2;UNTIL=20250101T000000Z',
    'FREQ=DAILY;INTERVAL=0',
    'FREQ=DAILY;INTERVAL=5000',
    'FREQ=DAILY;COUNT=1000000',
    'FREQ=DAILY;BYHOUR=9',
    'FREQ=WEEKLY;BYDAY=XX',
    'FREQ=DAILY;FREQ=WEEKLY',
    'INTERVAL=2',
    'FREQ=DAILY;UNTIL=tomorrow',
    'FREQ=MONTHLY;BYMONTHDAY=32',
    'FREQ',
  ])('rejects %s with a message', (input) => {
    const result = normalizeRecurrence(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message.length).toBeGreaterThan(3);
  });

  it('rejects values of the wrong kind', () => {
    expect(normalizeRecurrence(42).ok).toBe(false);
    expect(normalizeRecurrence(['daily']).ok).toBe(false);
    expect(normalizeRecurrence({ interval: 2 }).ok).toBe(false);
  });
});

describe('expandOccurrences', () => {
  const berlin = { start: d('2025-03-17T08:00:00Z'), end: d('2025-03-17T09:00:00Z'), rrule: 'FREQ=WEEKLY;INTERVAL=1', timezone: 'Europe/Berlin' };

  it('keeps local wall-clock time across the spring DST change', () => {
    const list = expandOccurrences({ ...berlin, from: d('2025-03-01T00:00:00Z'), to: d('2025-04-10T00:00:00Z') });
    expect(isoList(list)).toEqual(['2025-03-17T08:00:00Z', '2025-03-24T08:00:00Z', '2025-03-31T07:00:00Z', '2025-04-07T07:00:00Z']);
    expect(list.every((o) => o.end.getTime() - o.start.getTime() === 3_600_000)).toBe(true);
  });

  it('keeps local wall-clock time across the autumn DST change in New York', () => {
    const list = expandOccurrences({
      start: d('2025-10-27T13:00:00Z'), // 09:00 EDT
      end: d('2025-10-27T14:00:00Z'),
      rrule: 'FREQ=WEEKLY;INTERVAL=1',
      timezone: 'America/New_York',
      from: d('2025-10-20T00:00:00Z'),
      to: d('2025-11-11T00:00:00Z'),
    });
    expect(isoList(list)).toEqual(['2025-10-27T13:00:00Z', '2025-11-03T14:00:00Z', '2025-11-10T14:00:00Z']);
  });

  it('yields exactly COUNT occurrences and stops at UNTIL (inclusive)', () => {
    const base = { start: d('2030-01-01T10:00:00Z'), end: d('2030-01-01T11:00:00Z'), timezone: 'UTC', from: d('2029-01-01T00:00:00Z'), to: d('2031-01-01T00:00:00Z') };
    expect(expandOccurrences({ ...base, rrule: 'FREQ=DAILY;INTERVAL=1;COUNT=5' })).toHaveLength(5);
    expect(isoList(expandOccurrences({ ...base, rrule: 'FREQ=DAILY;INTERVAL=1;UNTIL=20300103T100000Z' }))).toEqual([
      '2030-01-01T10:00:00Z',
      '2030-01-02T10:00:00Z',
      '2030-01-03T10:00:00Z',
    ]);
  });

  it('includes an occurrence that started before the window and is still running', () => {
    const list = expandOccurrences({
      start: d('2030-01-01T22:00:00Z'),
      end: d('2030-01-02T02:00:00Z'),
      rrule: 'FREQ=DAILY;INTERVAL=1',
      timezone: 'UTC',
      from: d('2030-01-05T01:00:00Z'),
      to: d('2030-01-05T01:30:00Z'),
    });
    expect(isoList(list)).toEqual(['2030-01-04T22:00:00Z']);
  });

  it('answers a window far in the future without walking every occurrence into the result', () => {
    const list = expandOccurrences({
      start: d('2025-01-01T09:00:00Z'),
      end: d('2025-01-01T10:00:00Z'),
      rrule: 'FREQ=DAILY;INTERVAL=1',
      timezone: 'UTC',
      from: d('2124-06-01T00:00:00Z'),
      to: d('2124-06-03T00:00:00Z'),
    });
    expect(isoList(list)).toEqual(['2124-06-01T09:00:00Z', '2124-06-02T09:00:00Z']);
  });

  it('skips months without the 31st, as RFC 5545 says', () => {
    const list = expandOccurrences({
      start: d('2030-01-31T12:00:00Z'),
      end: d('2030-01-31T13:00:00Z'),
      rrule: 'FREQ=MONTHLY;INTERVAL=1',
      timezone: 'UTC',
      from: d('2030-01-01T00:00:00Z'),
      to: d('2030-06-30T00:00:00Z'),
    });
    expect(isoList(list)).toEqual(['2030-01-31T12:00:00Z', '2030-03-31T12:00:00Z', '2030-05-31T12:00:00Z']);
  });

  it('treats a one-off event as its single occurrence and honours the limit', () => {
    const one = { start: d('2030-01-01T10:00:00Z'), end: d('2030-01-01T11:00:00Z'), rrule: null, timezone: 'UTC' };
    expect(expandOccurrences({ ...one, from: d('2030-01-01T10:30:00Z'), to: d('2030-01-02T00:00:00Z') })).toHaveLength(1);
    expect(expandOccurrences({ ...one, from: d('2030-01-01T11:00:00Z'), to: d('2030-01-02T00:00:00Z') })).toHaveLength(0);
    const many = expandOccurrences({ ...one, rrule: 'FREQ=DAILY;INTERVAL=1', from: d('2030-01-01T00:00:00Z'), to: d('2031-01-01T00:00:00Z'), limit: 7 });
    expect(many).toHaveLength(7);
  });
});

describe('seriesEnd', () => {
  const start = d('2030-01-01T10:00:00Z');
  const end = d('2030-01-01T11:00:00Z');
  it('is the end for one-off events, null for endless series, the last occurrence’s end otherwise', () => {
    expect(seriesEnd({ start, end, rrule: null, timezone: 'UTC' })).toEqual(end);
    expect(seriesEnd({ start, end, rrule: 'FREQ=WEEKLY;INTERVAL=1', timezone: 'UTC' })).toBeNull();
    expect(seriesEnd({ start, end, rrule: 'FREQ=DAILY;INTERVAL=1;COUNT=3', timezone: 'UTC' })).toEqual(d('2030-01-03T11:00:00Z'));
    expect(seriesEnd({ start, end, rrule: 'FREQ=WEEKLY;INTERVAL=1;UNTIL=20300120T000000Z', timezone: 'UTC' })).toEqual(d('2030-01-15T11:00:00Z'));
  });
});

describe('isValidTimeZone', () => {
  it('knows IANA names', () => {
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Mars/Base')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
