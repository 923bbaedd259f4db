import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/eventually.ts';
import { errorBody, type TestUser } from './support/http.ts';
import { wsSubscriber } from './support/live.ts';
import { useTestServer } from './support/test-context.ts';
import { inFeedOrder, startReceiver } from './support/webhook-receiver.ts';

const TIMEOUT_MS = 1000;
const ctx = useTestServer({
  ownDatabase: true,
  env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_MS: '100', WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS), WEBHOOK_DISABLE_AFTER: '3s' },
});
const { api } = ctx;

let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

let paths = 0;
/** A path of the receiver no other test uses. */
const freshPath = () => `/hook-${++paths}`;

async function createHook(user: TestUser, body: Record<string, unknown>) {
  const res = await api.post('/api/webhooks', { token: user.access, body });
  expect(res.status, res.text).toBe(201);
  return res.body as { id: number; secret: string; url: string; active: boolean };
}

const deliveriesOf = async (user: TestUser, hookId: number) => {
  const res = await api.get(`/api/webhooks/${hookId}/deliveries`, { token: user.access });
  expect(res.status).toBe(200);
  return res.body as Array<{
    id: number;
    message_id: string;
    type: string;
    attempt: number;
    status_code: number | null;
    ok: boolean;
    error: string | null;
    at: string;
  }>;
};

