import { createClient, isUnauthorized, type SchedulerClient } from '@scheduler/client';
import type { TRegisterInput, TUser } from '@scheduler/shared';
import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { refreshStore } from './refresh-store.ts';

type Status = 'restoring' | 'signed-out' | 'signed-in';

interface SessionValue {
  status: Status;
  user: TUser | undefined;
  /** The typed API client of the signed-in user (one per sign-in). */
  client: SchedulerClient;
  /** Shown on the sign-in page after the session ended by itself. */
  endedNotice: string | undefined;
  signIn: (username: string, password: string) => Promise<void>;
  register: (input: TRegisterInput) => Promise<void>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionValue | undefined>(undefined);

/** A client that keeps each rotated refresh token (and forgets it when the server refuses it). */
function newClient(refreshToken: string | undefined, onEnded: () => void): SchedulerClient {
  return createClient({
    url: window.location.origin,
    refreshToken,
    onTokens: (pair) => refreshStore.write(pair.refresh),
    onSessionEnded: () => {
      refreshStore.write(undefined);
      onEnded();
    },
  });
}

/**
 * The signed-in user and their API client. A kept refresh token is traded
 * for a new pair on load, so a reload (or a deep link) keeps the person signed in.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<Status>(() => (refreshStore.read() ? 'restoring' : 'signed-out'));
  const [user, setUser] = useState<TUser>();
  const [endedNotice, setEndedNotice] = useState<string>();
  const [client, setClient] = useState<SchedulerClient>(() =>
    newClient(refreshStore.read(), () => endSession('Your session has ended. Please sign in again.')),
  );

  function endSession(notice: string | undefined) {
    setUser(undefined);
    setStatus('signed-out');
    setEndedNotice(notice);
    queryClient.clear();
  }

  /** Replaces the client (a new sign-in starts from a clean socket and cache). */
  const freshClient = useCallback(() => {
    void client.close();
    const next = newClient(undefined, () => endSession('Your session has ended. Please sign in again.'));
    setClient(next);
    return next;
  }, [client]);

  useEffect(() => {
    if (status !== 'restoring') return;
    let cancelled = false;
    // Refresh first: an access-less call would be answered 401 before the retry.
    client
      .refresh()
      .then(() => client.trpc.auth.me.query({}))
      .then(
        (me) => {
          if (cancelled) return;
          setUser(me);
          setStatus('signed-in');
        },
        (error: unknown) => {
          if (cancelled) return;
          // A refused token is forgotten by onSessionEnded; any other failure keeps it for the next load.
          setEndedNotice(isUnauthorized(error) ? 'Your session has ended. Please sign in again.' : 'Could not reach the server.');
          setStatus('signed-out');
        },
      );
    return () => {
      cancelled = true;
    };
  }, [client, status]);

  const value = useMemo<SessionValue>(
    () => ({
      status,
      user,
      client,
      endedNotice,
      async signIn(username, password) {
        const next = freshClient();
        const me = await next.login({ username, password });
        setEndedNotice(undefined);
        setUser(me);
        setStatus('signed-in');
      },
      async register(input) {
        const next = freshClient();
        const me = await next.register(input);
        setEndedNotice(undefined);
        setUser(me);
        setStatus('signed-in');
      },
      async signOut() {
        // Reads still in flight are called off: answered after the logout, they would be refused.
        await queryClient.cancelQueries();
        // The signed-in pages go first: once the client forgets its tokens, a query or
        // subscription still mounted would ask again without them (and be refused).
        refreshStore.write(undefined);
        endSession(undefined);
        try {
          await client.logout();
        } finally {
          await client.close();
        }
      },
    }),
    [status, user, client, endedNotice, freshClient, queryClient],
  );

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in user's client and user (only under the signed-in routes). */
export function useApi(): { client: SchedulerClient; user: TUser } {
  const { client, user } = useSession();
  if (!user) throw new Error('useApi needs a signed-in user');
  return { client, user };
}
