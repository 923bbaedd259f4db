import type { EventRow } from '@scheduler/db';
import ical from 'ical-generator';
import { DateTime } from 'luxon';
import { tzlib_get_ical_block, tzlib_get_timezones } from 'timezones-ical-library';
import { cooperative } from '../cooperate.ts';

/**
 * The domain part of every UID. Fixed rather than taken from the host a feed
 * was fetched through, so an event keeps one UID whatever name reached the
 * API (a changed UID would make subscribers show the event twice).
 */
const UID_DOMAIN = 'event-scheduler';

/** The stable iCalendar UID of an event. */
const eventUid = (eventId: number): string => `event-${eventId}@${UID_DOMAIN}`;

let zonesWithDefinition: Set<string> | undefined;

/** Zones the VTIMEZONE library can describe (others are written in UTC, which every reader understands). */
function hasVtimezone(zone: string): boolean {
  zonesWithDefinition ??= new Set(tzlib_get_timezones() as string[]);
  return zonesWithDefinition.has(zone);
}

function vtimezone(zone: string): string | null {
  if (!hasVtimezone(zone)) return null;
  const block = tzlib_get_ical_block(zone);
  return Array.isArray(block) ? (block[0] ?? null) : null;
}

/** What one VEVENT is written from: the event row, and its tags where the row has none. */
export type ExportedEvent = EventRow & { tags?: readonly string[] | undefined };

/**
 * Writes events as one VCALENDAR (RFC 5545): a VEVENT per event with a
 * stable UID, SEQUENCE = version − 1, DTSTAMP/LAST-MODIFIED = the last change
 * (so an unchanged calendar is the same text), DTSTART/DTEND in the event's
 * zone with TZID and its VTIMEZONE (UTC for UTC events), the normalized
 * RRULE, SUMMARY, DESCRIPTION, LOCATION and CATEGORIES.
 *
 * ical-generator writes each component; the calendar's own `toString` is not
 * used for the events because its line folding encodes every character with a
 * new TextEncoder (10,000 events took over 10 s). The VEVENTs are folded here
 * instead, and the loop yields to other requests as it goes.
 */
export async function writeCalendar(events: readonly ExportedEvent[], name: string): Promise<string> {
  const calendar = ical({ prodId: { company: 'Event Scheduler', product: 'Calendar feed', language: 'EN' }, name });
  const zones = new Set<string>();
  const parts: string[] = [];
  const pause = cooperative();
  for (const event of events) {
    const zone = event.timezone !== 'UTC' && hasVtimezone(event.timezone) ? event.timezone : null;
    if (zone) zones.add(zone);
    const at = (time: Date) => (zone ? DateTime.fromJSDate(time, { zone }) : time);
    const vevent = calendar.createEvent({
      id: eventUid(event.id),
      sequence: Math.max(0, event.version - 1),
      stamp: event.updated_at,
      created: event.created_at,
      lastModified: event.updated_at,
      start: at(event.start_time),
      end: at(event.end_time),
      timezone: zone,
      repeating: event.rrule,
      summary: event.title,
      description: event.description || null,
      location: event.location,
      categories: (event.tags ?? []).map((tag) => ({ name: tag })),
    });
    parts.push(foldLines(vevent.toString()));
    calendar.clear();
    await pause();
  }
  // The envelope (VCALENDAR with its name) from the library, the VTIMEZONEs from the zone library, then the events.
  const envelope = calendar.toString();
  const end = envelope.lastIndexOf('END:VCALENDAR');
  const timezones = [...zones].sort().flatMap((zone) => {
    const block = vtimezone(zone);
    return block ? [foldLines(`${block.trim()}\r\n`)] : [];
  });
  return `${envelope.slice(0, end)}${timezones.join('')}${parts.join('')}${envelope.slice(end)}`;
}

/**
 * Folds content lines longer than 75 octets (RFC 5545 3.1): a CRLF and a
 * space before the octet that would pass 75, never inside a UTF-8 sequence
 * or a surrogate pair.
 */
export function foldLines(text: string): string {
  return text
    .split('\r\n')
    .map((line) => {
      if (line.length <= 25 || Buffer.byteLength(line) <= 75) return line;
      let out = '';
      let octets = 0;
      for (const char of line) {
        const code = char.codePointAt(0)!;
        const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
        if (octets + size > 75) {
          out += '\r\n ';
          octets = 1;
        }
        out += char;
        octets += size;
      }
      return out;
    })
    .join('\r\n');
}