describe('managing webhooks', () => {
  it('creates a hook with a Standard Webhooks secret, lists it without the secret, deletes it', async () => {
    const owner = await ctx.user('wh_owner');
    const created = await createHook(owner, { url: receiver.url(freshPath()), types: ['event.created', 'event.updated'] });
    expect(created).toMatchObject({
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/hook-\d+$/),
      types: ['event.created', 'event.updated'],
      event_id: null,
      tags: null,
      active: true,
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{40,}={0,2}$/);
    expect(Buffer.from(created.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);

    const list = await api.get('/api/webhooks', { token: owner.access });
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).not.toHaveProperty('secret');
    const one = await api.get(`/api/webhooks/${created.id}`, { token: owner.access });
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('secret');
    expect(one.body.id).toBe(created.id);

    const audit = await api.get('/api/audit', { token: owner.access });
    expect(audit.body.results.map((r: { action: string }) => r.action)).toContain('webhook.create');

    expect((await api.delete(`/api/webhooks/${created.id}`, { token: owner.access })).status).toBe(200);
    expect((await api.get(`/api/webhooks/${created.id}`, { token: owner.access })).status).toBe(404);
    const after = await api.get('/api/audit', { token: owner.access });
    expect(after.body.results.map((r: { action: string }) => r.action)).toContain('webhook.delete');
  });

  it('hides other users’ hooks (404 on read, delete, log and ping)', async () => {
    const owner = await ctx.user('wh_mine');
    const other = await ctx.user('wh_other');
    const hook = await createHook(owner, { url: receiver.url(freshPath()) });
    for (const [method, path] of [
      ['GET', `/api/webhooks/${hook.id}`],
      ['DELETE', `/api/webhooks/${hook.id}`],
      ['GET', `/api/webhooks/${hook.id}/deliveries`],
      ['POST', `/api/webhooks/${hook.id}/ping`],
    ] as const) {
      const res = await api.call(method, path, { token: other.access });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(errorBody(res).code).toBe('NOT_FOUND');
    }
    expect((await api.get('/api/webhooks', { token: other.access })).body).toEqual([]);
  });

  it('refuses bad input with 400: a scheme other than http(s), an unknown type', async () => {
    const owner = await ctx.user('wh_bad');
    for (const body of [
      { url: 'ftp://example.com/x' },
      { url: 'not a url' },
      { url: 'http://user:pw@example.com/' },
      { url: receiver.url('/x'), types: ['event.exploded'] },
      { url: receiver.url('/x'), tags: ['no spaces allowed'] },
    ]) {
      const res = await api.post('/api/webhooks', { token: owner.access, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(errorBody(res).code).toBe('VALIDATION_ERROR');
    }
  });

  it('answers 404 for an event_id the caller cannot read', async () => {
    const owner = await ctx.user('wh_ev_owner');
    const stranger = await ctx.user('wh_ev_stranger');
    const event = await ctx.event(owner);
    const res = await api.post('/api/webhooks', { token: stranger.access, body: { url: receiver.url('/x'), event_id: event.id } });
    expect(res.status).toBe(404);
    expect((await api.post('/api/webhooks', { token: owner.access, body: { url: receiver.url('/x'), event_id: event.id } })).status).toBe(
      201,
    );
  });

  it('allows at most 20 hooks per user (409 after that)', async () => {
    const owner = await ctx.user('wh_many');
    for (let i = 0; i < 20; i += 1) await createHook(owner, { url: receiver.url(`/many-${i}`), types: ['event.deleted'] });
    const res = await api.post('/api/webhooks', { token: owner.access, body: { url: receiver.url('/many-20') } });
    expect(res.status).toBe(409);
    expect(errorBody(res).code).toBe('CONFLICT');
  });
});

describe('delivering', () => {
  it('POSTs live messages signed the Standard Webhooks way, filtered by type', async () => {
    const owner = await ctx.user('wh_sign');
    const path = freshPath();
    const hook = await createHook(owner, { url: receiver.url(path), types: ['event.created', 'event.updated'] });
    const event = await ctx.event(owner, { title: 'Signed' });
    await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { title: 'Signed again' } });
    // Sent before the deletion: a message is sent only while its event may be read.
    await eventually(() => expect(receiver.at(path)).toHaveLength(2));
    await api.delete(`/api/events/${event.id}`, { token: owner.access });
    const other = await ctx.event(owner, { title: 'After' });

    await eventually(() => expect(receiver.messages(path).map((m) => [m.type, m.event?.title])).toHaveLength(3));
    const verifier = new Webhook(hook.secret);
    for (const request of receiver.at(path)) {
      expect(request.headers['content-type']).toMatch(/^application\/json/);
      expect(request.headers['webhook-id']).toMatch(/^msg_\d+$/);
      expect(request.headers['webhook-timestamp']).toMatch(/^\d+$/);
      expect(() => verifier.verify(request.body, request.headers)).not.toThrow();
    }
    // A signature made with another key does not verify.
    const first = receiver.at(path)[0]!;
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(first.body, first.headers)).toThrow();
    const messages = inFeedOrder(receiver.at(path));
    expect(messages.map((m) => [m.type, m.event_id, m.event?.title])).toEqual([
      ['event.created', event.id, 'Signed'],
      ['event.updated', event.id, 'Signed again'],
      ['event.created', other.id, 'After'],
    ]);
    expect(new Set(receiver.at(path).map((r) => r.headers['webhook-id'])).size).toBe(3);
    expect((await deliveriesOf(owner, hook.id)).map((a) => a.type)).not.toContain('event.deleted');
  });

  it('sends only messages about the hook’s event when it names one', async () => {
    const owner = await ctx.user('wh_one_event');
    const path = freshPath();
    const watched = await ctx.event(owner, { title: 'Watched' });
    const ignored = await ctx.event(owner, { title: 'Ignored' });
    await createHook(owner, { url: receiver.url(path), event_id: watched.id });
    await api.patch(`/api/events/${ignored.id}`, { token: owner.access, body: { title: 'Ignored 2' } });
    await api.patch(`/api/events/${watched.id}`, { token: owner.access, body: { title: 'Watched 2' } });
    await eventually(() => expect(receiver.at(path)).toHaveLength(1));
    expect(receiver.messages(path)[0]).toMatchObject({ type: 'event.updated', event_id: watched.id });
  });

  it('sends only messages about events carrying one of the hook’s tags, as they are tagged now', async () => {
    const owner = await ctx.user('wh_tags');
    const path = freshPath();
    const ops = await ctx.event(owner, { title: 'Ops', tags: ['ops'] });
    const home = await ctx.event(owner, { title: 'Home', tags: ['home'] });
    await createHook(owner, { url: receiver.url(path), types: ['event.updated'], tags: ['ops'] });
    await api.patch(`/api/events/${home.id}`, { token: owner.access, body: { title: 'Home 2' } });
    await api.patch(`/api/events/${ops.id}`, { token: owner.access, body: { title: 'Ops 2' } });
    await eventually(() => expect(receiver.at(path)).toHaveLength(1));
    // Retagged into the hook's tags: its next change is sent.
    await api.patch(`/api/events/${home.id}`, { token: owner.access, body: { tags: ['ops', 'home'] } });
    await eventually(() => expect(receiver.at(path)).toHaveLength(2));
    expect(receiver.messages(path).map((m) => [m.event_id, m.event?.title])).toEqual([
      [ops.id, 'Ops 2'],
      [home.id, 'Home 2'],
    ]);
  });

  it('retries a failing receiver with the same webhook-id until it accepts, once', async () => {
    const owner = await ctx.user('wh_retry');
    const path = freshPath();
    receiver.respondWith((req, res, index) => {
      if (req.path === path && index < 2) return void res.writeHead(500).end('not yet');
      res.writeHead(200).end('ok');
    });
    const hook = await createHook(owner, { url: receiver.url(path), types: ['event.created'] });
    await ctx.event(owner, { title: 'Third time lucky' });
    await eventually(async () => {
      const log = await deliveriesOf(owner, hook.id);
      expect(log.map((a) => [a.attempt, a.ok, a.status_code])).toEqual([
        [3, true, 200],
        [2, false, 500],
        [1, false, 500],
      ]);
      expect(log[2]!.error).toContain('500');
    });
    const requests = receiver.at(path);
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(requests.map((r) => JSON.parse(r.body).event.title)).toEqual(['Third time lucky', 'Third time lucky', 'Third time lucky']);
  });

  it('waits as long as Retry-After asks', async () => {
    const owner = await ctx.user('wh_after');
    const path = freshPath();
    receiver.respondWith((req, res, index) => {
      if (req.path === path && index === 0) return void res.writeHead(503, { 'Retry-After': '2' }).end();
      res.writeHead(204).end();
    });
    const hook = await createHook(owner, { url: receiver.url(path) });
    await ctx.event(owner);
    await eventually(() => expect(receiver.at(path)).toHaveLength(2), 15_000);
    const [first, second] = receiver.at(path);
    // The retry would come after ~100 ms (WEBHOOK_RETRY_MS) without the header.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1900);
    await eventually(async () => expect((await deliveriesOf(owner, hook.id))[0]).toMatchObject({ ok: true, status_code: 204, attempt: 2 }));
  });

  it('counts an answer slower than the timeout as a failure', async () => {
    const owner = await ctx.user('wh_slow');
    const path = freshPath();
    receiver.respondWith((req, res, index) => {
      if (req.path === path && index === 0) return void setTimeout(() => res.writeHead(200).end('too late'), TIMEOUT_MS * 3);
      res.writeHead(200).end('ok');
    });
    const hook = await createHook(owner, { url: receiver.url(path) });
    await ctx.event(owner);
    await eventually(async () => {
      const log = await deliveriesOf(owner, hook.id);
      expect(log.map((a) => [a.attempt, a.ok])).toEqual([
        [2, true],
        [1, false],
      ]);
      expect(log[1]!.status_code).toBeNull();
      expect(log[1]!.error).toMatch(/within/);
    });
  });

  it('does not follow redirects', async () => {
    const owner = await ctx.user('wh_redirect');
    const path = freshPath();
    const target = freshPath();
    receiver.respondWith((req, res) => {
      if (req.path === path) return void res.writeHead(307, { Location: receiver.url(target) }).end();
      res.writeHead(200).end('ok');
    });
    const hook = await createHook(owner, { url: receiver.url(path) });
    await ctx.event(owner);
    await eventually(async () => {
      const log = await deliveriesOf(owner, hook.id);
      expect(log.length).toBeGreaterThanOrEqual(2);
      expect(log.every((a) => !a.ok && a.status_code === 307)).toBe(true);
    });
    expect(receiver.at(target)).toHaveLength(0);
  });

  it('pings: 202, then {"type":"ping"} signed, logged', async () => {
    const owner = await ctx.user('wh_ping');
    const path = freshPath();
    receiver.respondWith((_req, res) => res.writeHead(200).end());
    const hook = await createHook(owner, { url: receiver.url(path) });
    const res = await api.post(`/api/webhooks/${hook.id}/ping`, { token: owner.access });
    expect(res.status).toBe(202);
    await eventually(() => expect(receiver.at(path)).toHaveLength(1));
    const ping = receiver.at(path)[0]!;
    expect(JSON.parse(ping.body)).toEqual({ type: 'ping' });
    expect(ping.headers['webhook-id']).toBe(res.body.message_id);
    expect(() => new Webhook(hook.secret).verify(ping.body, ping.headers)).not.toThrow();
    await eventually(async () =>
      expect(await deliveriesOf(owner, hook.id)).toEqual([
        {
          id: expect.any(Number),
          message_id: res.body.message_id,
          type: 'ping',
          attempt: 1,
          status_code: 200,
          ok: true,
          error: null,
          at: expect.stringMatching(/Z$/),
        },
      ]),
    );
  });

  it('checks access when delivering: a revoked viewer’s hook gets the revocation and nothing queued before it', async () => {
    const owner = await ctx.user('wh_acc_owner');
    const viewer = await ctx.user('wh_acc_viewer');
    const path = freshPath();
    const event = await ctx.event(owner, { title: 'Shared' });
    await ctx.share(owner, event.id, viewer, 'VIEWER');
    // The viewer's receiver refuses the first message, so it waits in the outbox for a retry.
    let open = false;
    receiver.respondWith((req, res) => {
      if (req.path === path && !open) return void res.writeHead(503, { 'Retry-After': '1' }).end();
      res.writeHead(200).end();
    });
    const hook = await createHook(viewer, { url: receiver.url(path) });
    await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { title: 'Before revocation' } });
    await eventually(() => expect(receiver.at(path)).toHaveLength(1));
    const res = await api.delete(`/api/events/${event.id}/permissions/${viewer.id}`, { token: owner.access });
    expect(res.status).toBe(200);
    open = true;
    await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { title: 'After revocation' } });

    await eventually(async () => {
      const log = await deliveriesOf(viewer, hook.id);
      expect(log.some((a) => a.type === 'event.updated' && !a.ok && a.status_code === null && /no longer read/.test(a.error ?? ''))).toBe(
        true,
      );
      expect(log.some((a) => a.type === 'permission.revoked' && a.ok)).toBe(true);
    });
    const log = await deliveriesOf(viewer, hook.id);
    expect(log.filter((a) => a.ok).map((a) => a.type)).toEqual(['permission.revoked']);
    const revoked = receiver.messages(path).find((m) => m.type === 'permission.revoked');
    expect(revoked).toMatchObject({ event_id: event.id, user: { id: viewer.id }, role: null, my_role: null });
    expect(revoked).not.toHaveProperty('event');
    expect(JSON.stringify(receiver.messages(path))).not.toContain('After revocation');
  });

  it('switches off a hook that keeps failing and tells its owner in the live feed', async () => {
    const owner = await ctx.user('wh_disable');
    const path = freshPath();
    receiver.respondWith((req, res) => {
      if (req.path === path) return void res.writeHead(500).end('broken');
      res.writeHead(200).end();
    });
    const live = wsSubscriber(ctx.url, owner.access);
    await live.ready;
    try {
      // Another hook of the owner's hears of it: notices addressed to the owner go out like any message.
      const watcherPath = freshPath();
      await createHook(owner, { url: receiver.url(watcherPath), types: ['webhook.disabled'] });
      const hook = await createHook(owner, { url: receiver.url(path) });
      const event = await ctx.event(owner);
      // Every change fails; once the hook has failed for longer than WEBHOOK_DISABLE_AFTER (3 s), it is switched off.
      await eventually(
        async () => {
          await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { title: `try ${Date.now()}` } });
          expect((await api.get(`/api/webhooks/${hook.id}`, { token: owner.access })).body.active).toBe(false);
        },
        { timeout: 30_000, interval: 500 },
      );
      const after = (await api.get(`/api/webhooks/${hook.id}`, { token: owner.access })).body;
      expect(after.disabled_reason).toMatch(/failed/);
      await live.inbox.waitFor((inbox) => inbox.types().includes('webhook.disabled'));
      const notice = live.inbox.messages.find((m) => m.type === 'webhook.disabled')!;
      expect(notice).toMatchObject({ event_id: null, webhook: { id: hook.id, url: hook.url }, reason: expect.stringMatching(/failed/) });
      await eventually(() => expect(receiver.messages(watcherPath)).toHaveLength(1));
      expect(receiver.messages(watcherPath)[0]).toEqual(notice);
      // Nothing more is sent to it.
      const count = receiver.at(path).length;
      await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { title: 'after switch-off' } });
      const pinged = await createHook(owner, { url: receiver.url(freshPath()) });
      await api.post(`/api/webhooks/${pinged.id}/ping`, { token: owner.access });
      await eventually(async () => expect((await deliveriesOf(owner, pinged.id)).length).toBe(1));
      expect(receiver.at(path)).toHaveLength(count);
    } finally {
      await live.close();
    }
  });
});
