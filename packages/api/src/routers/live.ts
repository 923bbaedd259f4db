import { ZSubscribeInput, ZSyncInput, ZSyncResult, type TLiveMessage } from '@scheduler/shared';
import { tracked, type TrackedEnvelope } from '@trpc/server';
import { AppError } from '../errors.ts';
import { SessionEndedError, type Subscriber } from '../live/hub.ts';
import { sync } from '../live/sync.ts';
import { loadEventFor } from '../services/events/access.ts';
import { authedProcedure, router } from '../trpc.ts';

/** A tracked id from a client is the feed id of the last message it received. */
export function parseLastEventId(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  return /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/**
 * A subscriber's messages as tRPC tracked envelopes. A plain iterator rather
 * than an async generator: with thousands of subscribers, every extra await
 * per message is paid thousands of times per change. tRPC calls `return()`
 * when the client unsubscribes or the connection closes.
 */
function trackedMessages(sub: Subscriber, onSessionEnded: () => void): AsyncIterable<TrackedEnvelope<TLiveMessage>> {
  return {
    [Symbol.asyncIterator]: () => {
      sub[Symbol.asyncIterator]();
      return {
        next: () =>
          sub.next().then(
            (result): IteratorResult<TrackedEnvelope<TLiveMessage>> =>
              result.done ? { value: undefined, done: true } : { value: tracked(String(result.value.id), result.value.message), done: false },
            (error: unknown) => {
              if (error instanceof SessionEndedError) {
                onSessionEnded();
                throw new AppError('UNAUTHORIZED', 'Your session ended; sign in again');
              }
              throw error;
            },
          ),
        return: async () => {
          await sub.return();
          return { value: undefined, done: true };
        },
      };
    },
  };
}

export const liveRouter = router({
  /**
   * Live changes to my events (or one event), over WebSocket or SSE. Each
   * message is tracked with its feed id, so a client that reconnects resumes
   * exactly after the last message it saw.
   */
  onChange: authedProcedure
    .input(ZSubscribeInput)
    .subscription(async ({ ctx, input }) => {
      if (input.event_id !== undefined) await loadEventFor(ctx.db, input.event_id, ctx.user.id, 'read');
      const sub = await ctx.live.subscribe({
        userId: ctx.user.id,
        sessionId: ctx.user.sessionId,
        tokenExp: ctx.user.tokenExp,
        eventId: input.event_id,
        after: parseLastEventId(input.lastEventId),
      });
      return trackedMessages(sub, () => ctx.connection?.close(4401, 'Session ended'));
    }),

  sync: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/sync', tags: ['live'], summary: 'Everything that changed for me since a cursor', protect: true } })
    .input(ZSyncInput)
    .output(ZSyncResult)
    .query(({ ctx, input }) => sync(ctx.db, ctx.user.id, input)),
});
