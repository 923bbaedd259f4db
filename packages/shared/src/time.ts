/**
 * Accepted time inputs: RFC 3339 / ISO 8601 with `Z` or an offset, and the
 * zone-less seed forms `2025-04-27 8:05`, `2025-04-27 08:05:00`,
 * `2025-04-27T08:05` and `2025-04-27`, which are read as UTC.
 */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Parses a time in one of the accepted forms; returns null when it is not one. */
export function parseDateTime(input: string): Date | null {
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
  }
  const date = new Date(utc);
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999) return null;
  return date;
}

/** RFC 3339 UTC with second precision: `2025-04-27T08:05:00Z`. */
export function formatDateTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
