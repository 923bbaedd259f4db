import { decode, encode } from '@msgpack/msgpack';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEvent, freeSlot } from './support/events.ts';
import { errorBody, type TestUser } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;
let user: TestUser;
let eventId: number;
let versionId: number;

beforeAll(async () => {
  user = await ctx.user('rest');
  eventId = (await createEvent(api, user, { title: 'routed' })).id;
  versionId = (await api.get(`/api/events/${eventId}/history`, { token: user.access })).body[0].version_id;
});

/** A request with a raw body and headers, answering the raw bytes (for MessagePack). */
async function send(method: string, path: string, options: { body?: Uint8Array | string; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${ctx.url}${path}`, { method, headers: options.headers, body: options.body as BodyInit | undefined });
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

describe('routing', () => {
  it('routes every operation of the OpenAPI document (no "No route", no 405)', async () => {
    const doc = (await api.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const values: Record<string, number> = {
      id: eventId,
      version_id: versionId,
      version_id1: versionId,
      version_id2: versionId,
      user_id: user.id,
    };
    let checked = 0;
    for (const [template, operations] of Object.entries(doc.paths)) {
      // A path item may name its own server (the service routes live at the root, outside /api).
      const base = ((operations['servers'] as Array<{ url: string }> | undefined)?.[0]?.url ?? '/api').replace(/\/$/, '');
      const methods = Object.keys(operations).filter((key) => ['get', 'put', 'post', 'delete', 'patch'].includes(key));
      for (const method of methods) {
        const path = `${base}${template.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? 1))}`;
        // Without a token: protected operations stop at 401, public ones at their input check; neither reaches data.
        const response = await fetch(`${ctx.url}${path}`, {
          method: method.toUpperCase(),
          headers: method === 'get' || method === 'delete' ? {} : { 'content-type': 'application/json' },
          body: method === 'get' || method === 'delete' ? undefined : '{}',
        });
        const text = method === 'get' && template === '/events/stream' ? '' : await response.text();
        if (template === '/events/stream') await response.body?.cancel();
        // The feed is public: routed, an unknown secret is its own 404.
        const statuses = template === '/calendar/{secret}.ics' ? [405] : [404, 405];
        if (template === '/calendar/{secret}.ics') expect(text).toContain('No such calendar feed');
        expect(statuses, `${method.toUpperCase()} ${path} → ${response.status} ${text}`).not.toContain(response.status);
        expect(text).not.toContain('No route');
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(24);
  });

  it('accepts a trailing slash on every kind of path', async () => {
    const token = user.access;
    for (const path of [
      '/api/events/',
      `/api/events/${eventId}/`,
      `/api/events/${eventId}/history/`,
      `/api/events/${eventId}/history/${versionId}/`,
      `/api/events/${eventId}/diff/${versionId}/${versionId}/`,
      `/api/events/${eventId}/permissions/`,
      '/api/auth/me/',
      '/api/sync/',
    ]) {
      const res = await api.get(path, { token });
      expect(res.status, `${path} → ${res.text}`).toBe(200);
    }
    const created = await api.post('/api/events/', { token, body: { title: 'slash', ...freeSlot() } });
    expect(created.status).toBe(201);
    const patched = await api.patch(`/api/events/${created.body.event.id}/`, { token, body: { title: 'slashed' } });
    expect(patched.body.event.title).toBe('slashed');
  });

  it('reads a fixed segment before a parameter: /events/batch is never an event id', async () => {
    const res = await api.get('/api/events/batch', { token: user.access });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('answers a wrong method on a known path with 405 METHOD_NOT_ALLOWED and Allow', async () => {
    const cases: Array<[string, string, string[]]> = [
      ['DELETE', '/api/events', ['GET', 'HEAD', 'POST']],
      ['PUT', '/api/events/', ['GET', 'HEAD', 'POST']],
      ['POST', `/api/events/${eventId}`, ['DELETE', 'GET', 'HEAD', 'PATCH', 'PUT']],
      ['GET', '/api/auth/login', ['POST']],
      ['DELETE', `/api/events/${eventId}/history/${versionId}`, ['GET', 'HEAD']],
      ['GET', `/api/events/${eventId}/rollback/${versionId}`, ['POST']],
    ];
    for (const [method, path, allowed] of cases) {
      const res = await api.call(method, path, { token: user.access });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(errorBody(res).code).toBe('METHOD_NOT_ALLOWED');
      expect(res.headers.get('allow')?.split(', ').sort()).toEqual(allowed);
    }
    // The event is still there after the refused DELETE-like calls.
    expect((await api.get(`/api/events/${eventId}`, { token: user.access })).status).toBe(200);
  });

  it('answers OPTIONS with the allowed methods, HEAD like GET without a body, and unknown paths with 404', async () => {
    const options = await send('OPTIONS', '/api/events');
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, HEAD, POST');
    const head = await send('HEAD', `/api/events/${eventId}`, { headers: { authorization: `Bearer ${user.access}` } });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe('"1"');
    expect(head.bytes).toHaveLength(0);
    for (const path of ['/api/events/1/nothing', '/api/event', `/api/events/${eventId}/history/1/2`]) {
      const res = await api.get(path, { token: user.access });
      expect(res.status, path).toBe(404);
      expect(errorBody(res).code).toBe('NOT_FOUND');
    }
  });

  it('converts query strings by the schema: numbers, booleans, any case of a role', async () => {
    const res = await api.get('/api/events?page=1&page_size=2&is_recurring=false&role=owner&sort=-start_time', { token: user.access });
    expect(res.status, res.text).toBe(200);
    expect(res.body.results.length).toBeLessThanOrEqual(2);
    for (const event of res.body.results) expect(event).toMatchObject({ is_recurring: false, my_role: 'OWNER' });
    const yes = await api.get('/api/events?is_recurring=TRUE&page_size=5', { token: user.access });
    expect(yes.status).toBe(200);
    expect(yes.body.results).toEqual([]);
    // JSON bodies stay exact: a string where a number belongs is a 400, even when it looks like one.
    const stringVersion = await api.patch(`/api/events/${eventId}`, { token: user.access, body: { title: 'x', version: '1' } });
    expect(stringVersion.status).toBe(400);
    expect(errorBody(stringVersion).details?.map((d) => d.path)).toContain('version');
  });
});

describe('content types', () => {
  it('answers JSON labelled as a form with 415 and a hint to send application/json', async () => {
    for (const raw of [JSON.stringify({ title: 'curl', ...freeSlot() }), '  [{"title":"x"}]']) {
      const res = await api.post('/api/events', {
        token: user.access,
        raw,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(res.status, res.text).toBe(415);
      const error = errorBody(res);
      expect(error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(error.error).toContain('Content-Type: application/json');
    }
    const login = await api.post('/api/auth/login', {
      raw: JSON.stringify({ username: user.username, password: user.password }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(login.status).toBe(415);
  });

  it('still reads real form bodies: the OAuth2 password login', async () => {
    const form = new URLSearchParams({ username: user.username, password: user.password });
    const res = await api.post('/api/auth/login', {
      raw: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'bearer', access_token: expect.any(String), refresh_token: expect.any(String) });
  });

  it('answers in MessagePack when asked, errors included, readable by a decoder without msgpackr records', async () => {
    const json = await api.get(`/api/events/${eventId}`, { token: user.access });
    for (const accept of ['application/msgpack', 'application/vnd.msgpack', 'application/json;q=0.5, application/msgpack']) {
      const res = await send('GET', `/api/events/${eventId}`, { headers: { authorization: `Bearer ${user.access}`, accept } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/msgpack');
      expect(res.headers.get('etag')).toBe(json.headers.get('etag'));
      expect(decode(res.bytes)).toEqual(json.body);
    }
    const list = await send('GET', '/api/events?page_size=3', {
      headers: { authorization: `Bearer ${user.access}`, accept: 'application/msgpack' },
    });
    expect(decode(list.bytes)).toMatchObject({ results: expect.any(Array), count: expect.any(Number) });

    const missing = await send('GET', '/api/events/2147480000', {
      headers: { authorization: `Bearer ${user.access}`, accept: 'application/msgpack' },
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/msgpack');
    expect(decode(missing.bytes)).toEqual({ error: expect.any(String), code: 'NOT_FOUND' });
    const wrongMethod = await send('DELETE', '/api/events', { headers: { accept: 'application/vnd.msgpack' } });
    expect(wrongMethod.status).toBe(405);
    expect(decode(wrongMethod.bytes)).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });

    // JSON stays the default, and wins when preferred.
    const preferJson = await send('GET', `/api/events/${eventId}`, {
      headers: { authorization: `Bearer ${user.access}`, accept: 'application/json, application/msgpack;q=0.1' },
    });
    expect(preferJson.headers.get('content-type')).toContain('application/json');
  });

  it('reads MessagePack bodies on writes: create, update, share, batch and login', async () => {
    const headers = (type = 'application/msgpack') => ({
      authorization: `Bearer ${user.access}`,
      'content-type': type,
      accept: 'application/msgpack',
    });
    const created = await send('POST', '/api/events', {
      headers: headers(),
      body: encode({ title: 'packed', ...freeSlot(), is_recurring: false }),
    });
    expect(created.status).toBe(201);
    const event = (decode(created.bytes) as { event: { id: number; title: string } }).event;
    expect(event.title).toBe('packed');

    const updated = await send('PATCH', `/api/events/${event.id}`, {
      headers: headers('application/vnd.msgpack'),
      body: encode({ title: 'repacked', version: 1 }),
    });
    expect(updated.status).toBe(200);
    expect(decode(updated.bytes)).toMatchObject({ event: { title: 'repacked', version: 2 } });

    const guest = await ctx.user('packguest');
    const shared = await send('POST', `/api/events/${event.id}/share`, {
      headers: headers(),
      body: encode({ users: [{ user_id: guest.id, role: 'viewer' }] }),
    });
    expect(shared.status).toBe(200);

    const batch = await send('POST', '/api/events/batch', {
      headers: headers(),
      body: encode([
        { title: 'b1', ...freeSlot() },
        { title: 'b2', ...freeSlot() },
      ]),
    });
    expect(batch.status).toBe(201);
    expect((decode(batch.bytes) as { created_events: unknown[] }).created_events).toHaveLength(2);

    const login = await send('POST', '/api/auth/login', {
      headers: { 'content-type': 'application/msgpack' },
      body: encode({ username: user.username, password: user.password }),
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('content-type')).toContain('application/json');

    const invalid = await send('POST', '/api/events', { headers: headers(), body: encode({ title: 7, ...freeSlot() }) });
    expect(invalid.status).toBe(400);
    expect(decode(invalid.bytes)).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ path: 'title', message: expect.any(String) }] });
  });

  it('answers malformed or hostile MessagePack with a 400 in the error shape', async () => {
    const headers = { authorization: `Bearer ${user.access}`, 'content-type': 'application/msgpack' };
    const deep = new Uint8Array(6000).fill(0x91); // 6000 nested one-element arrays, never closed
    for (const body of [
      new Uint8Array([0xc1]),
      new Uint8Array([0x85, 0xa1]),
      encode('text'),
      encode([1, 2]),
      deep,
      encode({ title: 'x', start_time: new Date() }),
    ]) {
      const res = await send('POST', '/api/events', { headers, body });
      expect(res.status, `${Buffer.from(body.slice(0, 8)).toString('hex')} → ${res.status}`).toBe(400);
      const error = JSON.parse(Buffer.from(res.bytes).toString('utf8')) as { code: string };
      expect(error.code).toBe('VALIDATION_ERROR');
    }
  });
});

describe('login names', () => {
  it('accepts an email field as the login name', async () => {
    const res = await api.post('/api/auth/login', { body: { email: user.email, password: user.password } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.user).toEqual({ id: user.id, username: user.username, email: user.email });
    const wrong = await api.post('/api/auth/login', { body: { email: user.email, password: 'not the password' } });
    expect(wrong.status).toBe(401);
    const neither = await api.post('/api/auth/login', { body: { password: user.password } });
    expect(neither.status).toBe(400);
    expect(errorBody(neither).details?.map((d) => d.path)).toContain('username');
  });
});
