import type { EventRow } from '@scheduler/db';
import ical from 'ical-generator';
import { DateTime } from 'luxon';
import { tzlib_get_ical_block, tzlib_get_timezones } from 'timezones-ical-library';

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
 */
export function writeCalendar(events: readonly ExportedEvent[], name: string): string {
  const calendar = ical({ prodId: { company: 'Event Scheduler', product: 'Calendar feed', language: 'EN' }, name });
  calendar.timezone({ name: null, generator: vtimezone });
  for (const event of events) {
    const zone = event.timezone !== 'UTC' && hasVtimezone(event.timezone) ? event.timezone : null;
    const at = (time: Date) => (zone ? DateTime.fromJSDate(time, { zone }) : time);
    calendar.createEvent({
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
  }
  return calendar.toString();
}
