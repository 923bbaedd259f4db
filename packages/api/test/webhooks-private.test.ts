import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/eventually.ts';
import { errorBody } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';
import { startReceiver } from './support/webhook-receiver.ts';

// WEBHOOK_ALLOW_PRIVATE is off (the default): loopback, private and link-local targets are refused.
const ctx = useTestServer({ ownDatabase: true, env: { WEBHOOK_RETRY_MS: '100', WEBHOOK_TIMEOUT_MS: '1000' } });
const { api } = ctx;

let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

describe('webhook targets without WEBHOOK_ALLOW_PRIVATE', () => {
  it.each([
    'http://127.0.0.1:8080/hook',
    'http://localhost/hook',
    'http://[::1]/hook',
    'http://10.0.0.5/hook',
    'http://192.168.1.10/hook',
    'http://172.20.0.1/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://100.64.0.1/hook',
    'http://[fd00::1]/hook',
    'http://[fe80::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://0.0.0.0/hook',
  ])('refuses %s with 400', async (url) => {
    const owner = await ctx.user('wh_priv');
    const res = await api.post('/api/webhooks', { token: owner.access, body: { url } });
    expect(res.status).toBe(400);
    expect(errorBody(res)).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ path: 'url' }] });
  });

  it('checks the address again at connect time: a name now resolving to 127.0.0.1 is refused (DNS rebinding)', async () => {
    const owner = await ctx.user('wh_rebind');
    // Created while the name leads to a public address (a literal one here: creation resolves nothing)…
    const created = await api.post('/api/webhooks', { token: owner.access, body: { url: 'http://93.184.215.14/hook' } });
    expect(created.status).toBe(201);
    // …then the name leads to this host: `localhost` stands for a record rebound to 127.0.0.1.
    const rebound = `http://localhost:${receiver.port}/rebound`;
    await ctx.server.deps.db.updateTable('webhooks').set({ url: rebound }).where('id', '=', created.body.id).execute();
    const ping = await api.post(`/api/webhooks/${created.body.id}/ping`, { token: owner.access });
    expect(ping.status).toBe(202);
    await eventually(async () => {
      const log = (await api.get(`/api/webhooks/${created.body.id}/deliveries`, { token: owner.access })).body;
      expect(log.length).toBeGreaterThanOrEqual(2);
      for (const attempt of log) {
        expect(attempt).toMatchObject({ ok: false, status_code: null });
        expect(attempt.error).toMatch(/127\.0\.0\.1|::1/);
        expect(attempt.error).toMatch(/private, loopback or link-local/);
      }
    });
    expect(receiver.received).toHaveLength(0);
  });

  it('refuses a literal private address at delivery too', async () => {
    const owner = await ctx.user('wh_literal');
    const created = await api.post('/api/webhooks', { token: owner.access, body: { url: 'http://93.184.215.14/hook' } });
    await ctx.server.deps.db
      .updateTable('webhooks')
      .set({ url: receiver.url('/literal') })
      .where('id', '=', created.body.id)
      .execute();
    await api.post(`/api/webhooks/${created.body.id}/ping`, { token: owner.access });
    await eventually(async () => {
      const log = (await api.get(`/api/webhooks/${created.body.id}/deliveries`, { token: owner.access })).body;
      expect(log[0]).toMatchObject({
        ok: false,
        status_code: null,
        error: expect.stringMatching(/127\.0\.0\.1 is a private, loopback or link-local/),
      });
    });
    expect(receiver.received).toHaveLength(0);
  });

  it('gives a message up after 8 attempts, each logged, the same webhook-id throughout', async () => {
    const owner = await ctx.user('wh_give_up');
    const created = await api.post('/api/webhooks', { token: owner.access, body: { url: 'http://93.184.215.14/hook' } });
    await ctx.server.deps.db
      .updateTable('webhooks')
      .set({ url: receiver.url('/give-up') })
      .where('id', '=', created.body.id)
      .execute();
    const ping = await api.post(`/api/webhooks/${created.body.id}/ping`, { token: owner.access });
    // 100 ms doubling: the eighth attempt comes about 13 s after the first.
    await eventually(
      async () => {
        const [delivery] = await ctx.server.deps.db
          .selectFrom('webhook_deliveries')
          .select(['status', 'attempt'])
          .where('webhook_id', '=', created.body.id)
          .execute();
        expect(delivery).toEqual({ status: 'failed', attempt: 8 });
      },
      { timeout: 45_000, interval: 250 },
    );
    const log = (await api.get(`/api/webhooks/${created.body.id}/deliveries`, { token: owner.access })).body as Array<{
      attempt: number;
      message_id: string;
      ok: boolean;
    }>;
    expect(log.map((a) => a.attempt)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(new Set(log.map((a) => a.message_id))).toEqual(new Set([ping.body.message_id]));
    expect(log.every((a) => !a.ok)).toBe(true);
  });
});
