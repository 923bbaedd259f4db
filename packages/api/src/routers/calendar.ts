import { ZBatchResult, ZCalendarFeed, ZCalendarFeedInput, ZCalendarFeedUrl, ZImportCalendarInput, ZMessage } from '@scheduler/shared';
import { z } from 'zod';
import { serviceDeps } from '../context.ts';
import { createFeed, deleteFeed, readFeed } from '../services/calendar/feed.ts';
import { importCalendar } from '../services/calendar/import.ts';
import { authedProcedure, publicProcedure, router } from '../trpc.ts';

export const calendarRouter = router({
  createFeed: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/calendar/feed',
        tags: ['calendar'],
        summary: 'Create or rotate my secret calendar feed URL',
        description:
          'Answers a secret `.ics` URL that calendar apps (Google Calendar, Apple Calendar, Thunderbird) can subscribe to without a token. Calling it again makes a new URL; the old one answers 404 from then on.',
        protect: true,
        successDescription: 'Created',
      },
      status: 201,
      errors: [401],
    })
    .input(z.object({}))
    .output(ZCalendarFeedUrl)
    .mutation(({ ctx }) => createFeed(serviceDeps(ctx), ctx.user, ctx.origin)),

  deleteFeed: authedProcedure
    .meta({
      openapi: { method: 'DELETE', path: '/calendar/feed', tags: ['calendar'], summary: 'Turn my calendar feed off', protect: true },
      errors: [401, 404],
    })
    .input(z.object({}))
    .output(ZMessage)
    .mutation(({ ctx }) => deleteFeed(serviceDeps(ctx), ctx.user)),

  feed: publicProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/calendar/{secret}.ics',
        tags: ['calendar'],
        summary: 'The calendar feed (iCalendar, RFC 5545); the secret is the credential',
        description:
          'One VEVENT per event the feed’s owner can read now, with a stable UID, SEQUENCE (version − 1), DTSTART/DTEND in the event’s zone (TZID with its VTIMEZONE) or UTC, RRULE, SUMMARY, DESCRIPTION, LOCATION and CATEGORIES. Send the ETag back as `If-None-Match` to get a 304 while nothing changed. A wrong or rotated secret is 404.',
        protect: false,
      },
      errors: [404],
      textResponse: { mediaType: 'text/calendar', field: 'calendar', cacheControl: 'private, no-cache' },
    })
    .input(ZCalendarFeedInput)
    .output(ZCalendarFeed)
    .query(({ ctx, input }) => readFeed(ctx.db, input.secret, ctx.ifNoneMatch)),

  import: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/events/import',
        tags: ['calendar'],
        summary: 'Import an iCalendar file (text/calendar) as a batch of events',
        description:
          'Each VEVENT becomes an event: SUMMARY → title, DESCRIPTION, LOCATION, DTSTART/DTEND (or DURATION) with their zone, RRULE → recurrence_pattern, CATEGORIES → tags. The answer is the batch’s: atomic unless `?atomic=false`, `on_conflict` as for the batch, errors by VEVENT index. A file that cannot be read is a 400 naming its line.',
        protect: true,
        contentTypes: ['text/calendar'],
        successDescription: 'Created',
      },
      status: 201,
      errors: [400, 401, 409],
      textBody: { mediaType: 'text/calendar', field: 'calendar' },
    })
    .input(ZImportCalendarInput)
    .output(ZBatchResult)
    .mutation(({ ctx, input }) => importCalendar(serviceDeps(ctx), ctx.user, input)),
});
