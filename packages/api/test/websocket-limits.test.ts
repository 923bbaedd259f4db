import { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { eventually } from './support/collab.ts';
import { createEvent, freeSlot } from './support/events.ts';
import type { TestUser } from './support/http.ts';
import { closeOf } from './support/raw.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer({ env: { WS_MAX_BUFFERED_BYTES: '262144', MAX_BODY_BYTES: '20000000', WS_MAX_CONNECTIONS_PER_USER: '1000' } });
const { api } = ctx;

const wsUrl = () => ctx.url.replace(/^http/, 'ws');

/** A raw tRPC WebSocket subscription to live.onChange, authenticated on the upgrade; resolves once started. */
async function rawSubscription(user: TestUser): Promise<WebSocket> {
  const ws = new WebSocket(`${wsUrl()}/trpc`, { headers: { authorization: `Bearer ${user.access}` } });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const started = new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: { type?: string }; error?: unknown };
      if (message.id === 1 && message.result?.type === 'started') resolve();
      if (message.id === 1 && message.error) reject(new Error(JSON.stringify(message.error)));
    });
  });
  ws.send(JSON.stringify({ id: 1, method: 'subscription', params: { path: 'live.onChange', input: {} } }));
  await started;
  return ws;
}

/** What the server holds for WebSocket clients: anything left here after clients leave is a leak. */
function held() {
  return {
    subscribers: ctx.server.deps.live.subscriberCount,
    sockets: ctx.server.deps.sockets!.openSockets,
    watched: ctx.server.deps.sockets!.watchedSockets,
    documents: ctx.server.collab.openDocuments,
    upgradeListeners: ctx.server.server.listenerCount('upgrade'),
    requestListeners: ctx.server.server.listenerCount('request'),
  };
}

describe('a slow WebSocket consumer', () => {
  it('is closed with 1008 and a reason once its unread messages pass the bound, and nothing of it stays', async () => {
    const user = await ctx.user('slow');
    const before = held();
    const ws = await rawSubscription(user);
    // Stop reading: everything the server sends now waits in buffers.
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const description = 'x'.repeat(100_000);
    for (let round = 0; round < 2; round++) {
      const events = Array.from({ length: 100 }, (_, i) => ({ title: `bulk ${round}.${i}`, description, ...freeSlot(1) }));
      const res = await api.post('/api/events/batch', { token: user.access, body: events });
      expect(res.status, res.text).toBe(201);
    }
    await eventually(() => expect(ctx.server.deps.sockets!.slowConsumersClosed).toBe(1), { timeout: 30_000 });
    const closed = closeOf(ws);
    (ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const { code, reason } = await closed;
    expect(code).toBe(1008);
    expect(reason).toMatch(/too slow/i);
    await eventually(() => expect(held()).toEqual(before));
  });
});

describe('connect and disconnect cycles', () => {
  it('1,000 tRPC subscriptions opened and closed leave no subscribers, sockets, listeners or handles behind', async () => {
    const user = await ctx.user('cycles');
    const before = held();
    const handles = () => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
    const handlesBefore = handles();
    for (let batch = 0; batch < 50; batch++) {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const ws = await rawSubscription(user);
          const closed = closeOf(ws);
          ws.close();
          await closed;
        }),
      );
    }
    await eventually(() => expect(held()).toEqual(before));
    await eventually(() => expect(handles()).toBeLessThanOrEqual(handlesBefore + 2));
  }, 180_000);

  it('200 collaborative sessions opened and closed unload their document and leave nothing behind', async () => {
    const user = await ctx.user('cyclescollab');
    const event = await createEvent(api, user);
    const before = held();
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const ws = new WebSocket(`${wsUrl()}/collab/${event.id}?token=${user.access}`);
          await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
          const closed = closeOf(ws);
          ws.close();
          await closed;
        }),
      );
    }
    await eventually(() => expect(held()).toEqual(before));
  });
});
