import type { AppRouter } from '@scheduler/api';
import type { Operation, TRPCLink } from '@trpc/client';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import { isUnauthorized, type Session } from './session.ts';

/** Procedures whose UNAUTHORIZED means bad credentials or tokens given as input, not an expired access token. */
const NO_REFRESH = new Set(['auth.login', 'auth.register', 'auth.refresh', 'auth.logout']);

export interface AuthLinkOptions {
  session: Session;
  /**
   * Makes the next subscription use a new WebSocket connection (the server
   * reads the token once per connection). Resolves once the old one is closed.
   */
  reconnectSocket: () => Promise<void>;
}

/** The subscription input with the id of the last message delivered, as tRPC's tracked() expects it. */
function resumeAfter(op: Operation, lastEventId: string | undefined): Operation {
  if (!lastEventId || (op.input !== undefined && (typeof op.input !== 'object' || op.input === null))) return op;
  return { ...op, input: { ...op.input, lastEventId } };
}

/**
 * Refreshes the access token when the server says UNAUTHORIZED and tries once
 * more. Place it before the terminating links.
 *
 * - Queries and mutations: one retry. Concurrent failures share one refresh
 *   (see `Session.refreshTokens`); a call that failed with a token that has
 *   been replaced meanwhile is retried without refreshing again.
 * - Subscriptions: the WebSocket connection carries the token, so after the
 *   refresh the connection is replaced and the subscription resumes after the
 *   last message it delivered. It may do so again each time the server has
 *   accepted it (`started`), i.e. once per access token.
 */
export function authLink({ session, reconnectSocket }: AuthLinkOptions): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) => {
        const subscription = op.type === 'subscription';
        let current: Unsubscribable | undefined;
        let disposed = false;
        let mayRetry = true;
        let lastEventId: string | undefined;

        const recover = async (sentWith: string | undefined): Promise<void> => {
          if (session.access === sentWith || session.access === undefined) await session.refreshTokens();
          if (subscription && session.connectionToken !== session.access) await reconnectSocket();
        };

        const attempt = (attemptOp: Operation) => {
          const sentWith = subscription ? undefined : session.access;
          current = next(attemptOp).subscribe({
            next(envelope) {
              const result = envelope.result;
              if ('type' in result && result.type === 'started') mayRetry = true;
              if ((!('type' in result) || result.type === 'data') && 'id' in result && result.id) lastEventId = String(result.id);
              observer.next(envelope);
            },
            error(error) {
              if (disposed) return;
              if (!mayRetry || NO_REFRESH.has(op.path) || !session.refresh || !isUnauthorized(error)) {
                observer.error(error);
                return;
              }
              mayRetry = false;
              recover(subscription ? session.connectionToken : sentWith).then(
                () => {
                  if (!disposed) attempt(resumeAfter(op, lastEventId));
                },
                () => observer.error(error),
              );
            },
            complete() {
              observer.complete();
            },
          });
        };

        attempt(op);
        return () => {
          disposed = true;
          current?.unsubscribe();
        };
      });
}
