import { createTRPCClient, createWSClient, httpSubscriptionLink, wsLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import { WebSocket } from 'ws';
import type { TLiveMessage } from '@scheduler/shared';
import type { AppRouter } from '../../src/routers/root.ts';
import { eventually } from './collab.ts';

interface Received {
  id: string;
  message: TLiveMessage;
}

/** Collects what a subscription delivers, with a helper to wait for a condition. */
class Inbox {
  readonly items: Received[] = [];
  errors: unknown[] = [];
  closedWith: number | undefined;
  push = (item: Received) => void this.items.push(item);
  get messages() {
    return this.items.map((i) => i.message);
  }
  types(eventId?: number) {
    return this.messages.filter((m) => eventId === undefined || m.event_id === eventId).map((m) => m.type);
  }
  waitFor(predicate: (inbox: Inbox) => boolean, timeoutMs = 10_000) {
    return eventually(() => {
      if (!predicate(this)) throw new Error(`inbox condition not met; have ${JSON.stringify(this.types())}`);
    }, timeoutMs);
  }
}

/** A real @trpc/client over WebSocket, authenticated through connectionParams. */
export function wsSubscriber(serverUrl: string, token: string, input: { event_id?: number; lastEventId?: string } = {}) {
  const inbox = new Inbox();
  const wsClient = createWSClient({
    url: serverUrl.replace(/^http/, 'ws') + '/trpc',
    WebSocket: WebSocket as never,
    connectionParams: async () => ({ token }),
    retryDelayMs: () => 200,
    onClose: (cause) => {
      inbox.closedWith = cause?.code;
    },
  });
  const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const subscription = client.live.onChange.subscribe(input, {
    onStarted: () => started(),
    onData: (data) => inbox.push({ id: data.id, message: data.data }),
    onError: (error) => inbox.errors.push(error),
  });
  return {
    inbox,
    ready,
    close: async () => {
      subscription.unsubscribe();
      await wsClient.close();
    },
  };
}

/** The same subscription over SSE (tRPC's httpSubscriptionLink), token in the Authorization header. */
export function sseSubscriber(serverUrl: string, token: string, input: { event_id?: number } = {}) {
  const inbox = new Inbox();
  const client = createTRPCClient<AppRouter>({
    links: [
      httpSubscriptionLink({
        url: `${serverUrl}/trpc`,
        EventSource,
        eventSourceOptions: () => ({
          fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, authorization: `Bearer ${token}` } }),
        }),
      }),
    ],
  });
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const subscription = client.live.onChange.subscribe(input, {
    onStarted: () => started(),
    onData: (data) => inbox.push({ id: data.id, message: data.data }),
    onError: (error) => inbox.errors.push(error),
  });
  return { inbox, ready, close: () => subscription.unsubscribe() };
}

/** The REST event stream read with a real EventSource client. */
export function restStream(serverUrl: string, token: string, query = '', lastEventId?: string) {
  const inbox = new Inbox();
  const source = new EventSource(`${serverUrl}/api/events/stream${query}`, {
    fetch: (url, init) =>
      fetch(url, {
        ...init,
        headers: {
          ...init?.headers,
          authorization: `Bearer ${token}`,
          ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
        },
      }),
  });
  const types = [
    'event.created',
    'event.updated',
    'event.deleted',
    'event.rolled_back',
    'permission.granted',
    'permission.updated',
    'permission.revoked',
    'event.reminder',
  ];
  for (const type of types) {
    source.addEventListener(type, (event) => inbox.push({ id: event.lastEventId, message: JSON.parse(event.data) as TLiveMessage }));
  }
  source.addEventListener('error', (event) => inbox.errors.push(event));
  const opened = new Promise<void>((resolve) => source.addEventListener('open', () => resolve()));
  /** The stream's starting point: the `ready` event's id and data. */
  const ready = new Promise<{ id: string; cursor: string }>((resolve) =>
    source.addEventListener('ready', (event) =>
      resolve({ id: event.lastEventId, cursor: (JSON.parse(event.data) as { cursor: string }).cursor }),
    ),
  );
  return { inbox, source, opened, ready, close: () => source.close() };
}
