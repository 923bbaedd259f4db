import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.ts';
import { LiveHub } from '../src/live/hub.ts';
import { createEvent } from './support/events.ts';
import type { TestUser } from './support/http.ts';
import { openTestDatabase } from './support/server.ts';
import { useTestServer } from './support/test-context.ts';

/** A live subscription that cannot start, or whose consumer left before it started, leaves nothing behind. */
const ctx = useTestServer();
const { api } = ctx;

const subscriberOf = (user: TestUser, after?: number) => {
  const claims = decodeJwt(user.access);
  return { userId: user.id, sessionId: String(claims['sid']), tokenExp: Number(claims.exp), after };
};

describe('live subscriptions that never start', () => {
  it('unregisters a subscriber whose replay fails', async () => {
    const user = await ctx.user('replayfail');
    // A hub of its own over a real database that goes away between start-up and the subscription.
    const database = await openTestDatabase();
    const hub = new LiveHub(database.db, createLogger('silent'), async (ids) => new Set(ids));
    await hub.start();
    await database.close();
    try {
      await expect(hub.subscribe(subscriberOf(user, 0))).rejects.toThrow();
      expect(hub.subscriberCount).toBe(0);
    } finally {
      await hub.stop();
    }
  });

  it('ends at once a stream whose consumer aborted before reading', async () => {
    const user = await ctx.user('earlyabort');
    const hub = ctx.server.deps.live;
    const before = hub.subscriberCount;
    const sub = await hub.subscribe(subscriberOf(user));
    const left = new AbortController();
    left.abort(); // the client went away while the subscription was being set up
    const reading = sub.messages(left.signal).next();
    // A change the subscriber would otherwise receive.
    await createEvent(api, user, { title: 'after the client left' });
    expect(await reading).toEqual({ value: undefined, done: true });
    expect(hub.subscriberCount).toBe(before);
  });
});
