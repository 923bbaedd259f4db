import { BATCH_LIMIT, type TErrorDetail } from '@scheduler/shared';
import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import { validation } from '../../errors.ts';
import { isValidTimeZone } from '../events/recurrence.ts';

/** What an iCalendar file turns into: one batch item per VEVENT, and the VEVENTs already known to be unusable. */
export interface ImportedCalendar {
  items: unknown[];
  /** By VEVENT index (0-based, in file order): why it cannot become an event. */
  rejected: Map<number, TErrorDetail[]>;
}

interface Line {
  /** The 1-based line of the file where this (unfolded) content line starts. */
  number: number;
  text: string;
}

/** Content lines with folding undone (RFC 5545 3.1), each with the file line it starts on. */
function contentLines(text: string): Line[] {
  const lines: Line[] = [];
  text.split(/\r\n|\n|\r/).forEach((physical, i) => {
    const last = lines.at(-1);
    if ((physical.startsWith(' ') || physical.startsWith('\t')) && last) last.text += physical.slice(1);
    else lines.push({ number: i + 1, text: physical });
  });
  return lines.filter((line) => line.text.trim() !== '');
}

const unparsable = (line: number, message: string) =>
  validation(`line ${line}`, message, `The calendar cannot be read: line ${line}: ${message}`);

/** `NAME[;PARAM=...]:value`, parameters possibly quoted. */
const CONTENT_LINE = /^[A-Za-z0-9-]+(;[A-Za-z0-9-]+=("[^"]*"|[^";:,]*)(,("[^"]*"|[^";:,]*))*)*:/;

/**
 * Checks the file's structure line by line (so a failure names its line),
 * and returns the line each VEVENT begins on, in order.
 */
function checkStructure(lines: Line[]): number[] {
  const first = lines[0];
  if (!first || first.text.trim().toUpperCase() !== 'BEGIN:VCALENDAR') {
    throw unparsable(first?.number ?? 1, 'expected BEGIN:VCALENDAR: the body is not an iCalendar file');
  }
  const open: Array<{ name: string; line: number }> = [];
  const vevents: number[] = [];
  for (const line of lines) {
    if (!CONTENT_LINE.test(line.text)) throw unparsable(line.number, `is not a NAME:value content line: ${quote(line.text)}`);
    const match = /^(BEGIN|END):(.*)$/i.exec(line.text.trim());
    if (!match) {
      if (open.length === 0) throw unparsable(line.number, `is outside any component: ${quote(line.text)}`);
      continue;
    }
    const name = match[2]!.trim().toUpperCase();
    if (match[1]!.toUpperCase() === 'BEGIN') {
      if (open.length === 0 && name !== 'VCALENDAR') throw unparsable(line.number, `expected BEGIN:VCALENDAR, got BEGIN:${name}`);
      if (name === 'VEVENT' && open.length === 1) vevents.push(line.number);
      open.push({ name, line: line.number });
    } else {
      const top = open.pop();
      if (!top) throw unparsable(line.number, `END:${name} without a BEGIN`);
      if (top.name !== name) throw unparsable(line.number, `END:${name} closes BEGIN:${top.name} of line ${top.line}`);
    }
  }
  const unclosed = open.at(-1);
  if (unclosed) throw unparsable(unclosed.line, `BEGIN:${unclosed.name} is never closed`);
  return vevents;
}

const quote = (text: string) => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);

/** Runs ical.js on a file whose structure is known good; what it still refuses is reported at its line where it names one. */
function parse(text: string, lines: Line[]): ICAL.Component[] {
  let parsed: unknown;
  try {
    parsed = ICAL.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : 'cannot be parsed';
    const quoted = /"([^"]+)"/.exec(message)?.[1];
    const line = quoted ? lines.find((l) => l.text.includes(quoted)) : undefined;
    throw unparsable(line?.number ?? 1, message);
  }
  const roots = (Array.isArray((parsed as unknown[])[0]) ? parsed : [parsed]) as unknown[];
  return roots.map((root) => new ICAL.Component(root as never));
}

/**
 * Reads an iCalendar file into batch items, one per VEVENT (see importCalendar):
 * SUMMARY → title, DESCRIPTION, LOCATION, DTSTART/DTEND or DURATION in their
 * zone (TZID an IANA name), RRULE → recurrence_pattern, CATEGORIES → tags.
 * A file that cannot be read is a 400 naming its line; more VEVENTs than a
 * batch takes is a 400; a VEVENT that cannot become an event is reported at
 * its index with its line, as the batch reports invalid items.
 */
export function readCalendar(text: string): ImportedCalendar {
  const lines = contentLines(text);
  const veventLines = checkStructure(lines);
  if (veventLines.length > BATCH_LIMIT) {
    throw validation('(body)', `has ${veventLines.length} VEVENTs; at most ${BATCH_LIMIT} can be imported at once`);
  }
  const items: unknown[] = [];
  const rejected = new Map<number, TErrorDetail[]>();
  for (const calendar of parse(text, lines)) {
    const calendarZone = zoneOf(calendar.getFirstPropertyValue('x-wr-timezone')) ?? 'UTC';
    for (const vevent of calendar.getAllSubcomponents('vevent')) {
      const index = items.length;
      const line = veventLines[index] ?? 1;
      try {
        // Detached from the calendar: times are read as wall-clock fields plus TZID (zones resolved here, not by
        // ical.js), and a VEVENT with a parent makes ical.js search the whole file for its VTIMEZONE (quadratic).
        items.push(toEventInput(new ICAL.Component(vevent.jCal), calendarZone));
      } catch (error) {
        const problem =
          error instanceof ItemProblem ? error : new ItemProblem('(vevent)', error instanceof Error ? error.message : 'cannot be read');
        items.push(null);
        rejected.set(index, [{ path: problem.path, message: `${problem.message} (the VEVENT at line ${line})` }]);
      }
    }
  }
  return { items, rejected };
}

