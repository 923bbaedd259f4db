import { describe, expect, it } from 'vitest';
import { firstReminder, isOccurrence, reminderAfter, sendable, type ReminderSeries } from './next-fire.ts';

const at = (iso: string) => new Date(iso);
const iso = (planned: { occurrenceStart: Date; fireAt: Date } | null) =>
  planned && { occurrence: planned.occurrenceStart.toISOString(), fire: planned.fireAt.toISOString() };

const oneOff: ReminderSeries = { start_time: at('2030-05-01T10:00:00Z'), rrule: null, timezone: 'UTC' };
const dailyUtc: ReminderSeries = { start_time: at('2030-05-01T10:00:00Z'), rrule: 'FREQ=DAILY;INTERVAL=1', timezone: 'UTC' };

describe('firstReminder', () => {
  it('fires a one-off event’s reminder at its start minus the offset', () => {
    expect(iso(firstReminder(oneOff, 15, at('2030-04-01T00:00:00Z')))).toEqual({
      occurrence: '2030-05-01T10:00:00.000Z',
      fire: '2030-05-01T09:45:00.000Z',
    });
  });

  it('fires at the start itself for an offset of 0, and exactly at now is still ahead', () => {
    expect(iso(firstReminder(oneOff, 0, at('2030-05-01T10:00:00Z')))?.fire).toBe('2030-05-01T10:00:00.000Z');
    expect(iso(firstReminder(oneOff, 60, at('2030-05-01T09:00:00Z')))?.fire).toBe('2030-05-01T09:00:00.000Z');
  });

  it('plans nothing once a one-off event’s reminder time has passed', () => {
    expect(firstReminder(oneOff, 15, at('2030-05-01T09:45:01Z'))).toBeNull();
  });

  it('takes the next occurrence of a series whose current reminder time has passed', () => {
    // At 09:50 the 10:00 occurrence's 15-minute reminder (09:45) is past: the next day's is next.
    expect(iso(firstReminder(dailyUtc, 15, at('2030-05-03T09:50:00Z')))).toEqual({
      occurrence: '2030-05-04T10:00:00.000Z',
      fire: '2030-05-04T09:45:00.000Z',
    });
  });

  it('counts offsets of days back from the occurrence', () => {
    // Four weeks before: the first occurrence whose reminder is still ahead is 28 days out.
    expect(iso(firstReminder(dailyUtc, 40_320, at('2030-06-01T12:00:00Z')))).toEqual({
      occurrence: '2030-06-30T10:00:00.000Z',
      fire: '2030-06-02T10:00:00.000Z',
    });
  });

  it('finds the next occurrence of a decades-old open series', () => {
    const old: ReminderSeries = { start_time: at('1990-01-01T08:00:00Z'), rrule: 'FREQ=WEEKLY;BYDAY=MO', timezone: 'UTC' };
    // 2030-05-06 is a Monday.
    expect(iso(firstReminder(old, 0, at('2030-05-01T00:00:00Z')))?.occurrence).toBe('2030-05-06T08:00:00.000Z');
  });

  it('answers null after the last occurrence of a COUNT series and of an UNTIL series', () => {
    const counted: ReminderSeries = { ...dailyUtc, rrule: 'FREQ=DAILY;COUNT=3' };
    expect(iso(firstReminder(counted, 0, at('2030-05-02T12:00:00Z')))?.occurrence).toBe('2030-05-03T10:00:00.000Z');
    expect(firstReminder(counted, 0, at('2030-05-03T12:00:00Z'))).toBeNull();
    const until: ReminderSeries = { ...dailyUtc, rrule: 'FREQ=DAILY;UNTIL=20300503T100000Z' };
    expect(iso(firstReminder(until, 0, at('2030-05-03T09:00:00Z')))?.occurrence).toBe('2030-05-03T10:00:00.000Z');
    expect(firstReminder(until, 0, at('2030-05-03T10:00:01Z'))).toBeNull();
  });
});

