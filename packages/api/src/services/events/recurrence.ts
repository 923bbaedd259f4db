import { parseDateTime, type TRecurrenceObject } from '@scheduler/shared';
import { DateTime, IANAZone } from 'luxon';
import rrulePkg from 'rrule';

const { RRule } = rrulePkg;

/**
 * Recurrence rules, expanded in the event's own time zone.
 *
 * rrule works on "floating" times: Dates whose UTC fields are the wall-clock
 * fields in the event's zone. Each floating occurrence is then placed in the
 * zone with luxon, so a weekly 09:00 Europe/Berlin meeting stays at 09:00
 * local time across daylight-saving changes. (rrule's own tzid support does
 * not do this reliably.)
 */

const SHORTHANDS: Record<string, string> = { daily: 'DAILY', weekly: 'WEEKLY', monthly: 'MONTHLY', yearly: 'YEARLY' };
const FREQUENCIES = new Set(['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY']);
const KEY_ORDER = ['FREQ', 'INTERVAL', 'BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYSETPOS', 'WKST', 'COUNT', 'UNTIL'] as const;
type RuleKey = (typeof KEY_ORDER)[number];
const WEEKDAY = /^(MO|TU|WE|TH|FR|SA|SU)$/;
const BYDAY_ITEM = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/;

export type NormalizeResult = { ok: true; rrule: string | null } | { ok: false; message: string };

const fail = (message: string): NormalizeResult => ({ ok: false, message });

function intList(value: string, min: number, max: number, allowNegative: boolean): boolean {
  return value.split(',').every((part) => {
    if (!/^[+-]?\d{1,3}$/.test(part)) return false;
    const n = Number(part);
    if (n === 0) return false;
    if (n < 0 && !allowNegative) return false;
    return Math.abs(n) >= min && Math.abs(n) <= max;
  });
}

function formatUntil(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function parseUntil(value: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z?)?$/i.exec(value);
  if (m) {
    const [, y, mo, d, h = '23', mi = '59', s = '59'] = m;
    return parseDateTime(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  }
  return parseDateTime(value);
}

/** Checks an RFC 5545 rule and writes it in canonical form (no DTSTART). */
function normalizeRuleString(text: string): NormalizeResult {
  const body = text.trim().replace(/^RRULE:/i, '');
  if (!body) return fail('is empty');
  const parts = new Map<RuleKey, string>();
  for (const piece of body.split(';')) {
    if (!piece) continue;
    const eq = piece.indexOf('=');
    if (eq < 1) return fail(`"${piece}" is not KEY=VALUE`);
    const key = piece.slice(0, eq).trim().toUpperCase();
    const value = piece.slice(eq + 1).trim().toUpperCase();
    if (!(KEY_ORDER as readonly string[]).includes(key)) return fail(`${key} is not supported`);
    if (parts.has(key as RuleKey)) return fail(`${key} is given twice`);
    parts.set(key as RuleKey, value);
  }
  const freq = parts.get('FREQ');
  if (!freq) return fail('FREQ is required');
  if (!FREQUENCIES.has(freq)) return fail('FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY');
  const interval = parts.get('INTERVAL') ?? '1';
  if (!/^\d{1,4}$/.test(interval) || Number(interval) < 1 || Number(interval) > 1000) return fail('INTERVAL must be 1 to 1000');
  parts.set('INTERVAL', String(Number(interval)));
  if (parts.has('COUNT') && parts.has('UNTIL')) return fail('COUNT and UNTIL cannot both be given');
  const count = parts.get('COUNT');
  if (count !== undefined && (!/^\d{1,6}$/.test(count) || Number(count) < 1 || Number(count) > 100_000)) {
    return fail('COUNT must be 1 to 100000');
  }
  if (count !== undefined) parts.set('COUNT', String(Number(count)));
  const until = parts.get('UNTIL');
  if (until !== undefined) {
    const date = parseUntil(until);
    if (!date) return fail('UNTIL must be a date such as 20250630T000000Z');
    parts.set('UNTIL', formatUntil(date));
  }
  const byDay = parts.get('BYDAY');
  if (byDay !== undefined && !byDay.split(',').every((d) => BYDAY_ITEM.test(d))) return fail('BYDAY must list weekdays such as MO,WE or 1MO');
  const byMonthDay = parts.get('BYMONTHDAY');
  if (byMonthDay !== undefined && !intList(byMonthDay, 1, 31, true)) return fail('BYMONTHDAY must list days 1 to 31 (or -31 to -1)');
  const byMonth = parts.get('BYMONTH');
  if (byMonth !== undefined && !intList(byMonth, 1, 12, false)) return fail('BYMONTH must list months 1 to 12');
  const bySetPos = parts.get('BYSETPOS');
  if (bySetPos !== undefined && !intList(bySetPos, 1, 366, true)) return fail('BYSETPOS must list positions 1 to 366 (or negative)');
  const wkst = parts.get('WKST');
  if (wkst !== undefined && !WEEKDAY.test(wkst)) return fail('WKST must be a weekday such as MO');
  const rule = KEY_ORDER.filter((key) => parts.has(key))
    .map((key) => `${key}=${parts.get(key)}`)
    .join(';');
  try {
    RRule.fromString(`RRULE:${rule}`);
  } catch {
    return fail('is not a valid RFC 5545 rule');
  }
  return { ok: true, rrule: rule };
}

/**
 * Normalizes any accepted pattern (shorthand, RFC 5545 rule, object form, or
 * nothing) to the canonical rule text without DTSTART, or explains why not.
 */
export function normalizeRecurrence(pattern: unknown): NormalizeResult {
  if (pattern === undefined || pattern === null || pattern === '') return { ok: true, rrule: null };
  if (typeof pattern === 'string') {
    const shorthand = SHORTHANDS[pattern.trim().toLowerCase()];
    return shorthand ? { ok: true, rrule: `FREQ=${shorthand};INTERVAL=1` } : normalizeRuleString(pattern);
  }
  if (typeof pattern === 'object' && !Array.isArray(pattern)) {
    const object = pattern as Partial<TRecurrenceObject>;
    if (Object.keys(object).length === 0) return { ok: true, rrule: null };
    if (!object.frequency) return fail('frequency is required');
    const parts = [`FREQ=${object.frequency.toUpperCase()}`, `INTERVAL=${object.interval ?? 1}`];
    if (object.by_weekday?.length) parts.push(`BYDAY=${[...new Set(object.by_weekday)].join(',')}`);
    if (object.count !== undefined && object.until !== undefined) return fail('count and until cannot both be given');
    if (object.count !== undefined) parts.push(`COUNT=${object.count}`);
    if (object.until !== undefined) {
      const until = parseDateTime(object.until);
      if (!until) return fail('until must be an RFC 3339 time');
      parts.push(`UNTIL=${formatUntil(until)}`);
    }
    return normalizeRuleString(parts.join(';'));
  }
  return fail('must be a string, an object or null');
}

const zoneValidity = new Map<string, boolean>();

/** IANA zone names (checking builds an Intl formatter, so answers are remembered). */
export function isValidTimeZone(timezone: string): boolean {
  let valid = zoneValidity.get(timezone);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(timezone);
    if (zoneValidity.size < 1000) zoneValidity.set(timezone, valid);
  }
  return valid;
}

