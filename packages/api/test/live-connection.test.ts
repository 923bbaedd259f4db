import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import type { TLiveMessage } from '@scheduler/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { AppRouter } from '../src/routers/root.ts';
import { eventually } from './support/eventually.ts';
import type { TestUser } from './support/http.ts';
import { tcpProxy } from './support/tcp-proxy.ts';
import { useTestServer } from './support/test-context.ts';

/*
 * Live data frames are written to the socket by the server itself, each one
 * answering the request id of the subscription it belongs to (live/wire.ts).
 * These cases hold several subscriptions on one connection, so a frame sent
 * under the wrong id would land in the wrong subscription, and resume one
 * after the connection drops, when the client sends its last id beside the
 * input rather than in it.
 */
const ctx = useTestServer();
const { api } = ctx;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let slot = 0;
async function createEvent(owner: TestUser, title: string) {
  slot += 1;
  const start = Date.UTC(2033, 0, 1) + slot * 4 * 3600_000;
  const res = await api.post('/api/events', {
    token: owner.access,
    body: { title, start_time: new Date(start).toISOString(), end_time: new Date(start + 3600_000).toISOString() },
  });
  expect(res.status).toBe(201);
  return res.body.event.id as number;
}

const retitle = async (owner: TestUser, eventId: number, title: string) =>
  expect((await api.put(`/api/events/${eventId}`, { token: owner.access, body: { title } })).status).toBe(200);

/** One @trpc/client WebSocket connection (optionally through a relay the test can cut). */
function connection(url: string, token: string) {
  const client = createWSClient({
    url: url.replace(/^http/, 'ws') + '/trpc',
    WebSocket: WebSocket as never,
    connectionParams: async () => ({ token }),
    retryDelayMs: () => 100,
  });
  cleanups.push(() => client.close());
  const trpc = createTRPCClient<AppRouter>({ links: [wsLink({ client })] });

  /** A subscription on this connection, collecting what it receives. */
  function subscribe(input: { event_id?: number; lastEventId?: string }) {
    const received: Array<{ id: string; message: TLiveMessage }> = [];
    let started!: () => void;
    const ready = new Promise<void>((resolve) => (started = resolve));
    const subscription = trpc.live.onChange.subscribe(input, {
      onStarted: () => started(),
      onData: (data) => void received.push({ id: data.id, message: data.data }),
    });
    const titles = () => received.map((r) => r.message.event?.title);
    return { received, ready, titles, stop: () => subscription.unsubscribe() };
  }
  return { subscribe };
}

describe('several live subscriptions on one WebSocket', () => {
  it('each receives its own changes under its own id, and a stopped one receives nothing more', async () => {
    const owner = await ctx.user('owner');
    const first = await createEvent(owner, 'first');
    const second = await createEvent(owner, 'second');
    const socket = connection(ctx.url, owner.access);
    const onFirst = socket.subscribe({ event_id: first });
    const onSecond = socket.subscribe({ event_id: second });
    const onAll = socket.subscribe({});
    await Promise.all([onFirst.ready, onSecond.ready, onAll.ready]);

    await retitle(owner, first, 'first 1');
    await retitle(owner, second, 'second 1');
    await retitle(owner, first, 'first 2');
    await eventually(() => expect(onAll.received).toHaveLength(3));
    await eventually(() => expect(onFirst.titles()).toEqual(['first 1', 'first 2']));
    await eventually(() => expect(onSecond.titles()).toEqual(['second 1']));
    expect(onAll.titles()).toEqual(['first 1', 'second 1', 'first 2']);

    onFirst.stop();
    await retitle(owner, first, 'first 3');
    await eventually(() => expect(onAll.titles().at(-1)).toBe('first 3'));
    // The stopped subscription's id is no longer answered; a frame for it would have arrived with the one above.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(onFirst.titles()).toEqual(['first 1', 'first 2']);
    expect(onSecond.titles()).toEqual(['second 1']);
  });

  it('a subscription opened with a last id gets what it missed, then live changes, beside a fresh one', async () => {
    const owner = await ctx.user('owner');
    const eventId = await createEvent(owner, 'start');
    const earlier = connection(ctx.url, owner.access).subscribe({ event_id: eventId });
    await earlier.ready;
    await retitle(owner, eventId, 'one');
    await eventually(() => expect(earlier.received).toHaveLength(1));
    const lastSeen = earlier.received[0]!.id;
    earlier.stop();
    await retitle(owner, eventId, 'two');

    const socket = connection(ctx.url, owner.access);
    const resumed = socket.subscribe({ event_id: eventId, lastEventId: lastSeen });
    const fresh = socket.subscribe({ event_id: eventId });
    await Promise.all([resumed.ready, fresh.ready]);
    await retitle(owner, eventId, 'three');
    await eventually(() => expect(resumed.titles()).toEqual(['two', 'three']));
    await eventually(() => expect(fresh.titles()).toEqual(['three']));
  });

  it('resumes every subscription after the connection drops, without a gap or a duplicate', async () => {
    const owner = await ctx.user('owner');
    const first = await createEvent(owner, 'first');
    const second = await createEvent(owner, 'second');
    const relay = await tcpProxy({ host: '127.0.0.1', port: Number(new URL(ctx.url).port) });
    cleanups.push(() => relay.close());
    const socket = connection(`http://127.0.0.1:${relay.port}`, owner.access);
    const onFirst = socket.subscribe({ event_id: first });
    const onSecond = socket.subscribe({ event_id: second });
    await Promise.all([onFirst.ready, onSecond.ready]);
    await retitle(owner, first, 'first 1');
    await retitle(owner, second, 'second 1');
    await eventually(() => expect([onFirst.received.length, onSecond.received.length]).toEqual([1, 1]));

    // The connection is cut; changes made while it is down come on the new one, after each subscription's last id.
    relay.down();
    await retitle(owner, first, 'first 2');
    await retitle(owner, second, 'second 2');
    relay.up();
    await retitle(owner, first, 'first 3');
    await eventually(() => expect(onFirst.titles()).toEqual(['first 1', 'first 2', 'first 3']));
    await eventually(() => expect(onSecond.titles()).toEqual(['second 1', 'second 2']));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(onFirst.titles()).toEqual(['first 1', 'first 2', 'first 3']);
    expect(onSecond.titles()).toEqual(['second 1', 'second 2']);
  });
});
