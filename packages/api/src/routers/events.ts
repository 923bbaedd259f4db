import {
  ZBatchInput,
  ZBatchResult,
  ZCreateEventInput,
  ZEventDetail,
  ZEventIdInput,
  ZEventList,
  ZEventMutationResult,
  ZGetEventInput,
  ZListEventsInput,
  ZMessage,
  ZOccurrenceList,
  ZOccurrencesInput,
  ZUpdateEventInput,
} from '@scheduler/shared';
import { createBatch } from '../services/events/batch.ts';
import * as events from '../services/events/event-service.ts';
import { withPageLinks } from '../http/page-links.ts';
import { listEvents, pageOf } from '../services/events/list-events.ts';
import { cachedListing } from '../services/events/listing-cache.ts';
import { serviceDeps } from '../context.ts';
import { authedProcedure, router } from '../trpc.ts';

const updateProcedure = authedProcedure.input(ZUpdateEventInput).output(ZEventMutationResult);

export const eventsRouter = router({
  create: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/events',
        tags: ['events'],
        summary: 'Create an event',
        protect: true,
        successDescription: 'Created',
      },
      status: 201,
      errors: [400, 401, 409],
    })
    .input(ZCreateEventInput)
    .output(ZEventMutationResult)
    .mutation(({ ctx, input }) => events.createEvent(serviceDeps(ctx), ctx.user, input)),

  list: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/events',
        tags: ['events'],
        summary: 'List the events I own or that are shared with me',
        description:
          'Paged with `page`/`page_size` (or `skip`/`limit`); filtered by a window (`start_date`, `end_date`: recurring events match when an occurrence falls inside), text (`q`), `location`, `is_recurring` and my `role`; `expand=true` with a window returns one row per occurrence; `as_of` lists the events as they were at that time.',
        protect: true,
      },
      errors: [400, 401],
    })
    .input(ZListEventsInput)
    .output(ZEventList)
    .query(async ({ ctx, input }) => {
      const load = () => listEvents(ctx.db, ctx.user.id, input);
      const page = input.as_of ? await load() : await cachedListing(ctx.db, `${ctx.user.id}:${JSON.stringify(input)}`, load);
      // REST answers carry the contract's page links; tRPC callers page by number.
      return ctx.rest ? withPageLinks(page, `${ctx.rest.basePath}/events`, input, pageOf(input).size) : page;
    }),

  batch: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/events/batch',
        tags: ['events'],
        summary: 'Create up to 10,000 events in one transaction',
        description: 'Body: a JSON array of events, or {"events": [...]}. Atomic unless ?atomic=false.',
        protect: true,
        successDescription: 'Created',
      },
      status: 201,
      errors: [400, 401, 409],
    })
    .input(ZBatchInput)
    .output(ZBatchResult)
    .mutation(({ ctx, input }) => createBatch(serviceDeps(ctx), ctx.user, input)),

  get: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/events/{id}',
        tags: ['events'],
        summary: 'One event with its permissions (ETag: version)',
        protect: true,
      },
      errors: [400, 401, 404],
    })
    .input(ZGetEventInput)
    .output(ZEventDetail)
    .query(({ ctx, input }) => events.getEvent(ctx.db, ctx.user, input.id, input.as_of)),

  update: updateProcedure
    .meta({
      openapi: {
        method: 'PUT',
        path: '/events/{id}',
        tags: ['events'],
        summary: 'Update an event (partial; If-Match honoured)',
        protect: true,
      },
      errors: [400, 401, 403, 404, 409, 412],
    })
    .mutation(({ ctx, input }) => events.updateEvent(serviceDeps(ctx), ctx.user, input)),

  patch: updateProcedure
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/events/{id}',
        tags: ['events'],
        summary: 'Update an event (partial; If-Match honoured)',
        protect: true,
      },
      errors: [400, 401, 403, 404, 409, 412],
    })
    .mutation(({ ctx, input }) => events.updateEvent(serviceDeps(ctx), ctx.user, input)),

  delete: authedProcedure
    .meta({
      openapi: { method: 'DELETE', path: '/events/{id}', tags: ['events'], summary: 'Delete an event (its history stays)', protect: true },
      errors: [400, 401, 403, 404],
    })
    .input(ZEventIdInput)
    .output(ZMessage)
    .mutation(({ ctx, input }) => events.deleteEvent(serviceDeps(ctx), ctx.user, input.id)),

  occurrences: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/events/{id}/occurrences',
        tags: ['events'],
        summary: 'Expanded occurrences in a window of at most 2 years',
        protect: true,
      },
      errors: [400, 401, 404],
    })
    .input(ZOccurrencesInput)
    .output(ZOccurrenceList)
    .query(({ ctx, input }) => events.listOccurrences(ctx.db, ctx.user, input)),
});
