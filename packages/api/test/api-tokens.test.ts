import { createHash } from 'node:crypto';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { AppRouter } from '../src/index.ts';
import { eventually, openDoc } from './support/collab.ts';
import { freeSlot } from './support/events.ts';
import { errorBody, type ApiResponse, type TestUser } from './support/http.ts';
import { restStream, sseSubscriber, wsSubscriber } from './support/live.ts';
import { tryUpgrade } from './support/raw.ts';
import { useTestServer } from './support/test-context.ts';

// Uses are written every 200 ms here, so the flush can be watched; the second suite below never flushes by itself.
const ctx = useTestServer({ env: { API_TOKEN_USAGE_FLUSH_MS: '200' } });
const { api } = ctx;

interface CreatedToken {
  id: number;
  token: string;
  [key: string]: unknown;
}

async function newToken(user: TestUser, body: Record<string, unknown> = {}): Promise<CreatedToken> {
  const res = await api.post('/api/tokens', { token: user.access, body: { name: 'script', access: 'write', ...body } });
  if (res.status !== 201) throw new Error(`token creation failed: ${res.status} ${res.text}`);
  return res.body as CreatedToken;
}

function trpcWith(token: string) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${ctx.url}/trpc`, headers: () => ({ authorization: `Bearer ${token}` }) })],
  });
}

async function trpcStatus(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    if (error instanceof TRPCClientError) return (error.data as { httpStatus: number }).httpStatus;
    throw error;
  }
}

const ids = (res: ApiResponse) => (res.body.results as Array<{ id: number }>).map((e) => e.id);

describe('creating, listing and revoking', () => {
  it('shows the token once, lists it without the token, and stores only its SHA-256', async () => {
    const user = await ctx.user('maker');
    const res = await api.post('/api/tokens', { token: user.access, body: { name: 'Nightly export', access: 'read' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Nightly export',
      access: 'read',
      tags: null,
      event_ids: null,
      expires_at: null,
      last_used_at: null,
    });
    expect(res.body.token).toMatch(/^evt_[A-Za-z0-9_-]{43}$/);
    expect(res.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const listed = await api.get('/api/tokens', { token: user.access });
    expect(listed.status).toBe(200);
    expect(listed.body).toHaveLength(1);
    expect(listed.body[0]).toEqual({ ...res.body, token: undefined });
    expect(listed.text).not.toContain(res.body.token);

    const rows = await sql<Record<string, unknown>>`select * from api_tokens where id = ${res.body.id}`.execute(ctx.server.database.db);
    expect(rows.rows).toHaveLength(1);
    const row = rows.rows[0]!;
    expect(row['token_hash']).toBe(createHash('sha256').update(res.body.token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(res.body.token.slice(4));
  });

  it('refuses bad input with 400 and the field named', async () => {
    const user = await ctx.user('picky');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'x', access: 'read', expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
      [{ name: 'x', access: 'admin' }, 'access'],
      [{ name: '', access: 'read' }, 'name'],
      [{ name: 'x'.repeat(101), access: 'read' }, 'name'],
      [{ name: 'x', access: 'read', scopes: ['all'] }, '(body)'],
      [{ name: 'x', access: 'read', event_ids: [] }, 'event_ids'],
      [{ name: 'x', access: 'read', event_ids: ['one'] }, 'event_ids.0'],
      [{ access: 'read' }, 'name'],
    ];
    for (const [body, path] of cases) {
      const res = await api.post('/api/tokens', { token: user.access, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = errorBody(res);
      expect(error.code).toBe('VALIDATION_ERROR');
      if (path !== '(body)') expect(error.details?.map((d) => d.path)).toContain(path);
    }
    expect((await api.get('/api/tokens', { token: user.access })).body).toEqual([]);
  });

  it('allows at most 50 active tokens per user', async () => {
    const user = await ctx.user('hoarder');
    // 49 written directly (the API path is what is under test for the last ones).
    await sql`insert into api_tokens (user_id, name, token_hash, access)
      select ${user.id}, 'bulk ' || n, md5(${user.username} || n) || md5(n::text), 'read' from generate_series(1, 49) n`.execute(
      ctx.server.database.db,
    );
    const fiftieth = await newToken(user);
    const over = await api.post('/api/tokens', { token: user.access, body: { name: 'one more', access: 'read' } });
    expect(over.status).toBe(409);
    expect(errorBody(over).error).toMatch(/50 active API tokens.*revoke one/);
    expect((await api.delete(`/api/tokens/${fiftieth.id}`, { token: user.access })).status).toBe(200);
    expect((await api.post('/api/tokens', { token: user.access, body: { name: 'again', access: 'read' } })).status).toBe(201);
  });

  it('revokes with 200, refuses the token at once, and hides others’ tokens (404)', async () => {
    const [user, other] = await Promise.all([ctx.user('revoker'), ctx.user('other')]);
    const created = await newToken(user);
    expect((await api.get('/api/auth/me', { token: created.token })).status).toBe(200);
    expect((await api.delete(`/api/tokens/${created.id}`, { token: other.access })).status).toBe(404);
    const revoked = await api.delete(`/api/tokens/${created.id}`, { token: user.access });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ message: 'Token revoked' });
    const refused = await api.get('/api/auth/me', { token: created.token });
    expect(refused.status).toBe(401);
    expect(errorBody(refused).error).toMatch(/revoked/);
    expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expect((await api.delete(`/api/tokens/${created.id}`, { token: user.access })).status).toBe(404);
    expect((await api.get('/api/tokens', { token: user.access })).body).toEqual([]);
    const audit = await api.get('/api/audit?page_size=100', { token: user.access });
    const actions = (audit.body.results as Array<{ action: string; target_id: string }>).filter((a) => a.target_id === String(created.id));
    expect(actions.map((a) => a.action).sort()).toEqual(['token.create', 'token.revoke']);
  });

  it('does not let a request made with an API token manage tokens (403)', async () => {
    const user = await ctx.user('scripted');
    const created = await newToken(user);
    const create = await api.post('/api/tokens', { token: created.token, body: { name: 'child', access: 'write' } });
    expect(create.status).toBe(403);
    expect(errorBody(create).error).toMatch(/API tokens cannot manage API tokens/);
    expect((await api.get('/api/tokens', { token: created.token })).status).toBe(403);
    expect((await api.delete(`/api/tokens/${created.id}`, { token: created.token })).status).toBe(403);
    expect(await trpcStatus(trpcWith(created.token).tokens.list.query({}))).toBe(403);
    expect((await api.get('/api/auth/me', { token: created.token })).status).toBe(200);
  });

  it('refuses an expired token with a 401 that says so', async () => {
    const user = await ctx.user('brief');
    const created = await newToken(user, { expires_at: new Date(Date.now() + 4000).toISOString() });
    expect((await api.get('/api/auth/me', { token: created.token })).status).toBe(200);
    const refused = await eventually(
      async () => {
        const res = await api.get('/api/auth/me', { token: created.token });
        expect(res.status).toBe(401);
        return res;
      },
      { timeout: 20_000, interval: 250 },
    );
    expect(errorBody(refused).error).toMatch(/expired/);
  });

  it('refuses unknown and mangled tokens with 401', async () => {
    const user = await ctx.user('mangler');
    const created = await newToken(user);
    for (const token of [`${created.token.slice(0, -1)}${created.token.endsWith('A') ? 'B' : 'A'}`, 'evt_short', `${created.token}x`]) {
      const res = await api.get('/api/auth/me', { token });
      expect(res.status).toBe(401);
      expect(errorBody(res).error).toMatch(/API token is not valid/);
    }
  });
});

describe('a read token', () => {
  it('reads everything its user may and gets 403 on every write, over REST and tRPC', async () => {
    const [owner, friend] = await Promise.all([ctx.user('owner'), ctx.user('friend')]);
    const event = await ctx.event(owner, { title: 'Readable', is_recurring: true, recurrence_pattern: 'weekly' });
    await ctx.event(owner, { title: 'Second' });
    const { token } = await newToken(owner, { access: 'read' });
    const history = await api.get(`/api/events/${event.id}/history`, { token: owner.access });

    for (const path of [
      `/api/events/${event.id}`,
      `/api/events/${event.id}/occurrences`,
      `/api/events/${event.id}/permissions`,
      `/api/events/${event.id}/history`,
      `/api/events/${event.id}/changelog`,
      '/api/events',
      '/api/sync',
      `/api/events?as_of=${encodeURIComponent(new Date().toISOString())}`,
    ]) {
      expect((await api.get(path, { token })).status, path).toBe(200);
    }
    expect((await api.get(`/api/events/${event.id}`, { token })).body.my_role).toBe('OWNER');

    const writes: Array<[string, () => Promise<ApiResponse>]> = [
      ['create', () => api.post('/api/events', { token, body: { title: 'new', ...freeSlot() } })],
      ['batch', () => api.post('/api/events/batch', { token, body: { events: [{ title: 'b', ...freeSlot() }] } })],
      ['put', () => api.put(`/api/events/${event.id}`, { token, body: { title: 'renamed' } })],
      ['patch', () => api.patch(`/api/events/${event.id}`, { token, body: { description: 'patched' } })],
      ['share', () => api.post(`/api/events/${event.id}/share`, { token, body: { user_id: friend.id, role: 'VIEWER' } })],
      ['rollback', () => api.post(`/api/events/${event.id}/rollback/${history.body[0].version_id}`, { token })],
      ['delete', () => api.delete(`/api/events/${event.id}`, { token })],
    ];
    for (const [name, write] of writes) {
      const res = await write();
      expect(res.status, name).toBe(403);
      expect(errorBody(res).error, name).toBe('This API token has read access only');
    }
    await ctx.share(owner, event.id, friend, 'VIEWER');
    expect((await api.put(`/api/events/${event.id}/permissions/${friend.id}`, { token, body: { role: 'EDITOR' } })).status).toBe(403);
    expect((await api.delete(`/api/events/${event.id}/permissions/${friend.id}`, { token })).status).toBe(403);

    const client = trpcWith(token);
    expect((await client.events.get.query({ id: event.id })).title).toBe('Readable');
    expect(await trpcStatus(client.events.update.mutate({ id: event.id, title: 'over tRPC' }))).toBe(403);
    expect(await trpcStatus(client.events.create.mutate({ title: 'over tRPC', ...freeSlot() }))).toBe(403);

    const after = await api.get(`/api/events/${event.id}`, { token: owner.access });
    expect(after.body).toMatchObject({ title: 'Readable', description: '', version: event.version });
    expect(after.body.permissions.map((p: { user_id: number; role: string }) => [p.user_id, p.role])).toContainEqual([friend.id, 'VIEWER']);
  });

  it('joins collaborative editing read-only: its edits are dropped, a write token’s land', async () => {
    const owner = await ctx.user('owner');
    const event = await ctx.event(owner, { title: 'Doc', description: 'base' });
    const reader = openDoc(ctx.url, event.id, (await newToken(owner, { access: 'read' })).token);
    const writer = openDoc(ctx.url, event.id, (await newToken(owner, { access: 'write' })).token);
    try {
      await Promise.all([reader.synced(), writer.synced()]);
      reader.text.insert(0, 'HACK ');
      writer.text.insert(writer.text.length, ' text');
      await eventually(() => expect(reader.text.toString()).toContain('base text'));
      // Not a wait for delivery: a while for the dropped update to show up, if it were relayed.
      await new Promise((r) => setTimeout(r, 500));
      expect(writer.text.toString()).toBe('base text');
      await eventually(async () =>
        expect((await api.get(`/api/events/${event.id}`, { token: owner.access })).body.description).toBe('base text'),
      );
    } finally {
      reader.destroy();
      writer.destroy();
    }
  });
});

describe('a token never exceeds its user', () => {
  it('a viewer’s write token cannot edit; a token naming an event its user cannot see gets 404', async () => {
    const [owner, viewer] = await Promise.all([ctx.user('owner'), ctx.user('viewer')]);
    const shared = await ctx.event(owner, { title: 'Shared' });
    const hidden = await ctx.event(owner, { title: 'Hidden' });
    await ctx.share(owner, shared.id, viewer, 'VIEWER');
    const { token } = await newToken(viewer, { access: 'write', event_ids: [shared.id, hidden.id] });
    expect((await api.get(`/api/events/${shared.id}`, { token })).status).toBe(200);
    const put = await api.put(`/api/events/${shared.id}`, { token, body: { title: 'mine now' } });
    expect(put.status).toBe(403);
    expect(errorBody(put).error).toMatch(/Your role \(VIEWER\)/);
    expect((await api.get(`/api/events/${hidden.id}`, { token })).status).toBe(404);
    expect(ids(await api.get('/api/events?page_size=100', { token }))).toEqual([shared.id]);
  });

  it('loses what its user loses', async () => {
    const [owner, editor] = await Promise.all([ctx.user('owner'), ctx.user('editor')]);
    const event = await ctx.event(owner);
    await ctx.share(owner, event.id, editor, 'EDITOR');
    const { token } = await newToken(editor);
    expect((await api.patch(`/api/events/${event.id}`, { token, body: { description: 'by token' } })).status).toBe(200);
    expect((await api.delete(`/api/events/${event.id}/permissions/${editor.id}`, { token: owner.access })).status).toBe(200);
    expect((await api.get(`/api/events/${event.id}`, { token })).status).toBe(404);
  });
});

describe('a token scoped to event_ids', () => {
  it('sees only its events: others 404, listing, sync, as_of and history filtered', async () => {
    const owner = await ctx.user('owner');
    const inside = await ctx.event(owner, { title: 'Inside' });
    const outside = await ctx.event(owner, { title: 'Outside' });
    const { token } = await newToken(owner, { access: 'write', event_ids: [inside.id] });

    expect((await api.get(`/api/events/${inside.id}`, { token })).status).toBe(200);
    for (const path of [
      `/api/events/${outside.id}`,
      `/api/events/${outside.id}/history`,
      `/api/events/${outside.id}/occurrences`,
      `/api/events/${outside.id}/permissions`,
      `/api/events/${outside.id}?as_of=${encodeURIComponent(new Date().toISOString())}`,
    ]) {
      const res = await api.get(path, { token });
      expect(res.status, path).toBe(404);
    }
    const put = await api.put(`/api/events/${outside.id}`, { token, body: { title: 'x' } });
    expect(put.status).toBe(404);
    expect((await api.delete(`/api/events/${outside.id}`, { token })).status).toBe(404);
    expect((await api.patch(`/api/events/${inside.id}`, { token, body: { title: 'Inside, edited' } })).status).toBe(200);

    // The user's own page first: a cached page of the user must not answer the token.
    expect(ids(await api.get('/api/events?page_size=100', { token: owner.access })).sort()).toEqual([inside.id, outside.id].sort());
    expect(ids(await api.get('/api/events?page_size=100', { token }))).toEqual([inside.id]);
    const asOf = await api.get(`/api/events?page_size=100&as_of=${encodeURIComponent(new Date(Date.now() + 1000).toISOString())}`, {
      token,
    });
    expect(ids(asOf)).toEqual([inside.id]);

    const snapshot = await api.get('/api/sync', { token });
    expect(snapshot.body.changes.map((c: { event_id: number }) => c.event_id)).toEqual([inside.id]);
    await api.patch(`/api/events/${outside.id}`, { token: owner.access, body: { title: 'Outside, edited' } });
    await api.patch(`/api/events/${inside.id}`, { token: owner.access, body: { title: 'Inside, again' } });
    const since = await api.get(`/api/sync?cursor=${snapshot.body.next_cursor}`, { token });
    expect(since.body.changes.map((c: { event_id: number; type: string }) => [c.event_id, c.type])).toEqual([[inside.id, 'upsert']]);
  });

  it('cannot create events (403)', async () => {
    const owner = await ctx.user('owner');
    const event = await ctx.event(owner);
    const { token } = await newToken(owner, { event_ids: [event.id] });
    const res = await api.post('/api/events', { token, body: { title: 'new', ...freeSlot() } });
    expect(res.status).toBe(403);
    expect(errorBody(res).error).toMatch(/limited to some events/);
  });

  it('hears live only about its events, over the REST stream, tRPC WebSocket and SSE', async () => {
    const owner = await ctx.user('owner');
    const inside = await ctx.event(owner, { title: 'Inside' });
    const outside = await ctx.event(owner, { title: 'Outside' });
    const { token } = await newToken(owner, { access: 'read', event_ids: [inside.id] });
    const rest = restStream(ctx.url, token);
    const ws = wsSubscriber(ctx.url, token);
    const sse = sseSubscriber(ctx.url, token);
    const refused = await api.get(`/api/events/stream?event_id=${outside.id}`, { token });
    expect(refused.status).toBe(404);
    try {
      await Promise.all([rest.ready, ws.ready, sse.ready]);
      await api.patch(`/api/events/${outside.id}`, { token: owner.access, body: { title: 'Outside, edited' } });
      await api.patch(`/api/events/${inside.id}`, { token: owner.access, body: { title: 'Inside, edited' } });
      for (const inbox of [rest.inbox, ws.inbox, sse.inbox]) {
        await inbox.waitFor((i) => i.messages.some((m) => m.event_id === inside.id));
        expect(inbox.messages.map((m) => [m.type, m.event_id])).toEqual([['event.updated', inside.id]]);
      }
    } finally {
      rest.close();
      sse.close();
      await ws.close();
    }
  });
});

describe('a token scoped to tags', () => {
  it('sees only events carrying one of its tags, as they are now', async () => {
    const owner = await ctx.user('owner');
    const ops = await ctx.event(owner, { title: 'Ops', tags: ['ops', 'weekly'] });
    const oncall = await ctx.event(owner, { title: 'On call', tags: ['OnCall'] });
    const other = await ctx.event(owner, { title: 'Other', tags: ['home'] });
    const plain = await ctx.event(owner, { title: 'Plain' });
    const created = await api.post('/api/tokens', {
      token: owner.access,
      body: { name: 'ops bot', access: 'write', tags: [' Ops ', 'oncall', 'ops'] },
    });
    expect(created.status).toBe(201);
    expect(created.body.tags).toEqual(['ops', 'oncall']);
    const { token } = created.body as CreatedToken;

    expect(ids(await api.get('/api/events?page_size=100', { token: owner.access })).sort()).toEqual(
      [ops.id, oncall.id, other.id, plain.id].sort(),
    );
    expect(ids(await api.get('/api/events?page_size=100', { token })).sort()).toEqual([ops.id, oncall.id].sort());
    expect((await api.get(`/api/events/${ops.id}`, { token })).status).toBe(200);
    expect((await api.get(`/api/events/${other.id}`, { token })).status).toBe(404);
    expect((await api.get(`/api/events/${plain.id}/history`, { token })).status).toBe(404);
    const tags = await api.get('/api/tags', { token });
    expect((tags.body as Array<{ tag: string }>).map((t) => t.tag).sort()).toEqual(['oncall', 'ops', 'weekly']);
    const snapshot = await api.get('/api/sync', { token });
    expect(snapshot.body.changes.map((c: { event_id: number }) => c.event_id).sort()).toEqual([ops.id, oncall.id].sort());

    // Retagged by its owner: the event leaves the token's scope at once.
    expect((await api.patch(`/api/events/${oncall.id}`, { token: owner.access, body: { tags: ['home'] } })).status).toBe(200);
    expect((await api.get(`/api/events/${oncall.id}`, { token })).status).toBe(404);
    expect(ids(await api.get('/api/events?page_size=100', { token }))).toEqual([ops.id]);
  });

  it('creates only events carrying one of its tags', async () => {
    const owner = await ctx.user('owner');
    const { token } = await newToken(owner, { tags: ['ops'] });
    const untagged = await api.post('/api/events', { token, body: { title: 'untagged', ...freeSlot() } });
    expect(untagged.status).toBe(403);
    expect(errorBody(untagged).error).toMatch(/tagged ops/);
    const batch = await api.post('/api/events/batch', {
      token,
      body: {
        events: [
          { title: 'ok', tags: ['ops'], ...freeSlot() },
          { title: 'not', ...freeSlot() },
        ],
      },
    });
    expect(batch.status).toBe(403);
    const tagged = await api.post('/api/events', { token, body: { title: 'tagged', tags: ['ops'], ...freeSlot() } });
    expect(tagged.status).toBe(201);
    expect((await api.get(`/api/events/${tagged.body.event.id}`, { token })).status).toBe(200);
    expect(ids(await api.get('/api/events?page_size=100', { token: owner.access }))).toEqual([tagged.body.event.id]);
  });

  it('hears live only about events carrying its tags', async () => {
    const owner = await ctx.user('owner');
    const inside = await ctx.event(owner, { title: 'Inside', tags: ['ops'] });
    const outside = await ctx.event(owner, { title: 'Outside', tags: ['home'] });
    const { token } = await newToken(owner, { access: 'read', tags: ['ops'] });
    const rest = restStream(ctx.url, token);
    try {
      await rest.ready;
      await api.patch(`/api/events/${outside.id}`, { token: owner.access, body: { title: 'Outside, edited' } });
      await api.patch(`/api/events/${inside.id}`, { token: owner.access, body: { title: 'Inside, edited' } });
      await rest.inbox.waitFor((i) => i.messages.some((m) => m.event_id === inside.id));
      expect(rest.inbox.messages.map((m) => [m.type, m.event_id])).toEqual([['event.updated', inside.id]]);
    } finally {
      rest.close();
    }
  });

  it('refuses malformed tags with 400', async () => {
    const owner = await ctx.user('owner');
    for (const tags of [[], ['has space'], ['x'.repeat(41)]]) {
      const res = await api.post('/api/tokens', { token: owner.access, body: { name: 'bad', access: 'read', tags } });
      expect(res.status, JSON.stringify(tags)).toBe(400);
      expect(errorBody(res).details?.[0]?.path).toMatch(/^tags/);
    }
  });
});

describe('revocation ends long-lived connections', () => {
  it('ends a tRPC WebSocket subscription and the REST event stream', async () => {
    const owner = await ctx.user('owner');
    const created = await newToken(owner, { access: 'read' });
    const rest = restStream(ctx.url, created.token);
    const ws = wsSubscriber(ctx.url, created.token);
    try {
      await Promise.all([rest.ready, ws.ready]);
      expect((await api.delete(`/api/tokens/${created.id}`, { token: owner.access })).status).toBe(200);
      await eventually(() => expect(ws.inbox.closedWith ?? ws.inbox.errors.length).toBeTruthy());
      await eventually(() => expect(rest.inbox.errors.length).toBeGreaterThan(0));
      expect((await tryUpgrade(`${ctx.url.replace(/^http/, 'ws')}/collab/1?token=${created.token}`)) as { status: number }).toMatchObject({
        status: 401,
      });
    } finally {
      rest.close();
      await ws.close();
    }
  });
});

describe('last_used_at', () => {
  it('is written by the periodic flush after the token is used', async () => {
    const user = await ctx.user('user');
    const created = await newToken(user);
    const before = Date.now();
    expect((await api.get('/api/auth/me', { token: created.token })).status).toBe(200);
    await eventually(async () => {
      const { rows } = await sql<{ last_used_at: Date | null }>`select last_used_at from api_tokens where id = ${created.id}`.execute(
        ctx.server.database.db,
      );
      expect(rows[0]?.last_used_at?.getTime()).toBeGreaterThanOrEqual(before - 1000);
    });
  });
});

describe('last_used_at without a write per request', () => {
  const quiet = useTestServer({ env: { API_TOKEN_USAGE_FLUSH_MS: '600000' } });

  it('keeps uses in memory (the listing shows them) and writes them once, on flush', async () => {
    const user = await quiet.user('user');
    const res = await quiet.api.post('/api/tokens', { token: user.access, body: { name: 'busy', access: 'read' } });
    const { id, token } = res.body as CreatedToken;
    const read = async () =>
      (await sql<{ last_used_at: Date | null }>`select last_used_at from api_tokens where id = ${id}`.execute(quiet.server.database.db))
        .rows[0]!.last_used_at;
    for (let i = 0; i < 5; i++) expect((await quiet.api.get('/api/events', { token })).status).toBe(200);
    expect(await read()).toBeNull();
    const listed = await quiet.api.get('/api/tokens', { token: user.access });
    expect(listed.body[0].last_used_at).toMatch(/Z$/);

    await quiet.server.deps.apiTokens.flush();
    const written = await read();
    expect(written).toBeInstanceOf(Date);
    expect(new Date(listed.body[0].last_used_at).getTime()).toBeLessThanOrEqual(written!.getTime());
    // Nothing used since: another flush writes nothing.
    await quiet.server.deps.apiTokens.flush();
    expect((await read())!.getTime()).toBe(written!.getTime());
  });
});