describe('zoned series across daylight-saving changes', () => {
  // 09:00 in Berlin: 08:00Z in winter, 07:00Z in summer (the change is on 2027-03-28).
  const berlin: ReminderSeries = { start_time: at('2027-03-20T08:00:00Z'), rrule: 'FREQ=DAILY', timezone: 'Europe/Berlin' };

  it('keeps the wall-clock time, so the reminder moves an hour in UTC on the spring change', () => {
    expect(iso(firstReminder(berlin, 30, at('2027-03-27T07:00:00Z')))).toEqual({
      occurrence: '2027-03-27T08:00:00.000Z',
      fire: '2027-03-27T07:30:00.000Z',
    });
    expect(iso(reminderAfter(berlin, 30, at('2027-03-27T08:00:00Z'), at('2027-03-27T07:30:00Z')))).toEqual({
      occurrence: '2027-03-28T07:00:00.000Z',
      fire: '2027-03-28T06:30:00.000Z',
    });
  });

  it('moves back on the autumn change (New York, first Sunday of November)', () => {
    // 08:00 in New York: 12:00Z in summer, 13:00Z after 2027-11-07.
    const ny: ReminderSeries = { start_time: at('2027-10-31T12:00:00Z'), rrule: 'FREQ=WEEKLY', timezone: 'America/New_York' };
    expect(iso(reminderAfter(ny, 60, at('2027-10-31T12:00:00Z'), at('2027-10-31T11:00:00Z')))).toEqual({
      occurrence: '2027-11-07T13:00:00.000Z',
      fire: '2027-11-07T12:00:00.000Z',
    });
  });
});

describe('reminderAfter', () => {
  it('advances a daily reminder by one day once it fired', () => {
    expect(iso(reminderAfter(dailyUtc, 10, at('2030-05-02T10:00:00Z'), at('2030-05-02T09:50:00Z')))).toEqual({
      occurrence: '2030-05-03T10:00:00.000Z',
      fire: '2030-05-03T09:50:00.000Z',
    });
  });

  it('ends with the series', () => {
    expect(reminderAfter(oneOff, 10, oneOff.start_time, at('2030-05-01T09:50:00Z'))).toBeNull();
    const counted: ReminderSeries = { ...dailyUtc, rrule: 'FREQ=DAILY;COUNT=2' };
    expect(reminderAfter(counted, 10, at('2030-05-02T10:00:00Z'), at('2030-05-02T09:50:00Z'))).toBeNull();
  });

  it('passes over every occurrence missed by more than an hour after a long downtime', () => {
    // Down from May 2 to May 9 at 09:20: the May 9 reminder (09:50) is ahead, May 8's is a day late.
    expect(iso(reminderAfter(dailyUtc, 10, at('2030-05-02T10:00:00Z'), at('2030-05-09T09:20:00Z')))?.occurrence).toBe(
      '2030-05-09T10:00:00.000Z',
    );
    // At 10:30 the 09:50 reminder is 40 minutes late: still sendable, so it is the next one.
    expect(iso(reminderAfter(dailyUtc, 10, at('2030-05-02T10:00:00Z'), at('2030-05-09T10:30:00Z')))?.occurrence).toBe(
      '2030-05-09T10:00:00.000Z',
    );
  });
});

describe('sendable', () => {
  it('sends a reminder less than an hour late and skips one an hour late or more', () => {
    const fire = at('2030-05-01T09:00:00Z');
    expect(sendable(fire, at('2030-05-01T09:00:00Z'))).toBe(true);
    expect(sendable(fire, at('2030-05-01T09:59:59Z'))).toBe(true);
    expect(sendable(fire, at('2030-05-01T10:00:00Z'))).toBe(false);
    expect(sendable(fire, at('2030-05-01T12:00:00Z'))).toBe(false);
  });
});

describe('isOccurrence', () => {
  it('recognises the occurrences of a series and nothing between them', () => {
    expect(isOccurrence(dailyUtc, at('2030-05-07T10:00:00Z'))).toBe(true);
    expect(isOccurrence(dailyUtc, at('2030-05-07T11:00:00Z'))).toBe(false);
    expect(isOccurrence(oneOff, oneOff.start_time)).toBe(true);
    expect(isOccurrence(oneOff, at('2030-05-02T10:00:00Z'))).toBe(false);
  });
});