/** The wall-clock fields of an instant in a zone, as a floating Date. */
function toFloating(instant: Date, zone: string): Date {
  const local = DateTime.fromJSDate(instant, { zone });
  return new Date(Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second));
}

/** A floating Date placed in a zone (times skipped by DST move forward, as calendars do). */
function fromFloating(floating: Date, zone: string): Date {
  return DateTime.fromObject(
    {
      year: floating.getUTCFullYear(),
      month: floating.getUTCMonth() + 1,
      day: floating.getUTCDate(),
      hour: floating.getUTCHours(),
      minute: floating.getUTCMinutes(),
      second: floating.getUTCSeconds(),
    },
    { zone },
  ).toJSDate();
}

function buildRule(start: Date, rrule: string, timezone: string) {
  const options = RRule.parseString(rrule);
  // UNTIL is an instant; on the floating axis it is its wall-clock time in the zone.
  if (options.until) options.until = toFloating(options.until, timezone);
  return new RRule({ ...options, dtstart: toFloating(start, timezone) });
}

export interface Occurrence {
  start: Date;
  end: Date;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Occurrences whose [start, end) overlaps [from, to] (zero-length ones whose
 * start lies inside), in order, at most `limit`.
 */
export function expandOccurrences(args: {
  start: Date;
  end: Date;
  rrule: string | null;
  timezone: string;
  from: Date;
  to: Date;
  limit?: number;
}): Occurrence[] {
  const duration = args.end.getTime() - args.start.getTime();
  const overlaps = (s: number) => {
    const e = s + duration;
    return duration === 0 ? s >= args.from.getTime() && s <= args.to.getTime() : s <= args.to.getTime() && e > args.from.getTime();
  };
  if (!args.rrule) {
    return overlaps(args.start.getTime()) ? [{ start: args.start, end: args.end }] : [];
  }
  const limit = args.limit ?? 10_000;
  const rule = buildRule(args.start, args.rrule, args.timezone);
  // Widen the floating window: by the duration (occurrences still running at `from`) and a day each side for zone offsets.
  const after = toFloating(new Date(args.from.getTime() - duration - DAY_MS), args.timezone);
  const before = toFloating(new Date(args.to.getTime() + DAY_MS), args.timezone);
  const out: Occurrence[] = [];
  rule.between(after, before, true, (floating) => {
    const start = fromFloating(floating, args.timezone).getTime();
    if (overlaps(start)) out.push({ start: new Date(start), end: new Date(start + duration) });
    return out.length < limit;
  });
  return out;
}

/** End of the last occurrence; `end` when not recurring; null when the series never ends. */
export function seriesEnd(args: { start: Date; end: Date; rrule: string | null; timezone: string }): Date | null {
  if (!args.rrule) return args.end;
  const options = RRule.parseString(args.rrule);
  if (!options.count && !options.until) return null;
  const rule = buildRule(args.start, args.rrule, args.timezone);
  const duration = args.end.getTime() - args.start.getTime();
  let last: Date | null = null;
  if (options.count) {
    const all = rule.all();
    last = all.at(-1) ?? null;
  } else {
    last = rule.before(rule.options.until!, true);
  }
  if (!last) return args.end;
  const lastStart = fromFloating(last, args.timezone).getTime();
  return new Date(Math.max(lastStart + duration, args.end.getTime()));
}
