import { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { eventually } from './support/eventually.ts';
import { type TestUser } from './support/http.ts';
import { restStream, wsSubscriber } from './support/live.ts';
import { useTestServer } from './support/test-context.ts';

/** Access tokens that live 2 seconds: every long-lived connection must end when its token does. */
const ctx = useTestServer({ env: { ACCESS_TOKEN_TTL: '2s' } });

/** An event of `owner`'s, in a slot of its own. */
const createEvent = async (owner: TestUser) => (await ctx.event(owner, { title: 'Expiring' })).id;

describe('an access token that expires ends what it opened', () => {
  it('a tRPC WebSocket subscription: UNAUTHORIZED, then the socket closes with 4401', async () => {
    const owner = await ctx.user('owner');
    const sub = wsSubscriber(ctx.url, owner.access);
    await sub.ready;
    try {
      await eventually(() => expect(sub.inbox.closedWith).toBe(4401), { timeout: 8000 });
      expect(sub.inbox.errors).toHaveLength(1);
      expect((sub.inbox.errors[0] as { data?: { code?: string } }).data?.code).toBe('UNAUTHORIZED');
    } finally {
      await sub.close();
    }
  });

  it('the REST event stream: an error event saying the session ended, then the stream stops', async () => {
    const owner = await ctx.user('owner');
    const stream = restStream(ctx.url, owner.access);
    await stream.opened;
    try {
      await eventually(
        () => {
          const told = stream.inbox.errors.some(
            (e) => typeof (e as { data?: unknown }).data === 'string' && JSON.parse((e as { data: string }).data).code === 'UNAUTHORIZED',
          );
          expect(told).toBe(true);
        },
        { timeout: 8000 },
      );
      // Reconnecting with the expired token is refused, so nothing more arrives.
      await eventually(() => expect(stream.source.readyState).toBe(stream.source.CLOSED), { timeout: 8000 });
    } finally {
      stream.close();
    }
  });

  it('a collaboration socket: closed with 4401', async () => {
    const owner = await ctx.user('owner');
    const eventId = await createEvent(owner);
    const ws = new WebSocket(ctx.url.replace(/^http/, 'ws') + `/collab/${eventId}?token=${owner.access}`);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    expect(await closed).toBe(4401);
  });
});