class ItemProblem extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** An IANA zone named by a TZID or X-WR-TIMEZONE, also behind a path prefix (`/mozilla.org/20050126_1/Europe/Berlin`). */
function zoneOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const parts = value.trim().split('/');
  for (let i = 0; i < parts.length; i++) {
    const candidate = parts.slice(i).join('/');
    if (candidate && isValidTimeZone(candidate)) return candidate === 'Etc/UTC' ? 'UTC' : candidate;
  }
  return undefined;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const wallClock = (t: ICAL.Time) => `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;

interface Placed {
  /** The time as the batch takes it: wall-clock text read in `zone`. */
  text: string;
  zone: string;
}

/**
 * A DTSTART/DTEND value in its zone: UTC (`Z`), an IANA TZID, or floating/all-day
 * in the calendar's zone. ical.js rolls impossible dates over (month 13 becomes
 * January), so the text is checked first.
 */
function place(property: ICAL.Property, name: string, calendarZone: string): Placed {
  const time = property.getFirstValue();
  const raw = (property.jCal as unknown[])[3];
  if (!(time instanceof ICAL.Time) || typeof raw !== 'string' || !DateTime.fromISO(raw.replace(/Z$/, ''), { zone: 'UTC' }).isValid) {
    throw new ItemProblem(name, 'is not a valid date or time');
  }
  const tzid = property.getParameter('tzid');
  if (time.isDate) return { text: `${pad(time.year, 4)}-${pad(time.month)}-${pad(time.day)}T00:00:00`, zone: calendarZone };
  if (time.zone?.tzid === 'UTC') return { text: wallClock(time), zone: 'UTC' };
  const zoneName = typeof tzid === 'string' ? tzid : Array.isArray(tzid) && typeof tzid[0] === 'string' ? tzid[0] : undefined;
  if (zoneName === undefined) return { text: wallClock(time), zone: calendarZone };
  const zone = zoneOf(zoneName);
  if (!zone) throw new ItemProblem(name, `TZID ${quote(zoneName)} is not an IANA time zone (such as Europe/Berlin)`);
  return { text: wallClock(time), zone };
}

const UNSUPPORTED: Record<string, string> = {
  'recurrence-id': 'RECURRENCE-ID (a changed single occurrence) is not supported; import the series without its overrides',
  exdate: 'EXDATE (excluded occurrences) is not supported; the series would gain the occurrences it excludes',
  rdate: 'RDATE (extra occurrences) is not supported',
};

function toEventInput(vevent: ICAL.Component, calendarZone: string): Record<string, unknown> {
  for (const [name, message] of Object.entries(UNSUPPORTED)) {
    if (vevent.hasProperty(name)) throw new ItemProblem(name.toUpperCase(), message);
  }
  const summary = vevent.getFirstPropertyValue('summary');
  if (typeof summary !== 'string' || summary.trim() === '') throw new ItemProblem('SUMMARY', 'is required (it becomes the title)');
  const startProperty = vevent.getFirstProperty('dtstart');
  if (!startProperty) throw new ItemProblem('DTSTART', 'is required');
  const start = place(startProperty, 'DTSTART', calendarZone);

  const endProperty = vevent.getFirstProperty('dtend');
  let endTime: string;
  if (endProperty) {
    const end = place(endProperty, 'DTEND', calendarZone);
    endTime = end.zone === start.zone ? end.text : toInstant(end);
  } else {
    // DURATION, or none: a day for an all-day event, zero length otherwise (RFC 5545 3.6.1).
    const end = new ICAL.Event(vevent).endDate;
    endTime = wallClock(end.isDate ? withTime(end) : end);
  }

  const rules = vevent.getAllProperties('rrule');
  if (rules.length > 1) throw new ItemProblem('RRULE', 'only one RRULE per VEVENT is supported');
  const rule = rules[0]?.getFirstValue();

  const input: Record<string, unknown> = {
    title: summary,
    description: stringOf(vevent.getFirstPropertyValue('description')) ?? '',
    location: stringOf(vevent.getFirstPropertyValue('location')) ?? null,
    start_time: start.text,
    end_time: endTime,
    timezone: start.zone,
  };
  if (rule) input['recurrence_pattern'] = rule.toString();
  const categories = vevent.getAllProperties('categories').flatMap((property) => property.getValues().filter(isText));
  if (categories.length > 0) input['tags'] = [...new Set(categories)];
  return input;
}

/** An all-day end (a DATE) as midnight starting that day. */
function withTime(date: ICAL.Time): ICAL.Time {
  const time = date.clone();
  time.isDate = false;
  return time;
}

/** A wall-clock time in a zone as an RFC 3339 instant (for an end in another zone than its start). */
function toInstant(placed: Placed): string {
  const instant = DateTime.fromISO(placed.text, { zone: placed.zone });
  if (!instant.isValid) throw new ItemProblem('DTEND', 'is not a valid time');
  return instant.toUTC().toISO({ suppressMilliseconds: true });
}

const stringOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const isText = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
