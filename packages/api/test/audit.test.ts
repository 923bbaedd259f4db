import { describe, expect, it } from 'vitest';
import { apiClient, errorBody, uniqueName, type ApiResponse, type TestUser } from './support/http.ts';
import { startTestServer } from './support/server.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOOPBACK = /^(::ffff:)?127\.0\.0\.1$|^::1$/;

type AuditRow = {
  id: number;
  action: string;
  target_type: string | null;
  target_id: string | null;
  at: string;
  request_id: string | null;
  ip: string | null;
};
type AuditPage = { results: AuditRow[]; count: number; num_pages: number; current_page: number };

async function auditPage(user: TestUser, query = 'page_size=100'): Promise<AuditPage> {
  const res = await api.get(`/api/audit?${query}`, { token: user.access });
  expect(res.status, res.text).toBe(200);
  return res.body;
}
/** The caller's whole trail, oldest first. */
async function trail(user: TestUser): Promise<AuditRow[]> {
  return (await auditPage(user)).results.reverse();
}
const actions = async (user: TestUser) => (await trail(user)).map((r) => r.action);
const count = async (user: TestUser) => (await auditPage(user, 'page_size=1')).count;

function expectStatus(res: ApiResponse, status: number, code?: string) {
  expect(res.status, res.text).toBe(status);
  if (code) expect(errorBody(res).code).toBe(code);
}

