import { ZFreeBusyInput, ZFreeBusyResult, ZSuggestInput, ZSuggestResult } from '@scheduler/shared';
import { freeBusy, suggestTimes } from '../services/people/freebusy.ts';
import { authedProcedure, router } from '../trpc.ts';

/** Reads, though REST takes them as POST (a body with a list of users, as Google's freeBusy does). */
export const freebusyRouter = router({
  busy: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/freebusy',
        tags: ['freebusy'],
        summary: 'When people are busy',
        description:
          'Merged busy intervals of each user inside the window (at most 62 days), recurring occurrences included; no titles or other details. A user’s calendar is the events they own plus those shared with them whose RSVP is accepted. Only the caller and people who share a team with the caller may be asked about: anyone else, like an unknown user, is a 404 naming them in `details`.',
        protect: true,
      },
      errors: [400, 401, 404],
    })
    .input(ZFreeBusyInput)
    .output(ZFreeBusyResult)
    .query(({ ctx, input }) => freeBusy(ctx.db, ctx.user, input)),

  suggest: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/freebusy/suggest',
        tags: ['freebusy'],
        summary: 'Find a time when everyone is free',
        description:
          'The earliest slots of `duration_minutes` inside the window when every user is free, each inside the working hours of one local day in `timezone` (daylight-saving changes included). Slots start on a 15-minute grid counted from the start of the working hours, and none overlaps another.',
        protect: true,
      },
      errors: [400, 401, 404],
    })
    .input(ZSuggestInput)
    .output(ZSuggestResult)
    .query(({ ctx, input }) => suggestTimes(ctx.db, ctx.user, input)),
});
