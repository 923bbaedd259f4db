import { ZSubscribeInput, ZSyncInput, ZSyncResult, type TLiveMessage } from '@scheduler/shared';
import { tracked } from '@trpc/server';
import { AppError } from '../errors.ts';
import { sync } from '../live/sync.ts';
import { loadEventFor } from '../services/events/access.ts';
import { authedProcedure, router } from '../trpc.ts';

/** A tracked id from a client is the feed id of the last message it received. */
export function parseLastEventId(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  return /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

export const liveRouter = router({
  /**
   * Live changes to my events (or one event), over WebSocket or SSE. Each
   * message is tracked with its feed id, so a client that reconnects resumes
   * exactly after the last message it saw.
   */
  onChange: authedProcedure
    .input(ZSubscribeInput)
    .subscription(async function* ({ ctx, input, signal }) {
      if (input.event_id !== undefined) await loadEventFor(ctx.db, input.event_id, ctx.user.id, 'read');
      const sub = await ctx.live.subscribe({
        userId: ctx.user.id,
        sessionId: ctx.user.sessionId,
        tokenExp: ctx.user.tokenExp,
        eventId: input.event_id,
        after: parseLastEventId(input.lastEventId),
      });
      try {
        for await (const message of sub.messages(signal)) {
          const { id, ...payload } = message;
          // Built by the hub from typed rows; one shared object per change and role, not re-validated per subscriber.
          yield tracked(String(id), payload as TLiveMessage);
        }
      } catch (error) {
        if ((error as { code?: string }).code === 'UNAUTHORIZED') {
          ctx.connection?.close(4401, 'Session ended');
          throw new AppError('UNAUTHORIZED', 'Your session ended; sign in again');
        }
        if ((error as { name?: string }).name !== 'AbortError') throw error;
      } finally {
        ctx.live.unsubscribe(sub);
      }
    }),

  sync: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/sync', tags: ['live'], summary: 'Everything that changed for me since a cursor', protect: true } })
    .input(ZSyncInput)
    .output(ZSyncResult)
    .query(({ ctx, input }) => sync(ctx.db, ctx.user.id, input)),
});