describe('audit entries', () => {
  it('records a registration with the exact row shape', async () => {
    const username = uniqueName('auditreg');
    const before = Date.now();
    const res = await api.post('/api/auth/register', {
      body: { username, email: `${username}@example.com`, password: 'correct-horse-battery' },
      headers: { 'x-request-id': 'reg-trace-1' },
    });
    expect(res.status).toBe(201);
    const user = { ...res.body.user, access: res.body.access } as TestUser;
    const page = await auditPage(user);
    expect(page).toEqual({
      results: [
        {
          id: expect.any(Number),
          action: 'register',
          target_type: 'user',
          target_id: String(user.id),
          at: expect.stringMatching(RFC3339),
          request_id: 'reg-trace-1',
          ip: expect.stringMatching(LOOPBACK),
        },
      ],
      count: 1,
      num_pages: 1,
      current_page: 1,
    });
    const at = Date.parse(page.results[0]!.at);
    expect(at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 5000);
    expect(at).toBeLessThanOrEqual(Date.now() + 5000);
    // Reading the trail writes nothing.
    expect((await auditPage(user)).count).toBe(1);
  });

  it('records logins, failed logins on the account tried, refreshes and logouts', async () => {
    const user = await ctx.user('auditauth');
    const other = await ctx.user('auditother');
    expectStatus(await api.post('/api/auth/login', { body: { username: user.username, password: 'wrong-password' } }), 401, 'UNAUTHORIZED');
    expectStatus(
      await api.post('/api/auth/login', { body: { username: user.email.toUpperCase(), password: 'also-wrong' } }),
      401,
      'UNAUTHORIZED',
    );
    // A failed login for a name nobody has is nobody's entry.
    expectStatus(
      await api.post('/api/auth/login', { body: { username: uniqueName('nobody'), password: 'whatever1' } }),
      401,
      'UNAUTHORIZED',
    );
    const login = await api.post('/api/auth/login', {
      body: { username: user.email, password: user.password },
      headers: { 'x-request-id': 'login-1' },
    });
    expect(login.status).toBe(200);
    const form = await api.post('/api/auth/login', {
      raw: new URLSearchParams({ grant_type: 'password', username: user.username, password: user.password }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(200);
    const refreshed = await api.post('/api/auth/refresh', { body: { refresh: login.body.refresh } });
    expect(refreshed.status).toBe(200);
    const logout = await api.post('/api/auth/logout', { body: { refresh: refreshed.body.refresh } });
    expect(logout.status).toBe(205);

    const rows = await trail(user);
    expect(rows.map((r) => [r.action, r.target_type])).toEqual([
      ['register', 'user'],
      ['login_failed', 'user'],
      ['login_failed', 'user'],
      ['login', 'user'],
      ['login', 'user'],
      ['refresh', 'session'],
      ['logout', 'session'],
    ]);
    for (const row of rows.slice(0, 5)) expect(row.target_id).toBe(String(user.id));
    expect(rows[3]!.request_id).toBe('login-1');
    // The refresh and the logout name the session the first login opened.
    const [refreshRow, logoutRow] = rows.slice(5);
    expect(refreshRow!.target_id).toMatch(UUID);
    expect(logoutRow!.target_id).toBe(refreshRow!.target_id);
    for (const row of rows) {
      expect(row.ip).toMatch(LOOPBACK);
      expect(row.at).toMatch(RFC3339);
    }
    expect(await actions(other)).toEqual(['register']);
  });

  it('records every event action with its target', async () => {
    const owner = await ctx.user('auditev');
    const friend = await ctx.user('auditfr');
    const event = await ctx.event(owner, { title: 'audited' });
    expect((await api.put(`/api/events/${event.id}`, { token: owner.access, body: { title: 'audited 2' } })).status).toBe(200);
    await ctx.share(owner, event.id, friend, 'VIEWER');
    expect(
      (await api.put(`/api/events/${event.id}/permissions/${friend.id}`, { token: owner.access, body: { role: 'EDITOR' } })).status,
    ).toBe(200);
    expect((await api.delete(`/api/events/${event.id}/permissions/${friend.id}`, { token: owner.access })).status).toBe(200);
    const v1 = (await api.get(`/api/events/${event.id}/history`, { token: owner.access })).body.at(-1).version_id;
    expect((await api.post(`/api/events/${event.id}/rollback/${v1}`, { token: owner.access })).status).toBe(200);
    const batch = await api.post('/api/events/batch', {
      token: owner.access,
      body: [
        { title: 'b1', start_time: '2071-01-01T00:00:00Z', end_time: '2071-01-01T01:00:00Z' },
        { title: 'b2', start_time: '2071-01-02T00:00:00Z', end_time: '2071-01-02T01:00:00Z' },
        { title: 'b3', start_time: '2071-01-03T00:00:00Z', end_time: '2071-01-03T01:00:00Z' },
      ],
    });
    expect(batch.status).toBe(201);
    const batchIds = batch.body.created_events.map((e: { id: number }) => e.id);
    expect((await api.delete(`/api/events/${event.id}`, { token: owner.access })).status).toBe(200);

    const id = String(event.id);
    expect((await trail(owner)).map((r) => [r.action, r.target_type, r.target_id])).toEqual([
      ['register', 'user', String(owner.id)],
      ['event.create', 'event', id],
      ['event.update', 'event', id],
      ['share', 'event', id],
      ['permission.update', 'event', id],
      ['permission.remove', 'event', id],
      ['rollback', 'event', id],
      ['event.batch', 'event', `${batchIds[0]}..${batchIds[2]}`],
      ['event.delete', 'event', id],
    ]);
    // The friend's trail holds only the friend's own actions.
    expect(await actions(friend)).toEqual(['register']);
  });

  it('files each action under the user who did it', async () => {
    const owner = await ctx.user('whoowner');
    const editor = await ctx.user('whoeditor');
    const viewer = await ctx.user('whoviewer');
    const event = await ctx.event(owner);
    await ctx.share(owner, event.id, editor, 'EDITOR');
    await ctx.share(owner, event.id, viewer, 'VIEWER');
    expect((await api.patch(`/api/events/${event.id}`, { token: editor.access, body: { title: 'edited by the editor' } })).status).toBe(
      200,
    );
    const v1 = (await api.get(`/api/events/${event.id}/history`, { token: editor.access })).body.at(-1).version_id;
    expect((await api.post(`/api/events/${event.id}/rollback/${v1}`, { token: editor.access })).status).toBe(200);
    // Leaving an event is the leaver's own action.
    expect((await api.delete(`/api/events/${event.id}/permissions/${viewer.id}`, { token: viewer.access })).status).toBe(200);

    expect(await actions(owner)).toEqual(['register', 'event.create', 'share', 'share']);
    expect((await trail(editor)).map((r) => [r.action, r.target_id])).toEqual([
      ['register', String(editor.id)],
      ['event.update', String(event.id)],
      ['rollback', String(event.id)],
    ]);
    expect((await trail(viewer)).map((r) => [r.action, r.target_id])).toEqual([
      ['register', String(viewer.id)],
      ['permission.remove', String(event.id)],
    ]);
  });

  it('writes nothing for actions that fail', async () => {
    const owner = await ctx.user('failowner');
    const editor = await ctx.user('faileditor');
    const viewer = await ctx.user('failviewer');
    const stranger = await ctx.user('failstranger');
    const event = await ctx.event(owner, { start_time: '2072-02-01T10:00:00Z', end_time: '2072-02-01T11:00:00Z' });
    await ctx.event(owner, { title: 'neighbour', start_time: '2072-02-02T10:00:00Z', end_time: '2072-02-02T11:00:00Z' });
    await api.patch(`/api/events/${event.id}`, {
      token: owner.access,
      body: { start_time: '2072-02-03T10:00:00Z', end_time: '2072-02-03T11:00:00Z' },
    });
    // Its first slot is taken after it moved, so rolling back to version 1 clashes.
    await ctx.event(owner, { title: 'squatter', start_time: '2072-02-01T10:30:00Z', end_time: '2072-02-01T11:30:00Z' });
    await ctx.share(owner, event.id, editor, 'EDITOR');
    await ctx.share(owner, event.id, viewer, 'VIEWER');
    const [v1, v2] = (await api.get(`/api/events/${event.id}/history`, { token: owner.access })).body
      .map((h: { version_id: number }) => h.version_id)
      .reverse();
    // A session of its own for the refresh-token reuse below, so the owner's token stays valid.
    const login = await api.post('/api/auth/login', { body: { username: owner.username, password: owner.password } });
    const rotated = await api.post('/api/auth/refresh', { body: { refresh: login.body.refresh } });
    expect(rotated.status).toBe(200);

    const users = { owner, editor, viewer, stranger };
    const before = Object.fromEntries(await Promise.all(Object.entries(users).map(async ([k, u]) => [k, await count(u)] as const)));
    const e = `/api/events/${event.id}`;
    const slot = { start_time: '2072-02-03T10:30:00Z', end_time: '2072-02-03T11:30:00Z' };

    // The owner's failures.
    expectStatus(
      await api.put(e, { token: owner.access, headers: { 'if-match': '"9"' }, body: { title: 'x' } }),
      412,
      'PRECONDITION_FAILED',
    );
    expectStatus(await api.patch(e, { token: owner.access, body: { title: 'x', version: 1 } }), 412, 'PRECONDITION_FAILED');
    expectStatus(await api.patch(e, { token: owner.access, body: { end_time: '2000-01-01T00:00:00Z' } }), 400, 'VALIDATION_ERROR');
    expectStatus(
      await api.patch(e, { token: owner.access, body: { start_time: '2072-02-02T10:30:00Z', end_time: '2072-02-02T11:30:00Z' } }),
      409,
      'EVENT_CONFLICT',
    );
    expectStatus(await api.post('/api/events', { token: owner.access, body: { title: 'clash', ...slot } }), 409, 'EVENT_CONFLICT');
    expectStatus(await api.post('/api/events', { token: owner.access, body: { title: '' } }), 400, 'VALIDATION_ERROR');
    expectStatus(
      await api.post('/api/events/batch', {
        token: owner.access,
        body: [{ title: 'ok', start_time: '2072-03-01T10:00:00Z', end_time: '2072-03-01T11:00:00Z' }, { title: '' }],
      }),
      400,
    );
    expectStatus(await api.post('/api/events/batch', { token: owner.access, body: [{ title: 'clash', ...slot }] }), 409);
    expectStatus(
      await api.post(`${e}/rollback/${v1}`, { token: owner.access, headers: { 'if-match': '"1"' } }),
      412,
      'PRECONDITION_FAILED',
    );
    expectStatus(await api.post(`${e}/rollback/${v1}`, { token: owner.access }), 409, 'EVENT_CONFLICT');
    expectStatus(await api.post(`${e}/rollback/2000000000`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(
      await api.post(`${e}/share`, { token: owner.access, body: { users: [{ user_id: owner.id, role: 'VIEWER' }] } }),
      400,
      'VALIDATION_ERROR',
    );
    expectStatus(
      await api.post(`${e}/share`, { token: owner.access, body: { users: [{ user_id: 2_000_000_000, role: 'VIEWER' }] } }),
      404,
      'NOT_FOUND',
    );
    expectStatus(
      await api.post(`${e}/share`, { token: owner.access, body: { user_id: stranger.id, role: 'OWNER' } }),
      400,
      'VALIDATION_ERROR',
    );
    expectStatus(await api.put(`${e}/permissions/${owner.id}`, { token: owner.access, body: { role: 'VIEWER' } }), 400, 'VALIDATION_ERROR');
    expectStatus(await api.put(`${e}/permissions/${stranger.id}`, { token: owner.access, body: { role: 'VIEWER' } }), 404, 'NOT_FOUND');
    expectStatus(await api.delete(`${e}/permissions/${owner.id}`, { token: owner.access }), 400, 'VALIDATION_ERROR');
    expectStatus(await api.delete('/api/events/2000000000', { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.post('/api/auth/refresh', { body: { refresh: login.body.refresh } }), 401, 'UNAUTHORIZED');
    expectStatus(await api.post('/api/auth/logout', { body: { refresh: owner.access } }), 401, 'UNAUTHORIZED');
    expectStatus(
      await api.post('/api/auth/register', { body: { username: owner.username, email: `${uniqueName()}@x.io`, password: 'Tesst1234' } }),
      409,
      'CONFLICT',
    );
    // The editor's.
    expectStatus(await api.delete(e, { token: editor.access }), 403, 'FORBIDDEN');
    expectStatus(await api.post(`${e}/share`, { token: editor.access, body: { user_id: stranger.id, role: 'VIEWER' } }), 403, 'FORBIDDEN');
    expectStatus(await api.put(`${e}/permissions/${viewer.id}`, { token: editor.access, body: { role: 'EDITOR' } }), 403, 'FORBIDDEN');
    expectStatus(await api.delete(`${e}/permissions/${viewer.id}`, { token: editor.access }), 403, 'FORBIDDEN');
    // The viewer's.
    expectStatus(await api.put(e, { token: viewer.access, body: { title: 'x' } }), 403, 'FORBIDDEN');
    expectStatus(await api.post(`${e}/rollback/${v2}`, { token: viewer.access }), 403, 'FORBIDDEN');
    expectStatus(await api.delete(e, { token: viewer.access }), 403, 'FORBIDDEN');
    // The stranger's.
    expectStatus(await api.put(e, { token: stranger.access, body: { title: 'x' } }), 404, 'NOT_FOUND');
    expectStatus(await api.delete(e, { token: stranger.access }), 404, 'NOT_FOUND');
    expectStatus(await api.post(`${e}/share`, { token: stranger.access, body: { user_id: editor.id, role: 'VIEWER' } }), 404, 'NOT_FOUND');
    expectStatus(await api.post(`${e}/rollback/${v1}`, { token: stranger.access }), 404, 'NOT_FOUND');

    const after = Object.fromEntries(await Promise.all(Object.entries(users).map(async ([k, u]) => [k, await count(u)] as const)));
    expect(after).toEqual(before);
    // Nothing changed either: the event is still at version 2.
    expect((await api.get(e, { token: owner.access })).body.version).toBe(2);
    // A successful action right after is recorded as usual.
    expect((await api.patch(e, { token: owner.access, body: { title: 'finally' } })).status).toBe(200);
    expect(await count(owner)).toBe(before['owner']! + 1);
  });

  it('echoes a safe X-Request-Id and replaces anything else with a fresh id', async () => {
    const user = await ctx.user('reqid');
    const ids = ['trace-123', 'a.b:c-d_E9', 'x'.repeat(128), 'has space', 'y'.repeat(129), '<script>', 'semi;colon', 'ünïcode', ''];
    for (const id of ids) {
      const headers: Record<string, string> = id === '' ? {} : { 'x-request-id': id };
      expect(
        (
          await api.post('/api/events', {
            token: user.access,
            headers,
            body: { title: `req ${id}`, start_time: '2073-01-01T00:00:00Z', end_time: '2073-01-01T00:00:00Z' },
          })
        ).status,
      ).toBe(201);
    }
    const rows = (await trail(user)).slice(1);
    expect(rows.map((r) => r.action)).toEqual(ids.map(() => 'event.create'));
    const seen = rows.map((r) => r.request_id);
    expect(seen.slice(0, 3)).toEqual(['trace-123', 'a.b:c-d_E9', 'x'.repeat(128)]);
    for (const generated of seen.slice(3)) expect(generated).toMatch(UUID);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('records the client address, the forwarded one only behind a trusted proxy', async () => {
    const user = await ctx.user('addr');
    await api.post('/api/events', {
      token: user.access,
      headers: { 'x-forwarded-for': '203.0.113.7' },
      body: { title: 'direct', start_time: '2074-01-01T00:00:00Z', end_time: '2074-01-01T01:00:00Z' },
    });
    // A second server on the same database, behind a proxy it trusts (with its own signing key: log in there).
    const proxied = await startTestServer({ TRUST_PROXY: 'true' }, ctx.server.database);
    try {
      const viaProxy = apiClient(proxied.url);
      // The proxy appended the address it saw; the entry to its left was written by the client.
      const forwarded = { 'x-forwarded-for': '10.0.0.1, 203.0.113.7' };
      const login = await viaProxy.post('/api/auth/login', {
        body: { username: user.username, password: user.password },
        headers: forwarded,
      });
      expect(login.status).toBe(200);
      const res = await viaProxy.post('/api/events', {
        token: login.body.access,
        headers: forwarded,
        body: { title: 'proxied', start_time: '2074-01-02T00:00:00Z', end_time: '2074-01-02T01:00:00Z' },
      });
      expect(res.status).toBe(201);
      // Without the header the proxy-trusting server falls back to the socket address.
      const direct = await viaProxy.patch(`/api/events/${res.body.event.id}`, { token: login.body.access, body: { title: 'proxied 2' } });
      expect(direct.status).toBe(200);
    } finally {
      await proxied.stop();
    }
    const rows = await trail(user);
    expect(rows.map((r) => r.action)).toEqual(['register', 'event.create', 'login', 'event.create', 'event.update']);
    expect(rows[1]!.ip).toMatch(LOOPBACK);
    expect(rows[2]!.ip).toBe('203.0.113.7');
    expect(rows[3]!.ip).toBe('203.0.113.7');
    expect(rows[4]!.ip).toMatch(LOOPBACK);
  });
});

describe('audit listing', () => {
  it('pages newest first', async () => {
    const user = await ctx.user('pager');
    for (let i = 0; i < 11; i++) await ctx.event(user, { title: `page ${i}` });
    const all = await auditPage(user);
    expect(all).toMatchObject({ count: 12, num_pages: 1, current_page: 1 });
    expect(all.results).toHaveLength(12);
    expect(all.results.at(-1)!.action).toBe('register');
    for (let i = 1; i < all.results.length; i++) {
      expect(all.results[i]!.id).toBeLessThan(all.results[i - 1]!.id);
      expect(Date.parse(all.results[i]!.at)).toBeLessThanOrEqual(Date.parse(all.results[i - 1]!.at));
    }

    // Defaults: page 1, ten a page.
    const first = await auditPage(user, '');
    expect(first).toMatchObject({ count: 12, num_pages: 2, current_page: 1 });
    expect(first.results).toEqual(all.results.slice(0, 10));
    const second = await auditPage(user, 'page=2');
    expect(second).toMatchObject({ count: 12, num_pages: 2, current_page: 2 });
    expect(second.results).toEqual(all.results.slice(10));

    const pages: AuditRow[][] = [];
    for (let page = 1; page <= 3; page++) {
      const res = await auditPage(user, `page=${page}&page_size=5`);
      expect(res).toMatchObject({ count: 12, num_pages: 3, current_page: page });
      pages.push(res.results);
    }
    expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
    expect(pages.flat()).toEqual(all.results);
    expect(pages[2]!.map((r) => r.action)).toEqual(['event.create', 'register']);

    const beyond = await auditPage(user, 'page=4&page_size=5');
    expect(beyond).toEqual({ results: [], count: 12, num_pages: 3, current_page: 4 });
    const one = await auditPage(user, 'page=12&page_size=1');
    expect(one).toEqual({ results: [all.results[11]], count: 12, num_pages: 12, current_page: 12 });
  });

  it('refuses bad paging parameters and anonymous callers', async () => {
    const user = await ctx.user('badpage');
    for (const query of ['page=0', 'page=-1', 'page=abc', 'page=1.5', 'page_size=0', 'page_size=101', 'page_size=ten']) {
      const res = await api.get(`/api/audit?${query}`, { token: user.access });
      expect(res.status, query).toBe(400);
      expect(errorBody(res).code).toBe('VALIDATION_ERROR');
    }
    expectStatus(await api.get('/api/audit'), 401, 'UNAUTHORIZED');
    expectStatus(await api.get('/api/audit', { token: 'not-a-token' }), 401, 'UNAUTHORIZED');
    expect((await api.get('/api/audit/', { token: user.access })).status).toBe(200);
    expect((await auditPage(user)).count).toBe(1);
  });
});

describe('audit trail', () => {
  it('records every state-changing action of the caller, newest first, with request id and address', async () => {
    const owner = await ctx.user('audited');
    const friend = await ctx.user('friend');
    await api.post('/api/auth/login', { body: { username: owner.username, password: 'wrong-password' } });
    const login = await api.post('/api/auth/login', { body: { username: owner.username, password: owner.password } });
    const refreshed = await api.post('/api/auth/refresh', { body: { refresh: login.body.refresh } });
    const event = await ctx.event(owner);
    await api.put(`/api/events/${event.id}`, {
      token: owner.access,
      headers: { 'x-request-id': 'trace-123' },
      body: { title: 'audited 2' },
    });
    await ctx.share(owner, event.id, friend, 'VIEWER');
    await api.put(`/api/events/${event.id}/permissions/${friend.id}`, { token: owner.access, body: { role: 'EDITOR' } });
    await api.delete(`/api/events/${event.id}/permissions/${friend.id}`, { token: owner.access });
    const v1 = (await api.get(`/api/events/${event.id}/history`, { token: owner.access })).body.at(-1).version_id;
    await api.post(`/api/events/${event.id}/rollback/${v1}`, { token: owner.access });
    await api.post('/api/events/batch', {
      token: owner.access,
      body: [{ title: 'b', start_time: '2051-01-01T00:00:00Z', end_time: '2051-01-01T01:00:00Z' }],
    });
    await api.delete(`/api/events/${event.id}`, { token: owner.access });
    await api.post('/api/auth/logout', { body: { refresh: refreshed.body.refresh } });

    expect(await actions(owner)).toEqual([
      'register',
      'login_failed',
      'login',
      'refresh',
      'event.create',
      'event.update',
      'share',
      'permission.update',
      'permission.remove',
      'rollback',
      'event.batch',
      'event.delete',
      'logout',
    ]);
    const page = await auditPage(owner);
    expect(page.results[0]).toEqual({
      id: expect.any(Number),
      action: 'logout',
      target_type: 'session',
      target_id: expect.any(String),
      at: expect.stringMatching(/Z$/),
      request_id: expect.any(String),
      ip: expect.stringMatching(/127\.0\.0\.1/),
    });
    const update = page.results.find((r: { action: string }) => r.action === 'event.update');
    expect(update).toMatchObject({ request_id: 'trace-123', target_type: 'event', target_id: String(event.id) });
    // The friend's trail holds only the friend's own actions.
    expect(await actions(friend)).toEqual(['register']);
  });

  it('writes nothing for actions that fail', async () => {
    const owner = await ctx.user('failing');
    const viewer = await ctx.user('viewer');
    const event = await ctx.event(owner, { start_time: '2051-02-01T10:00:00Z', end_time: '2051-02-01T11:00:00Z' });
    await ctx.share(owner, event.id, viewer, 'VIEWER');
    const before = (await auditPage(owner)).count;
    expect(
      (await api.put(`/api/events/${event.id}`, { token: owner.access, headers: { 'if-match': '"9"' }, body: { title: 'x' } })).status,
    ).toBe(412);
    expect(
      (
        await api.post('/api/events', {
          token: owner.access,
          body: { title: 'clash', start_time: '2051-02-01T10:30:00Z', end_time: '2051-02-01T11:30:00Z' },
        })
      ).status,
    ).toBe(409);
    expect((await api.post('/api/events', { token: owner.access, body: { title: '' } })).status).toBe(400);
    expect((await api.post('/api/events/batch', { token: owner.access, body: [{ title: '' }] })).status).toBe(400);
    expect((await auditPage(owner)).count).toBe(before);
    const viewerBefore = (await auditPage(viewer)).count;
    expect((await api.delete(`/api/events/${event.id}`, { token: viewer.access })).status).toBe(403);
    expect((await api.put(`/api/events/${event.id}`, { token: viewer.access, body: { title: 'x' } })).status).toBe(403);
    expect((await auditPage(viewer)).count).toBe(viewerBefore);
  });

  it('paginates', async () => {
    const user = await ctx.user('pager');
    for (let i = 0; i < 3; i++) await ctx.event(user);
    const first = await auditPage(user, 'page=1&page_size=2');
    expect(first).toMatchObject({ count: 4, num_pages: 2, current_page: 1 });
    expect(first.results.map((r: { action: string }) => r.action)).toEqual(['event.create', 'event.create']);
    const second = await auditPage(user, 'page=2&page_size=2');
    expect(second.results.map((r: { action: string }) => r.action)).toEqual(['event.create', 'register']);
  });
});
