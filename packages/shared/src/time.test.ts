import { describe, expect, it } from 'vitest';
import { formatDateTime, parseDateTime } from './time.ts';

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

  it.each(['', 'yesterday', '2025-13-01', '2025-02-30', '2025-04-27T24:00', '2025-04-27T08:60', '27/04/2025', '2025-04-27T08:05:00+25:00', '0000-01-01'])(
    'refuses %j',
    (input) => {
      expect(parseDateTime(input)).toBeNull();
    },
  );
});
