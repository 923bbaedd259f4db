import { z } from 'zod';
import { ZQueryBoolean } from './common.ts';
import { ZOnConflict } from './events.ts';

/** The path of a calendar feed, below the API's base path: `/calendar/{secret}.ics`. */
export const CALENDAR_FEED_SUFFIX = '.ics';

export const ZCalendarFeedUrl = z
  .object({
    url: z.string().describe('The secret feed URL (…/api/calendar/{secret}.ics); anyone holding it can read your calendar'),
  })
  .meta({ id: 'CalendarFeedUrl' });
export type TCalendarFeedUrl = z.infer<typeof ZCalendarFeedUrl>;

export const ZCalendarFeedInput = z.object({
  secret: z.string().min(1).max(128).describe('The secret of the feed URL'),
});

/**
 * The feed as the typed client reads it: the iCalendar text and its ETag, or
 * `calendar: null` when the request's `If-None-Match` already names this
 * version (REST answers 304 then).
 */
export const ZCalendarFeed = z.object({
  etag: z.string().describe('The feed version; send it back as If-None-Match'),
  calendar: z.string().nullable().describe('iCalendar (RFC 5545) text; null when not modified'),
});
export type TCalendarFeed = z.infer<typeof ZCalendarFeed>;

/** An iCalendar file to import: each VEVENT becomes an event, with the batch's semantics. */
export const ZImportCalendarInput = z.object({
  calendar: z.string().min(1, 'must not be empty').describe('iCalendar (RFC 5545) text: a VCALENDAR with VEVENTs'),
  atomic: ZQueryBoolean.optional().describe('Default true: any invalid VEVENT fails the whole import'),
  on_conflict: ZOnConflict,
});
export type TImportCalendarInput = z.infer<typeof ZImportCalendarInput>;
