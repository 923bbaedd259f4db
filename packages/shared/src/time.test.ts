import { describe, expect, it } from 'vitest';
import { formatDateTime, isZoneless, parseDateTime } from './time.ts';

describe('parseDateTime', () => {
  it.each([
    ['2025-04-27T08:05:00Z', '2025-04-27T08:05:00Z'],
    ['2025-04-27 8:05', '2025-04-27T08:05:00Z'],
    ['2025-04-27 08:05:00', '2025-04-27T08:05:00Z'],
    ['2025-04-27T08:05', '2025-04-27T08:05:00Z'],
    ['2025-04-27', '2025-04-27T00:00:00Z'],
    ['2025-04-27T10:05:00+02:00', '2025-04-27T08:05:00Z'],
    ['2025-04-27T03:05:00-0500', '2025-04-27T08:05:00Z'],
    ['2025-04-27t08:05:00.999z', '2025-04-27T08:05:00Z'],
  ])('reads %s as %s', (input, expected) => {
    expect(formatDateTime(parseDateTime(input)!)).toBe(expected);
  });

  it.each([
    '',
    'yesterday',
    '2025-13-01',
    '2025-02-30',
    '2025-04-27T24:00',
    '2025-04-27T08:60',
    '27/04/2025',
    '2025-04-27T08:05:00+25:00',
    '0000-01-01',
  ])('refuses %j', (input) => {
    expect(parseDateTime(input)).toBeNull();
  });
});

describe('parseDateTime in a time zone', () => {
  it.each([
    // Berlin in winter (+01:00) and summer (+02:00)
    ['2025-03-28T09:00:00', 'Europe/Berlin', '2025-03-28T08:00:00Z'],
    ['2025-04-27 8:05', 'Europe/Berlin', '2025-04-27T06:05:00Z'],
    // The day Berlin moves its clocks forward: 09:00 is already summer time.
    ['2025-03-30T09:00', 'Europe/Berlin', '2025-03-30T07:00:00Z'],
    ['2025-03-30T01:30', 'Europe/Berlin', '2025-03-30T00:30:00Z'],
    // 02:30 does not exist that night: moved forward by the gap, to 03:30 summer time.
    ['2025-03-30T02:30', 'Europe/Berlin', '2025-03-30T01:30:00Z'],
    // 02:30 happens twice on 26 October: the earlier one (summer time) is taken.
    ['2025-10-26T02:30', 'Europe/Berlin', '2025-10-26T00:30:00Z'],
    ['2025-11-02 01:30', 'America/New_York', '2025-11-02T05:30:00Z'],
    ['2025-06-01', 'Asia/Kolkata', '2025-05-31T18:30:00Z'],
    // A time with Z or an offset is an instant: the zone does not change it.
    ['2025-03-28T09:00:00Z', 'Europe/Berlin', '2025-03-28T09:00:00Z'],
    ['2025-03-28T09:00:00+05:00', 'Europe/Berlin', '2025-03-28T04:00:00Z'],
    // An unknown zone reads as UTC (the zone itself is refused elsewhere).
    ['2025-03-28T09:00:00', 'Mars/Olympus', '2025-03-28T09:00:00Z'],
  ])('reads %s in %s as %s', (input, zone, expected) => {
    expect(formatDateTime(parseDateTime(input, zone)!)).toBe(expected);
  });

  it('tells zone-less times from instants', () => {
    expect(isZoneless('2025-04-27 8:05')).toBe(true);
    expect(isZoneless('2025-04-27')).toBe(true);
    expect(isZoneless('2025-04-27T08:05:00Z')).toBe(false);
    expect(isZoneless('2025-04-27T08:05:00+02:00')).toBe(false);
    expect(isZoneless('yesterday')).toBe(false);
  });
});
