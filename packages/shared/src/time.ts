/**
 * Accepted time inputs: RFC 3339 / ISO 8601 with `Z` or an offset, and the
 * zone-less seed forms `2025-04-27 8:05`, `2025-04-27 08:05:00`,
 * `2025-04-27T08:05` and `2025-04-27`, which are wall-clock times read in a
 * given IANA zone (UTC unless one is given), as Google Calendar reads a
 * `dateTime` without an offset.
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** True when the text is an accepted time without `Z` or an offset (a wall-clock time). */
export function isZoneless(input: string): boolean {
  const match = DATE_TIME.exec(input.trim());
  return match !== null && match[8] === undefined;
}

/**
 * Parses a time in one of the accepted forms; returns null when it is not one.
 * A zone-less time is read in `timeZone` (an IANA name; UTC by default or when
 * the name is unknown).
 */
export function parseDateTime(input: string, timeZone = 'UTC'): Date | null {
  const match = DATE_TIME.exec(input.trim());
  if (!match) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  const millis = Number((frac + '000').slice(0, 3));
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  const date0 = new Date(0);
  date0.setUTCFullYear(year, month - 1, day);
  if (date0.getUTCDate() !== day) return null; // 2025-02-30 and friends
  date0.setUTCHours(hour, minute, second, millis);
  let utc = date0.getTime();
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMinutes = Number(digits.slice(2) || '0');
    if (offsetHours > 23 || offsetMinutes > 59) return null;
    utc -= sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  } else if (!zone && timeZone !== 'UTC') {
    utc = wallClockToInstant(utc, timeZone);
  }
  const date = new Date(utc);
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999) return null;
  return date;
}

/** RFC 3339 UTC with second precision: `2025-04-27T08:05:00Z`. */
export function formatDateTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const offsetFormats = new Map<string, Intl.DateTimeFormat | null>();

/** Formatter for a zone's wall-clock parts, or null for a name Intl does not know. */
function wallClockFormat(timeZone: string): Intl.DateTimeFormat | null {
  let format = offsetFormats.get(timeZone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      format = null;
    }
    offsetFormats.set(timeZone, format);
  }
  return format;
}

/** The zone's offset from UTC at an instant, in milliseconds. */
function offsetAt(format: Intl.DateTimeFormat, instant: number): number {
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wall = new Date(0);
  wall.setUTCFullYear(parts.year!, parts.month! - 1, parts.day);
  wall.setUTCHours(parts.hour!, parts.minute, parts.second, 0);
  return wall.getTime() - (instant - (((instant % 1000) + 1000) % 1000));
}

/**
 * The instant at which the zone's clocks show a wall-clock time (given as if
 * it were UTC). In the hour skipped by a DST change the time is moved forward
 * by the gap (02:30 becomes 03:30), and in the hour repeated the earlier
 * instant is taken, as luxon and Google Calendar do.
 */
function wallClockToInstant(wall: number, timeZone: string): number {
  const format = wallClockFormat(timeZone);
  if (!format) return wall;
  const before = offsetAt(format, wall - 86_400_000);
  const after = offsetAt(format, wall + 86_400_000);
  // Try the offset in force before a change first: it gives the earlier instant of a repeated hour.
  for (const offset of before === after ? [before] : [before, after]) {
    const instant = wall - offset;
    if (offsetAt(format, instant) === offset) return instant;
  }
  // A skipped time: read it with the offset before the change, which lands after the gap.
  return wall - before;
}
