import {
  FREQUENCIES as FREQUENCY_NAMES,
  MAX_RECURRENCE_COUNT,
  MAX_RECURRENCE_INTERVAL,
  parseDateTime,
  WEEKDAYS,
  ZRecurrenceObject,
} from '@scheduler/shared';
import { DateTime, IANAZone } from 'luxon';
import rrulePkg, { type Options } from 'rrule';

const { RRule } = rrulePkg;

/**
 * Recurrence rules: normalizing what clients send, and expanding a series in
 * the event's own time zone.
 *
 * rrule.js works on "floating" times here: Dates whose UTC fields are the
 * wall-clock fields in the event's zone. Each floating date is then placed in
 * the zone with luxon, so a weekly 09:00 Europe/Berlin meeting stays at 09:00
 * local time across daylight-saving changes (rrule's own tzid support does not
 * do this reliably).
 */

export type NormalizeResult = { ok: true; rrule: string | null } | { ok: false; message: string };

export interface Occurrence {
  start: Date;
  end: Date;
}

// ---------------------------------------------------------------------------
// Normalizing
// ---------------------------------------------------------------------------

type Freq = Uppercase<(typeof FREQUENCY_NAMES)[number]>;
const FREQUENCIES = FREQUENCY_NAMES.map((name) => name.toUpperCase() as Freq);
/** The shorthands `"daily"` … `"yearly"` are the frequencies' own names. */
const SHORTHANDS: Record<string, Freq> = Object.fromEntries(FREQUENCY_NAMES.map((name) => [name, name.toUpperCase() as Freq]));
const KEY_ORDER = ['FREQ', 'INTERVAL', 'BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYSETPOS', 'WKST', 'COUNT', 'UNTIL'] as const;
type RuleKey = (typeof KEY_ORDER)[number];
/** Longest each month gets (February 29 exists in leap years). */
const MONTH_LENGTHS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;
/** Most dates one period of each frequency can hold: a larger BYSETPOS never matches. */
const SETPOS_LIMIT: Record<Freq, number> = { DAILY: 1, WEEKLY: 7, MONTHLY: 31, YEARLY: 366 };

class RuleError extends Error {}
const reject = (message: string): never => {
  throw new RuleError(message);
};
const quote = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

/** A comma list of non-zero integers within ±limit, deduplicated, positives first then negatives. */
function intList(key: string, value: string, limit: number, negatives: boolean): number[] {
  const numbers = value.split(',').map((part) => (/^[+-]?\d{1,3}$/.test(part) ? Number(part) : NaN));
  if (numbers.some((n) => !Number.isInteger(n) || n === 0 || Math.abs(n) > limit || (n < 0 && !negatives))) {
    reject(`${key} must list whole numbers from 1 to ${limit}${negatives ? ` (or -${limit} to -1, counted from the end)` : ''}`);
  }
  return [...new Set(numbers)].sort((a, b) => (a < 0 === b < 0 ? a - b : a < 0 ? 1 : -1));
}

/**
 * UNTIL as an instant: the RRULE forms `20250630T170000Z`, `20250630T170000`
 * (read as UTC) and `20250630`, or any time parseDateTime accepts. A bare date
 * means the whole of that day (UTC): "until June 30" includes June 30.
 */
