import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/collab.ts';
import { apiClient, registerUser, type ApiClient, type TestUser } from './support/http.ts';
import { restStream, wsSubscriber } from './support/live.ts';
import { startTestServer, type TestServer } from './support/server.ts';

/** Access tokens that live 2 seconds: every long-lived connection must end when its token does. */
let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  server = await startTestServer({ ACCESS_TOKEN_TTL: '2s' });
  api = apiClient(server.url);
});
afterAll(() => server?.stop());

let slot = 0;
async function createEvent(owner: TestUser) {
  slot += 1;
  const start = Date.UTC(2036, 0, 1) + slot * 4 * 3600_000;
  const res = await api.post('/api/events', {
    token: owner.access,
    body: { title: `Expiring ${slot}`, start_time: new Date(start).toISOString(), end_time: new Date(start + 3600_000).toISOString() },
  });
  expect(res.status).toBe(201);
  return res.body.event.id as number;
}

describe('an access token that expires ends what it opened', () => {
  it('a tRPC WebSocket subscription: UNAUTHORIZED, then the socket closes with 4401', async () => {
    const owner = await registerUser(api, 'owner');
    const sub = wsSubscriber(server.url, owner.access);
    await sub.ready;
    try {
      await eventually(() => expect(sub.inbox.closedWith).toBe(4401), 8000);
      expect(sub.inbox.errors).toHaveLength(1);
      expect((sub.inbox.errors[0] as { data?: { code?: string } }).data?.code).toBe('UNAUTHORIZED');
    } finally {
      await sub.close();
    }
  });

  it('the REST event stream: an error event saying the session ended, then the stream stops', async () => {
    const owner = await registerUser(api, 'owner');
    const stream = restStream(server.url, owner.access);
    await stream.opened;
    try {
      await eventually(() => {
        const told = stream.inbox.errors.some((e) => typeof (e as { data?: unknown }).data === 'string' && JSON.parse((e as { data: string }).data).code === 'UNAUTHORIZED');
        expect(told).toBe(true);
      }, 8000);
      // Reconnecting with the expired token is refused, so nothing more arrives.
      await eventually(() => expect(stream.source.readyState).toBe(stream.source.CLOSED), 8000);
    } finally {
      stream.close();
    }
  });

  it('a collaboration socket: closed with 4401', async () => {
    const owner = await registerUser(api, 'owner');
    const eventId = await createEvent(owner);
    const ws = new WebSocket(server.url.replace(/^http/, 'ws') + `/collab/${eventId}?token=${owner.access}`);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    expect(await closed).toBe(4401);
  });
});
