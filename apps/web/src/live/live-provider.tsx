import type { LiveMessage } from '@scheduler/client';
import type { TEventDetail } from '@scheduler/shared';
import { useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { keys } from '../api/queries.ts';
import { useApi } from '../api/session.tsx';
import { applyChange, describeChange } from './apply-change.ts';

export interface Activity {
  id: string;
  text: string;
  message: LiveMessage;
}

type Listener = (message: LiveMessage) => void;

interface LiveValue {
  activity: Activity[];
  dismiss: (id: string) => void;
  /** Calls `listener` with every live change until the returned function is called. */
  listen: (listener: Listener) => () => void;
  connected: boolean;
}

const LiveContext = createContext<LiveValue | undefined>(undefined);

/**
 * Follows every change to the signed-in user's events over one subscription,
 * applies each to the query cache and keeps a short list of who did what.
 */
export function LiveProvider({ children }: { children: ReactNode }) {
  const { client, user } = useApi();
  const queryClient = useQueryClient();
  const [activity, setActivity] = useState<Activity[]>([]);
  const [connected, setConnected] = useState(false);
  const listeners = useRef(new Set<Listener>());

  useEffect(() => {
    const stop = client.followChanges({
      onStarted: () => setConnected(true),
      onMessage: (message, id) => {
        applyChange(queryClient, message, user.id);
        for (const listener of listeners.current) listener(message);
        if (message.actor?.id === user.id) return; // my own changes need no notice
        const known = message.event_id === null ? undefined : queryClient.getQueryData<TEventDetail>(keys.event(message.event_id))?.title;
        setActivity((list) => [{ id, text: describeChange(message, user.id, known), message }, ...list].slice(0, 5));
      },
      onError: () => setConnected(false),
    });
    return () => {
      stop();
      setConnected(false);
    };
  }, [client, queryClient, user.id]);

  const value: LiveValue = {
    activity,
    connected,
    dismiss: (id) => setActivity((list) => list.filter((a) => a.id !== id)),
    listen: (listener) => {
      listeners.current.add(listener);
      return () => listeners.current.delete(listener);
    },
  };
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export function useLive(): LiveValue {
  const value = useContext(LiveContext);
  if (!value) throw new Error('useLive outside LiveProvider');
  return value;
}
