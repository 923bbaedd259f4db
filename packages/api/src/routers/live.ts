import { ZSubscribeInput, ZSyncInput, ZSyncResult } from '@scheduler/shared';
import { feedHead } from '../live/messages.ts';
import { sync } from '../live/sync.ts';
import { WebSocket } from 'ws';
import { dataFrame, liveRequestOf, trackedEnvelope } from '../live/wire.ts';
import { checkAccess } from '../services/events/access.ts';
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
    .use(async ({ getRawInput, next }) => next({ ctx: { liveRequest: liveRequestOf(await getRawInput()) } }))
    .subscription(async ({ ctx, input }) => {
      if (input.event_id !== undefined) await checkAccess(ctx.db, input.event_id, ctx.user, 'read');
      const sub = await ctx.deps.live.subscribe(
        {
          userId: ctx.user.id,
          sessionId: ctx.user.sessionId,
          tokenExp: ctx.user.tokenExp,
          scope: ctx.user.scope,
          eventId: input.event_id,
          after: parseLastEventId(input.lastEventId),
        },
        trackedEnvelope,
      );
      const socket = ctx.connection;
      // Over a WebSocket, data frames are written straight to the socket (see live/wire.ts).
      if (socket instanceof WebSocket && ctx.liveRequest) {
        const request = ctx.liveRequest;
        sub.deliverTo((envelope) => {
          if (socket.readyState === WebSocket.OPEN) socket.send(dataFrame(envelope, request), { binary: false });
        });
      }
      // A WebSocket whose session ended is closed (4401) once the UNAUTHORIZED error frame is out.
      sub.onSessionEnded = () => setImmediate(() => ctx.connection?.close(4401, 'Session ended'));
      return sub;
    }),

  /** The feed's newest id: subscribe with it as `lastEventId` to miss nothing from this moment on. */
  cursor: authedProcedure.query(async ({ ctx }) => ({ cursor: String(await feedHead(ctx.db)) })),

  sync: authedProcedure
    .meta({
      openapi: { method: 'GET', path: '/sync', tags: ['live'], summary: 'Everything that changed for me since a cursor', protect: true },
      errors: [400, 401, 410],
    })
    .input(ZSyncInput)
    .output(ZSyncResult)
    .query(({ ctx, input }) => sync(ctx.db, ctx.user, input)),
});
