import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { apiClient, registerUser, type ApiClient, type TestUser } from './support/http.ts';
import { openDoc } from './support/collab.ts';
import { eventually } from './support/eventually.ts';
import { openTestDatabase, startTestServer } from './support/server.ts';
import { useTestServer } from './support/test-context.ts';

const COLLAB_ENV = { COLLAB_WRITEBACK_MS: '200' };
const ctx = useTestServer({ env: COLLAB_ENV });

let slot = 0;
async function eventFor(owner: TestUser, description = '', api: ApiClient = ctx.api) {
  slot += 1;
  const start = new Date(Date.UTC(2031, 0, 1) + slot * 3600_000 * 3).toISOString();
  const end = new Date(Date.UTC(2031, 0, 1) + slot * 3600_000 * 3 + 3600_000).toISOString();
  const res = await api.post('/api/events', {
    token: owner.access,
    body: { title: `Doc ${slot}`, description, start_time: start, end_time: end },
  });
  expect(res.status).toBe(201);
  return res.body.event.id as number;
}

async function share(owner: TestUser, eventId: number, user: TestUser, role: 'EDITOR' | 'VIEWER') {
  const res = await ctx.api.post(`/api/events/${eventId}/share`, { token: owner.access, body: { users: [{ user_id: user.id, role }] } });
  expect(res.status).toBe(200);
}

/** Opens a raw WebSocket and reports how the server answered. */
function rawConnect(url: string): Promise<{ opened: boolean; status?: number; closeCode?: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => resolve({ opened: false, status: res.statusCode }));
    ws.on('open', () => resolve({ opened: true, ws }));
    ws.on('error', () => resolve({ opened: false }));
  });
}

