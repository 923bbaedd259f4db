import { ZRsvpInput, ZRsvpResult } from '@scheduler/shared';
import { setRsvp } from '../services/events/rsvp.ts';
import { serviceDeps } from '../context.ts';
import { authedProcedure, router } from '../trpc.ts';

export const rsvpRouter = router({
  set: authedProcedure
    .meta({
      openapi: {
        method: 'PUT',
        path: '/events/{id}/rsvp',
        tags: ['invitations'],
        summary: 'Answer an event: accepted, declined or tentative',
        description: 'Anyone who may read the event. Not a change of the event (no version); its readers are told live (`rsvp.updated`).',
        protect: true,
      },
      errors: [400, 401, 404],
    })
    .input(ZRsvpInput)
    .output(ZRsvpResult)
    .mutation(({ ctx, input }) => setRsvp(serviceDeps(ctx), ctx.user, input)),
});
