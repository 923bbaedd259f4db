import { ZTagCounts } from '@scheduler/shared';
import { z } from 'zod';
import { tagCounts } from '../services/events/tags.ts';
import { authedProcedure, router } from '../trpc.ts';

export const tagsRouter = router({
  list: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/tags',
        tags: ['events'],
        summary: 'The tags of the events I can read, with counts',
        description: 'Most used first, then alphabetical; counts only events the caller can read now (deleted ones excluded).',
        protect: true,
      },
      errors: [401],
    })
    .input(z.object({}))
    .output(ZTagCounts)
    .query(({ ctx }) => tagCounts(ctx.db, ctx.user)),
});