describe('collaborative editing', () => {
  it('lets two editors type at once; both converge and the text lands in the event and its history', async () => {
    const owner = await ctx.user('owner');
    const editor = await ctx.user('editor');
    const eventId = await eventFor(owner, 'Agenda: ');
    await share(owner, eventId, editor, 'EDITOR');
    const a = openDoc(ctx.url, eventId, owner.access);
    const b = openDoc(ctx.url, eventId, editor.access);
    try {
      await Promise.all([a.synced(), b.synced()]);
      expect(a.text.toString()).toBe('Agenda: ');
      a.text.insert(a.text.length, 'budget');
      b.text.insert(0, '[draft] ');
      await eventually(() => {
        expect(a.text.toString()).toBe(b.text.toString());
        expect(a.text.toString()).toContain('budget');
        expect(a.text.toString()).toContain('[draft] ');
      });
      const expected = a.text.toString();
      await eventually(async () => {
        const res = await ctx.api.get(`/api/events/${eventId}`, { token: owner.access });
        expect(res.body.description).toBe(expected);
      });
      const history = await ctx.api.get(`/api/events/${eventId}/history`, { token: owner.access });
      const collabVersions = history.body.filter((h: { change_reason: string | null }) =>
        h.change_reason?.startsWith('Collaborative edit'),
      );
      expect(collabVersions.length).toBeGreaterThanOrEqual(1);
      expect([owner.id, editor.id]).toContain(collabVersions[0].changed_by.id);
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it('converges with ten concurrent editors', async () => {
    const owner = await ctx.user('owner');
    const eventId = await eventFor(owner);
    const clients = Array.from({ length: 10 }, () => openDoc(ctx.url, eventId, owner.access));
    try {
      await Promise.all(clients.map((c) => c.synced()));
      clients.forEach((c, i) => {
        for (let k = 0; k < 5; k++) c.text.insert(Math.floor(c.text.length / 2), `${i}${k};`);
      });
      await eventually(() => {
        const texts = new Set(clients.map((c) => c.text.toString()));
        expect(texts.size).toBe(1);
        expect(clients[0]!.text.length).toBe(10 * 5 * 3);
      }, 15_000);
    } finally {
      for (const c of clients) c.destroy();
    }
  });

  it('drops a viewer’s updates, but the viewer still receives everyone else’s', async () => {
    const owner = await ctx.user('owner');
    const viewer = await ctx.user('viewer');
    const eventId = await eventFor(owner, 'fixed');
    await share(owner, eventId, viewer, 'VIEWER');
    const o = openDoc(ctx.url, eventId, owner.access);
    const v = openDoc(ctx.url, eventId, viewer.access);
    try {
      await Promise.all([o.synced(), v.synced()]);
      v.text.insert(0, 'HACK ');
      o.text.insert(o.text.length, ' text');
      await eventually(() => expect(v.text.toString()).toContain('fixed text'));
      // Not a wait for delivery: a while for the dropped update to show up, if it were relayed.
      await new Promise((r) => setTimeout(r, 500));
      expect(o.text.toString()).toBe('fixed text');
      await eventually(async () => {
        const res = await ctx.api.get(`/api/events/${eventId}`, { token: owner.access });
        expect(res.body.description).toBe('fixed text');
      });
    } finally {
      o.destroy();
      v.destroy();
    }
  });

  it('refuses bad tokens and strangers before sending any document data', async () => {
    const owner = await ctx.user('owner');
    const stranger = await ctx.user('stranger');
    const eventId = await eventFor(owner, 'secret');
    const base = ctx.url.replace(/^http/, 'ws') + `/collab/${eventId}`;
    expect((await rawConnect(`${base}?token=garbage`)).status).toBe(401);
    expect((await rawConnect(base)).status).toBe(401);
    expect((await rawConnect(`${base}?token=${stranger.refresh}`)).status).toBe(401);
    expect((await rawConnect(`${base}?token=${stranger.access}`)).status).toBe(404);
    expect((await rawConnect(ctx.url.replace(/^http/, 'ws') + `/collab/abc?token=${owner.access}`)).status).toBe(400);
    const ok = await rawConnect(`${base}?token=${owner.access}`);
    expect(ok.opened).toBe(true);
    ok.ws?.close();
  });

  it('disconnects a user whose access is revoked', async () => {
    const owner = await ctx.user('owner');
    const editor = await ctx.user('editor');
    const eventId = await eventFor(owner);
    await share(owner, eventId, editor, 'EDITOR');
    const connection = await rawConnect(ctx.url.replace(/^http/, 'ws') + `/collab/${eventId}?token=${editor.access}`);
    expect(connection.opened).toBe(true);
    const closed = new Promise<number>((resolve) => connection.ws!.on('close', (code) => resolve(code)));
    expect((await ctx.api.delete(`/api/events/${eventId}/permissions/${editor.id}`, { token: owner.access })).status).toBe(200);
    // The periodic re-check closes it (every 500 ms); the test's own timeout bounds the wait.
    expect(await closed).toBe(4403);
  });

  it('disconnects a user whose session logs out', async () => {
    const owner = await ctx.user('owner');
    const eventId = await eventFor(owner);
    const connection = await rawConnect(ctx.url.replace(/^http/, 'ws') + `/collab/${eventId}?token=${owner.access}`);
    const closed = new Promise<number>((resolve) => connection.ws!.on('close', (code) => resolve(code)));
    expect((await ctx.api.post('/api/auth/logout', { body: { refresh: owner.refresh } })).status).toBe(205);
    expect(await closed).toBe(4401);
  });

  it('closes only the connection that sends a malformed message', async () => {
    const owner = await ctx.user('owner');
    const eventId = await eventFor(owner, 'start');
    const good = openDoc(ctx.url, eventId, owner.access);
    const bad = await rawConnect(ctx.url.replace(/^http/, 'ws') + `/collab/${eventId}?token=${owner.access}`);
    try {
      await good.synced();
      const closed = new Promise<number>((resolve) => bad.ws!.on('close', (code) => resolve(code)));
      bad.ws!.send(Buffer.from([0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]));
      expect(await closed).toBe(1007);
      good.text.insert(good.text.length, ' still fine');
      await eventually(async () => {
        const res = await ctx.api.get(`/api/events/${eventId}`, { token: owner.access });
        expect(res.body.description).toBe('start still fine');
      });
    } finally {
      good.destroy();
    }
  });

  it('applies a REST update of the description to the open document', async () => {
    const owner = await ctx.user('owner');
    const eventId = await eventFor(owner, 'old words');
    const c = openDoc(ctx.url, eventId, owner.access);
    try {
      await c.synced();
      expect((await ctx.api.patch(`/api/events/${eventId}`, { token: owner.access, body: { description: 'new words here' } })).status).toBe(
        200,
      );
      await eventually(() => expect(c.text.toString()).toBe('new words here'));
      // No edit loop: the REST version stays the newest one (a while for a loop to show, not a wait for anything).
      await new Promise((r) => setTimeout(r, 800));
      const history = await ctx.api.get(`/api/events/${eventId}/history`, { token: owner.access });
      expect(history.body[0].change_reason).toBeNull();
      expect(history.body).toHaveLength(2);
    } finally {
      c.destroy();
    }
  });

  it('keeps what editors typed when a REST update of the description arrives before their text was saved', async () => {
    // Write-back only after 5 s, so the typing below is not in the event when the REST update lands.
    const slow = await startTestServer({ COLLAB_WRITEBACK_MS: '5000' }, ctx.server.database);
    const slowApi = apiClient(slow.url);
    const owner = await registerUser(slowApi, 'owner');
    const created = await slowApi.post('/api/events', {
      token: owner.access,
      body: { title: 'Merge', description: 'draft one', start_time: '2031-06-01T10:00:00Z', end_time: '2031-06-01T11:00:00Z' },
    });
    expect(created.status).toBe(201);
    const eventId = created.body.event.id as number;
    const a = openDoc(slow.url, eventId, owner.access);
    const b = openDoc(slow.url, eventId, owner.access);
    try {
      await Promise.all([a.synced(), b.synced()]);
      a.text.insert(a.text.length, ' two');
      await eventually(() => expect(b.text.toString()).toBe('draft one two')); // stored, not yet written back
      // A REST client that read "draft one" changes its first word.
      expect((await slowApi.patch(`/api/events/${eventId}`, { token: owner.access, body: { description: 'final one' } })).status).toBe(200);
      await eventually(() => expect(a.text.toString()).toBe('final one two'));
      await eventually(() => expect(b.text.toString()).toBe('final one two'));
      await eventually(
        async () => expect((await slowApi.get(`/api/events/${eventId}`, { token: owner.access })).body.description).toBe('final one two'),
        15_000,
      );
      const history = await slowApi.get(`/api/events/${eventId}/history`, { token: owner.access });
      expect(history.body.map((h: { change_reason: string | null }) => h.change_reason).slice(0, 2)).toEqual(['Collaborative edit', null]);
    } finally {
      a.destroy();
      b.destroy();
      await slow.stop();
    }
  });

  it('brings a REST change of the description made while the document was closed into it when it reopens', async () => {
    const owner = await ctx.user('owner');
    const eventId = await eventFor(owner, 'draft');
    const first = openDoc(ctx.url, eventId, owner.access);
    try {
      await first.synced();
      first.text.insert(first.text.length, ' one');
      await eventually(async () =>
        expect((await ctx.api.get(`/api/events/${eventId}`, { token: owner.access })).body.description).toBe('draft one'),
      );
    } finally {
      first.destroy();
    }
    // Closed (unloaded after its write-back): a title change, then a description change through REST.
    await eventually(async () => expect(ctx.server.collab.openDocuments).toBe(0));
    expect((await ctx.api.patch(`/api/events/${eventId}`, { token: owner.access, body: { title: 'Renamed' } })).status).toBe(200);
    const reopened = openDoc(ctx.url, eventId, owner.access);
    try {
      await reopened.synced();
      expect(reopened.text.toString()).toBe('draft one');
    } finally {
      reopened.destroy();
    }
    await eventually(async () => expect(ctx.server.collab.openDocuments).toBe(0));
    expect(
      (await ctx.api.patch(`/api/events/${eventId}`, { token: owner.access, body: { description: 'rewritten by REST' } })).status,
    ).toBe(200);
    const again = openDoc(ctx.url, eventId, owner.access);
    try {
      await again.synced();
      await eventually(() => expect(again.text.toString()).toBe('rewritten by REST'));
    } finally {
      again.destroy();
    }
  });

  it('sets presence from the token: a client cannot claim to be someone else', async () => {
    const owner = await ctx.user('owner');
    const editor = await ctx.user('editor');
    const eventId = await eventFor(owner);
    await share(owner, eventId, editor, 'EDITOR');
    const a = openDoc(ctx.url, eventId, owner.access);
    const b = openDoc(ctx.url, eventId, editor.access);
    try {
      await Promise.all([a.synced(), b.synced()]);
      b.provider.awareness.setLocalStateField('user', {
        id: owner.id,
        username: owner.username,
        name: owner.username,
        color: '#123456',
        colorLight: 'url(x)',
      });
      await eventually(() => {
        const states = [...a.provider.awareness.getStates().values()].map((s) => s['user']);
        // Who it is comes from the token; only a well-formed cursor colour is kept from the client.
        expect(states).toContainEqual({ id: editor.id, username: editor.username, name: editor.username, color: '#123456' });
        expect(states.filter((u) => u?.id === owner.id && u.username === owner.username)).toHaveLength(0);
      });
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it('closes a connection whose update would grow the document past its limit, with reason 1009', async () => {
    const owner = await ctx.user('owner');
    const eventId = await eventFor(owner, 'small');
    const big = openDoc(ctx.url, eventId, owner.access);
    const watcher = openDoc(ctx.url, eventId, owner.access);
    try {
      await Promise.all([big.synced(), watcher.synced()]);
      const closed = new Promise<number>((resolve) =>
        big.provider.ws?.addEventListener('close', (e) => resolve((e as { code: number }).code)),
      );
      big.text.insert(0, 'x'.repeat(100_001));
      expect(await closed).toBe(1009);
      big.provider.disconnect();
      // Not a wait for delivery: a while for the refused update to reach the watcher, if it were relayed.
      await new Promise((r) => setTimeout(r, 300));
      expect(watcher.text.toString()).toBe('small');
      const res = await ctx.api.get(`/api/events/${eventId}`, { token: owner.access });
      expect(res.body.description).toBe('small');
    } finally {
      big.destroy();
      watcher.destroy();
    }
  });

  it('keeps the text across a server restart', async () => {
    // A server of its own on a database of its own, so the suite's server stays up while this one restarts.
    const database = await openTestDatabase();
    const env = { ...COLLAB_ENV, JWT_SECRET: randomBytes(32).toString('hex') };
    let server = await startTestServer(env, database);
    try {
      const api = apiClient(server.url);
      const owner = await registerUser(api, 'owner');
      const eventId = await eventFor(owner, '', api);
      const c = openDoc(server.url, eventId, owner.access);
      await c.synced();
      c.text.insert(0, 'survives restarts');
      await eventually(async () => {
        const rows = await database.db.selectFrom('collab_updates').select('id').where('event_id', '=', eventId).execute();
        expect(rows.length).toBeGreaterThan(0);
      });
      c.destroy();
      await server.stop();
      // The same signing key, so the owner's token is still good.
      server = await startTestServer(env, database);
      const again = openDoc(server.url, eventId, owner.access);
      try {
        await again.synced();
        expect(again.text.toString()).toBe('survives restarts');
      } finally {
        again.destroy();
      }
    } finally {
      await server.stop();
      await database.close();
    }
  });
});