function parseUntil(value: string): Date | null {
  const text = value.trim();
  const basic = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z?)?$/i.exec(text);
  if (basic) {
    const [, y, mo, d, h, mi, s] = basic;
    return parseDateTime(h === undefined ? `${y}-${mo}-${d}T23:59:59Z` : `${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return parseDateTime(`${text}T23:59:59Z`);
  return parseDateTime(text);
}

const formatUntil = (date: Date) =>
  date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

function parseByDay(value: string, freq: Freq, monthScoped: boolean): string {
  const items = value.split(',').map((item) => {
    const match = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(item);
    if (!match) return reject('BYDAY must list weekdays such as MO,WE (or positions such as 1MO, -1FR)');
    const n = match[1] === undefined ? 0 : Number(match[1]);
    const day = WEEKDAYS.indexOf(match[2] as (typeof WEEKDAYS)[number]);
    if (match[1] !== undefined) {
      if (freq !== 'MONTHLY' && freq !== 'YEARLY') reject('BYDAY positions such as 1MO need FREQ=MONTHLY or FREQ=YEARLY');
      const limit = monthScoped ? 5 : 53;
      if (n === 0 || Math.abs(n) > limit) reject(`BYDAY positions must be from 1 to ${limit} or -${limit} to -1`);
    }
    return { n, day };
  });
  // Canonical order: by weekday, the plain weekday before its positions.
  const key = (i: { n: number; day: number }) => i.day * 1000 + (i.n === 0 ? 0 : i.n > 0 ? i.n : 100 - i.n);
  const sorted = items.sort((a, b) => key(a) - key(b)).map((i) => `${i.n === 0 ? '' : i.n}${WEEKDAYS[i.day]}`);
  return [...new Set(sorted)].join(',');
}

/** Checks an RFC 5545 rule and writes it in canonical form (no DTSTART). */
function normalizeRuleText(text: string): string {
  if (/DTSTART/i.test(text)) reject('give the rule without DTSTART: the event’s start_time starts the series');
  if (/[\r\n]/.test(text)) reject('must be a single RRULE line');
  const body = text.trim().replace(/^RRULE:/i, '');
  if (!body.trim()) reject('must not be blank');
  const raw = new Map<RuleKey, string>();
  for (const piece of body.split(';')) {
    if (!piece.trim()) continue;
    const eq = piece.indexOf('=');
    const key = piece.slice(0, Math.max(eq, 0)).trim().toUpperCase();
    if (eq < 1 || !/^[A-Z]+$/.test(key)) reject(`expected KEY=VALUE parts separated by ";", got ${quote(piece)}`);
    if (!(KEY_ORDER as readonly string[]).includes(key)) {
      reject(`${quote(key)} is not supported (use ${KEY_ORDER.slice(0, -1).join(', ')} or UNTIL)`);
    }
    if (raw.has(key as RuleKey)) reject(`${key} is given twice`);
    raw.set(
      key as RuleKey,
      piece
        .slice(eq + 1)
        .trim()
        .toUpperCase(),
    );
  }

  const freqText = raw.get('FREQ');
  if (freqText === undefined) return reject('FREQ is required, e.g. FREQ=WEEKLY');
  if (!(FREQUENCIES as readonly string[]).includes(freqText)) {
    reject(
      ['HOURLY', 'MINUTELY', 'SECONDLY'].includes(freqText)
        ? `FREQ=${freqText} is too fine for a calendar; use DAILY, WEEKLY, MONTHLY or YEARLY`
        : 'FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY',
    );
  }
  const freq = freqText as Freq;
  const out = new Map<RuleKey, string>([['FREQ', freq]]);

  const interval = raw.get('INTERVAL') ?? '1';
  if (!/^\d{1,4}$/.test(interval) || Number(interval) < 1 || Number(interval) > MAX_RECURRENCE_INTERVAL) {
    reject(`INTERVAL must be a whole number from 1 to ${MAX_RECURRENCE_INTERVAL}`);
  }
  out.set('INTERVAL', String(Number(interval)));

  const byMonth = raw.has('BYMONTH') ? intList('BYMONTH', raw.get('BYMONTH')!, 12, false) : null;
  const byDayText = raw.get('BYDAY');
  if (byDayText !== undefined) out.set('BYDAY', parseByDay(byDayText, freq, freq === 'MONTHLY' || byMonth !== null));
  const byMonthDay = raw.has('BYMONTHDAY') ? intList('BYMONTHDAY', raw.get('BYMONTHDAY')!, 31, true) : null;
  if (byMonthDay) {
    if (freq === 'WEEKLY') reject('BYMONTHDAY cannot be used with FREQ=WEEKLY');
    // Otherwise rrule.js would search every period up to year 9999 for a date that never comes.
    const months = byMonth ?? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    if (!months.some((m) => byMonthDay.some((d) => Math.abs(d) <= MONTH_LENGTHS[m - 1]!))) {
      reject(`no month in BYMONTH=${byMonth?.join(',')} has a day BYMONTHDAY=${byMonthDay.join(',')}`);
    }
    out.set('BYMONTHDAY', byMonthDay.join(','));
  }
  if (byMonth) out.set('BYMONTH', byMonth.join(','));
  if (raw.has('BYSETPOS')) {
    if (!out.has('BYDAY') && !byMonthDay && !byMonth) reject('BYSETPOS needs BYDAY, BYMONTHDAY or BYMONTH to pick from');
    out.set('BYSETPOS', intList('BYSETPOS', raw.get('BYSETPOS')!, SETPOS_LIMIT[freq], true).join(','));
  }
  const wkst = raw.get('WKST');
  if (wkst !== undefined) {
    if (!(WEEKDAYS as readonly string[]).includes(wkst)) reject('WKST must be a weekday such as MO or SU');
    if (wkst !== 'MO') out.set('WKST', wkst); // MO is the default: leaving it out keeps one spelling per rule
  }

  if (raw.has('COUNT') && raw.has('UNTIL')) reject('COUNT and UNTIL cannot be used together');
  const count = raw.get('COUNT');
  if (count !== undefined) {
    if (!/^\d{1,6}$/.test(count) || Number(count) < 1 || Number(count) > MAX_RECURRENCE_COUNT) {
      reject(`COUNT must be a whole number from 1 to ${MAX_RECURRENCE_COUNT}`);
    }
    out.set('COUNT', String(Number(count)));
  }
  const until = raw.get('UNTIL');
  if (until !== undefined) {
    const date = parseUntil(until);
    if (!date) return reject('UNTIL must be a date or time such as 20250630T170000Z');
    out.set('UNTIL', formatUntil(date));
  }

  const rule = KEY_ORDER.filter((key) => out.has(key))
    .map((key) => `${key}=${out.get(key)}`)
    .join(';');
  try {
    new RRule(RRule.parseString(rule), true);
  } catch {
    reject('is not a valid recurrence rule');
  }
  return rule;
}

function normalizeObject(pattern: object): string | null {
  if (Object.keys(pattern).length === 0) return null;
  // Parsing again is cheap and keeps unvalidated callers from slipping text into the rule.
  const parsed = ZRecurrenceObject.safeParse(pattern);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    return reject(path ? `${path}: ${issue?.message}` : (issue?.message ?? 'is not a valid recurrence'));
  }
  const o = parsed.data;
  if (!o.frequency) return null;
  if (o.count !== undefined && o.until !== undefined) reject('count and until cannot be used together');
  const parts = [`FREQ=${o.frequency.toUpperCase()}`, `INTERVAL=${o.interval ?? 1}`];
  if (o.by_weekday?.length) parts.push(`BYDAY=${o.by_weekday.join(',')}`);
  if (o.count !== undefined) parts.push(`COUNT=${o.count}`);
  if (o.until !== undefined) {
    const until = parseUntil(o.until);
    if (!until) return reject('until must be a time such as 2025-06-30T17:00:00Z');
    parts.push(`UNTIL=${formatUntil(until)}`);
  }
  return normalizeRuleText(parts.join(';'));
}

/**
 * Normalizes any accepted pattern to canonical RFC 5545 rule text without
 * DTSTART (`FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=10`), or explains why it
 * cannot. Accepts the shorthands daily/weekly/monthly/yearly (any case), RRULE
 * text (with or without `RRULE:`), the object form, and null / undefined /
 * `""` / `{}` for "no recurrence" (`rrule: null`).
 */
export function normalizeRecurrence(pattern: unknown): NormalizeResult {
  try {
    if (pattern === undefined || pattern === null || pattern === '') return { ok: true, rrule: null };
    if (typeof pattern === 'string') {
      const shorthand = SHORTHANDS[pattern.trim().toLowerCase()];
      if (shorthand) return { ok: true, rrule: `FREQ=${shorthand};INTERVAL=1` };
      if (!pattern.includes('=') && pattern.trim()) {
        reject('must be daily, weekly, monthly, yearly or an RRULE such as FREQ=WEEKLY;BYDAY=MO,WE');
      }
      return { ok: true, rrule: normalizeRuleText(pattern) };
    }
    if (typeof pattern === 'object' && !Array.isArray(pattern)) return { ok: true, rrule: normalizeObject(pattern) };
    return { ok: false, message: 'must be a string, an object or null' };
  } catch (error) {
    if (error instanceof RuleError) return { ok: false, message: error.message };
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Time zones and floating times
// ---------------------------------------------------------------------------

const zoneValidity = new Map<string, boolean>();

/** Whether `tz` is an IANA zone name ("UTC" included). Answers are remembered: checking builds an Intl formatter. */
export function isValidTimeZone(tz: string): boolean {
  if (typeof tz !== 'string') return false;
  // Newer ICU (Node 24) accepts UTC offsets such as "+05:00" as zones; an event's zone is an IANA name.
  if (/^[+-]\d/.test(tz.trim())) return false;
  let valid = zoneValidity.get(tz);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(tz);
    if (zoneValidity.size < 1000) zoneValidity.set(tz, valid);
  }
  return valid;
}

const DAY_MS = 86_400_000;
const GREGORIAN_CYCLE_MS = 146_097 * DAY_MS;

/** A floating Date; setUTCFullYear, unlike Date.UTC, keeps years 0-99. */
function floating(year: number, month0: number, day: number, hour = 0, minute = 0, second = 0): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, month0, day);
  date.setUTCHours(hour, minute, second, 0);
  return date;
}

/** The wall-clock time of an instant in a zone, as a floating Date (whole seconds). */
function toFloating(instant: number, zone: string): Date {
  const l = DateTime.fromMillis(instant, { zone });
  return floating(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
}

/**
 * The instant a floating Date names in a zone, as RFC 5545 (3.3.5) reads local
 * times: one skipped by a spring-forward gap uses the offset before the gap
 * (02:30 becomes 03:30), one repeated by a fall-back change is the first of the two.
 */
function fromFloating(f: Date, zone: string): number {
  const fields = {
    year: f.getUTCFullYear(),
    month: f.getUTCMonth() + 1,
    day: f.getUTCDate(),
    hour: f.getUTCHours(),
    minute: f.getUTCMinutes(),
    second: f.getUTCSeconds(),
  };
  const local = DateTime.fromObject(fields, { zone });
  const ms = local.toMillis();
  // luxon resolves gaps the RFC way but picks the later instant of an overlap.
  const offsetBefore = DateTime.fromMillis(ms - DAY_MS, { zone }).offset;
  if (offsetBefore > local.offset) {
    const earlier = DateTime.fromMillis(ms - (offsetBefore - local.offset) * 60_000, { zone });
    if (earlier.hour === fields.hour && earlier.minute === fields.minute && earlier.day === fields.day) return earlier.toMillis();
  }
  return ms;
}

// ---------------------------------------------------------------------------
// Walking a rule
// ---------------------------------------------------------------------------

/**
 * rrule.js searches period by period until year 9999 when a rule matches
 * nothing more (FREQ=DAILY;INTERVAL=7;BYDAY=TU from a Monday takes seconds).
 * A walk stops after this many periods: enough for COUNT=100000 daily.
 */
const MAX_PERIODS = 120_000;
/** Thrown from inside the walk to stop it once it has gone MAX_PERIODS periods. */
class OutOfPeriods extends Error {}
const hasValues = (value: unknown) => value !== null && value !== undefined && (!Array.isArray(value) || value.length > 0);

interface Series {
  zone: string;
  options: Partial<Options>;
  /** The event's start on the floating axis, whole seconds. */
  dtstart: Date;
  /** The start's sub-second part, given back to every occurrence. */
  millis: number;
  count: number | null;
  /** UNTIL as a real instant. */
  until: number | null;
  /** The rule can produce no date from this start (the event itself still occurs). */
  barren: boolean;
}

function seriesOf(start: Date, rrule: string, timezone: string): Series {
  const zone = isValidTimeZone(timezone) ? timezone : 'UTC'; // stored zones are checked; never loop on a bad one
  const { until, count, ...options } = RRule.parseString(rrule.replace(/^RRULE:/i, ''));
  if (options.freq === undefined || options.freq > RRule.DAILY) throw new Error(`not a normalized rule: ${rrule}`);
  const dtstart = toFloating(start.getTime(), zone);
  return {
    zone,
    options,
    dtstart,
    millis: ((start.getTime() % 1000) + 1000) % 1000,
    count: count ?? null,
    until: until ? until.getTime() : null,
    barren: isBarren(options, dtstart),
  };
}

/**
 * Rules that can never match from this start because the interval keeps
 * landing on the wrong weekday or month (FREQ=DAILY;INTERVAL=7;BYDAY=TU from
 * a Monday). normalizeRecurrence rejects the rules that never match from any
 * start; these depend on the start, and would otherwise cost a full walk.
 */
function isBarren(options: Partial<Options>, s: Date): boolean {
  const interval = options.interval ?? 1;
  const list = <T>(value: T | T[] | null | undefined): T[] => (value == null ? [] : Array.isArray(value) ? value : [value]);
  if (options.freq === RRule.DAILY && interval % 7 === 0 && hasValues(options.byweekday)) {
    const weekday = (s.getUTCDay() + 6) % 7; // rrule.js counts from Monday
    return !list(options.byweekday).some(
      (w) => (typeof w === 'number' ? w : typeof w === 'string' ? WEEKDAYS.indexOf(w) : w.weekday) === weekday,
    );
  }
  if (options.freq === RRule.MONTHLY && hasValues(options.bymonth)) {
    const step = gcd(interval, 12);
    return !list(options.bymonth).some((m) => (m - 1 - s.getUTCMonth() + 12) % step === 0);
  }
  return false;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The same rule started at the last period boundary at or before `target`,
 * so rrule.js need not walk every period from the real start. Only for rules
 * without COUNT. Whatever rrule.js derives from DTSTART (day of month, month)
 * is written out first, because the new start falls on another day.
 */
function fastForward(options: Partial<Options>, s: Date, target: Date): Partial<Options> {
  if (target.getTime() <= s.getTime()) return options;
  const interval = options.interval ?? 1;
  const time = [s.getUTCHours(), s.getUTCMinutes(), s.getUTCSeconds()] as const;
  const derivesDays = !hasValues(options.bymonthday) && !hasValues(options.byweekday);
  switch (options.freq) {
    case RRule.DAILY:
    case RRule.WEEKLY: {
      // Whole periods keep the weekday and the week alignment WKST gives.
      const period = interval * (options.freq === RRule.DAILY ? 1 : 7) * DAY_MS;
      const k = Math.floor((target.getTime() - s.getTime()) / period);
      return { ...options, dtstart: new Date(s.getTime() + k * period) };
    }
    case RRule.MONTHLY: {
      const sMonth = s.getUTCFullYear() * 12 + s.getUTCMonth();
      const k = Math.floor((target.getUTCFullYear() * 12 + target.getUTCMonth() - sMonth) / interval);
      if (k <= 0) return options;
      const month = sMonth + k * interval;
      return {
        ...options,
        dtstart: floating(Math.floor(month / 12), month % 12, 1, ...time),
        ...(derivesDays ? { bymonthday: [s.getUTCDate()] } : {}),
      };
    }
    default: {
      const k = Math.floor((target.getUTCFullYear() - s.getUTCFullYear()) / interval);
      if (k <= 0) return options;
      return {
        ...options,
        dtstart: floating(s.getUTCFullYear() + k * interval, 0, 1, ...time),
        ...(derivesDays ? { bymonth: options.bymonth ?? [s.getUTCMonth() + 1], bymonthday: [s.getUTCDate()] } : {}),
      };
    }
  }
}

/**
 * Calls `visit` with the rule's floating dates in order, until it returns
 * false. Starts at the event's start, or (rules without COUNT) at the last
 * period boundary before `from`; `index` counts from the start only then.
 * Returns false when MAX_PERIODS ran out first.
 */
function walk(series: Series, from: Date | null, visit: (date: Date, index: number) => boolean): boolean {
  // UNTIL is an instant; on the floating axis its wall-clock time is off by up to a DST shift,
  // so walk a day further and let the caller compare real instants.
  if (series.barren) return true;
  const until = series.until === null ? null : new Date(toFloating(series.until, series.zone).getTime() + DAY_MS);
  let options: Partial<Options> = { ...series.options, dtstart: series.dtstart, count: series.count, until };
  if (from && series.count === null) options = fastForward(options, series.dtstart, from);
  // rrule.js builds dates with Date.UTC, which reads years 0-99 as 1900-1999: a walk starting
  // there runs 400 years later, a whole Gregorian cycle, so weekdays and leap years stay the same.
  const shift = options.dtstart!.getUTCFullYear() < 100 ? GREGORIAN_CYCLE_MS : 0;
  if (shift) {
    options.dtstart = new Date(options.dtstart!.getTime() + shift);
    if (until) options.until = new Date(until.getTime() + shift);
  }
  const rule = new RRule(options, true);
  // rrule.js reads `interval` twice per period (iter/index.js, DateTime.add), nowhere else:
  // counting those reads bounds the walk without changing what it yields.
  const interval = rule.options.interval;
  let reads = 0;
  rule.options = Object.defineProperty({ ...rule.options }, 'interval', {
    enumerable: true,
    get() {
      if (++reads > 2 * MAX_PERIODS + 1) throw new OutOfPeriods('out of periods');
      return interval;
    },
  });
  try {
    rule.all((date, index) => visit(shift ? new Date(date.getTime() - shift) : date, index));
    return true;
  } catch (error) {
    if (error instanceof OutOfPeriods) return false;
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Expanding
// ---------------------------------------------------------------------------

const isValidDate = (d: Date) => d instanceof Date && !Number.isNaN(d.getTime());

/**
 * The occurrences whose [start, end) overlaps [from, to] (a zero-length one
 * counts when its start lies in [from, to]), in order, at most `limit`
 * (default 10,000). Each lasts end - start. The series is expanded in
 * `timezone`, keeping the wall-clock time of `start` across DST changes.
 * The event itself is always the first occurrence (RFC 5545), also when its
 * date does not fit the rule, and it counts toward COUNT.
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
  const { start, end, from, to } = args;
  const limit = args.limit ?? 10_000;
  if (![start, end, from, to].every(isValidDate) || to < from || limit < 1) return [];
  const duration = end.getTime() - start.getTime();
  const overlaps = (s: number) =>
    duration === 0 ? s >= from.getTime() && s <= to.getTime() : s <= to.getTime() && s + duration > from.getTime();
  const out: Occurrence[] = [];
  const take = (s: number) => {
    if (overlaps(s)) out.push({ start: new Date(s), end: new Date(s + duration) });
    return out.length < limit;
  };
  if (!take(start.getTime()) || !args.rrule) return out;

  const series = seriesOf(start, args.rrule, args.timezone);
  const first = series.dtstart.getTime();
  // Floating bounds, a day wider than any zone offset; widened by the duration for occurrences still running at `from`.
  const lower = toFloating(from.getTime() - duration - DAY_MS, series.zone);
  const upper = toFloating(to.getTime() + DAY_MS, series.zone);
  let synced = true;
  walk(series, lower, (date, index) => {
    if (date > upper) return false;
    if (series.count !== null) {
      // The start takes one of the COUNT places when the rule itself would not produce it.
      if (index === 0) synced = date.getTime() === first;
      if (!synced && index >= series.count - 1) return false;
    }
    if (date.getTime() === first || date < lower) return true;
    const at = fromFloating(date, series.zone) + series.millis;
    if (series.until !== null && at > series.until) return true;
    return take(at);
  });
  // Floating order is real order except inside a fall-back hour.
  return out.sort((a, b) => a.start.getTime() - b.start.getTime());
}

/**
 * The start of the first occurrence at or after `after`, or null when the
 * series has none left. Rules without COUNT start their walk at the period
 * before `after` (see fastForward), so the cost does not grow with the
 * series' age; COUNT rules are walked from their start, as they must be to
 * count. Same reading of the rule as expandOccurrences: the event itself is
 * the first occurrence, wall-clock times are kept across DST changes.
 */
export function nextOccurrenceStart(args: { start: Date; rrule: string | null; timezone: string; after: Date }): Date | null {
  const { start, after } = args;
  if (!isValidDate(start) || !isValidDate(after)) return null;
  if (start.getTime() >= after.getTime()) return start;
  if (!args.rrule) return null;
  const series = seriesOf(start, args.rrule, args.timezone);
  const first = series.dtstart.getTime();
  // A day before `after` on the floating axis: no zone's offset reaches further.
  const lower = toFloating(after.getTime() - DAY_MS, series.zone);
  let synced = true;
  let found: number | null = null;
  walk(series, lower, (date, index) => {
    if (series.count !== null) {
      if (index === 0) synced = date.getTime() === first;
      if (!synced && index >= series.count - 1) return false;
    }
    if (date.getTime() === first || date < lower) return true;
    const at = fromFloating(date, series.zone) + series.millis;
    if (series.until !== null && at > series.until) return false;
    if (at < after.getTime()) return true;
    found = at;
    return false;
  });
  return found === null ? null : new Date(found);
}

/**
 * When the series is over: the end of its last occurrence for COUNT and UNTIL
 * rules, `end` for a one-off event, null for a series without end. A COUNT
 * rule too long to walk (see MAX_PERIODS) also answers null; an UNTIL rule
 * whose last date cannot be found answers UNTIL + duration. Both are upper
 * bounds, safe for window filters.
 */
export function seriesEnd(args: { start: Date; end: Date; rrule: string | null; timezone: string }): Date | null {
  if (!args.rrule) return args.end;
  const series = seriesOf(args.start, args.rrule, args.timezone);
  if (series.count === null && series.until === null) return null;
  const duration = args.end.getTime() - args.start.getTime();
  const last = series.count !== null ? lastByCount(series, series.count) : lastByUntil(series, series.until!);
  if (last === undefined) return null;
  return new Date(Math.max(last ?? args.start.getTime(), args.start.getTime()) + duration);
}

/** Start of the last occurrence of a COUNT rule; null: only the event itself; undefined: too long to walk. */
function lastByCount(series: Series, count: number): number | null | undefined {
  const first = series.dtstart.getTime();
  let synced = true;
  let last = null as Date | null;
  const done = walk(series, null, (date, index) => {
    if (index === 0) synced = date.getTime() === first;
    if (!synced && index >= count - 1) return false;
    last = date;
    return true;
  });
  if (!done) return undefined;
  return last === null ? null : fromFloating(last, series.zone) + series.millis;
}

/** Start of the last occurrence at or before UNTIL, looking back further each time nothing is found. */
function lastByUntil(series: Series, until: number): number | null {
  const untilFloating = toFloating(until, series.zone).getTime();
  const year = 366 * DAY_MS;
  for (const lookback of [year, 10 * year, 100 * year, Infinity]) {
    const from = lookback === Infinity ? null : new Date(untilFloating - lookback);
    let best = null as number | null;
    const done = walk(series, from, (date) => {
      const at = fromFloating(date, series.zone) + series.millis;
      if (at <= until) best = at;
      return true; // the walk itself ends a day after UNTIL
    });
    if (best !== null) return best;
    if (!done) return until;
    if (from === null || from <= series.dtstart) break;
  }
  return null;
}
