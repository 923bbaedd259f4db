import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { errorBody } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer({ env: { MAX_BODY_BYTES: '65536' } });
const { api } = ctx;

describe('service endpoints', () => {
  it('answers / , /healthz and /readyz', async () => {
    expect((await api.get('/')).body).toEqual({ message: 'Event Scheduler API' });
    expect((await api.get('/healthz')).status).toBe(200);
    const ready = await api.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
  });

  it('serves a valid OpenAPI 3 document covering the REST operations with bearer security', async () => {
    const res = await api.get('/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    await SwaggerParser.validate(structuredClone(doc));
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/auth/register',
        '/auth/login',
        '/auth/refresh',
        '/auth/logout',
        '/auth/me',
        '/users',
        '/events',
        '/events/batch',
        '/events/{id}',
        '/events/{id}/occurrences',
        '/events/{id}/share',
        '/events/{id}/permissions',
        '/events/{id}/permissions/{user_id}',
        '/events/{id}/history',
        '/events/{id}/history/{version_id}',
        '/events/{id}/rollback/{version_id}',
        '/events/{id}/changelog',
        '/events/{id}/diff/{version_id1}/{version_id2}',
        '/events/stream',
        '/sync',
        '/audit',
      ]),
    );
    expect(Object.keys(doc.paths['/events/{id}'])).toEqual(expect.arrayContaining(['get', 'put', 'patch', 'delete']));
    expect(doc.paths['/events'].post.requestBody.content['application/json'].schema).toBeDefined();
    expect(doc.paths['/events'].post.responses['201']).toBeDefined();
    expect(doc.paths['/auth/me'].get.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/auth/login'].post.requestBody.content).toHaveProperty('application/x-www-form-urlencoded');
    expect(doc.paths['/auth/me'].get.responses['401'].content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
  });

  it('serves interactive docs with their assets', async () => {
    const page = await fetch(`${ctx.url}/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/openapi.json');
    const js = await fetch(`${ctx.url}/docs/swagger-ui-bundle.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
  });
});

describe('error model', () => {
  it('answers unknown routes with a JSON 404', async () => {
    for (const path of ['/nope', '/api/nope', '/api/auth/unknown']) {
      const res = await api.get(path);
      expect(res.status).toBe(404);
      expect(errorBody(res).code).toBe('NOT_FOUND');
    }
  });

  it('works with and without a trailing slash', async () => {
    const user = await ctx.user();
    expect((await api.get('/api/auth/me/', { token: user.access })).status).toBe(200);
    expect((await api.get('/api/auth/me', { token: user.access })).status).toBe(200);
  });

  it('answers malformed JSON with 400, a foreign content type with 415, an oversized body with 413', async () => {
    const malformed = await api.post('/api/auth/login', { raw: '{"username": ', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(errorBody(malformed).code).toBe('VALIDATION_ERROR');

    const xml = await api.post('/api/auth/login', { raw: '<login/>', headers: { 'content-type': 'application/xml' } });
    expect(xml.status).toBe(415);
    expect(errorBody(xml).code).toBe('UNSUPPORTED_MEDIA_TYPE');

    const huge = await api.post('/api/auth/register', {
      raw: JSON.stringify({ username: 'x', email: 'a@b.co', password: 'y'.repeat(70_000) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.status).toBe(413);
    expect(errorBody(huge).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it.each(['null', '"text"', '42', '[]', '{"username": {"$ne": 1}, "password": ["x"]}'])(
    'answers the JSON body %s with a 400, never a 5xx',
    async (raw) => {
      const res = await api.post('/api/auth/login', { raw, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expect(errorBody(res).code).toBe('VALIDATION_ERROR');
    },
  );

  it('refuses NUL characters anywhere in the input with 400', async () => {
    const res = await api.post('/api/auth/register', { body: { username: 'nul\u0000name', email: 'n@x.io', password: 'longenough' } });
    expect(res.status).toBe(400);
    expect(errorBody(res).code).toBe('VALIDATION_ERROR');
    const user = await ctx.user();
    const search = await api.get(`/api/users?search=${encodeURIComponent('a\u0000')}`, { token: user.access });
    expect(search.status).toBe(400);
  });

  it('never leaks a stack trace', async () => {
    const res = await api.post('/api/auth/register', { body: { username: [], email: {}, password: null } });
    expect(res.status).toBe(400);
    expect(res.text).not.toMatch(/stack|at .*\.ts:\d+/);
  });
});

describe('tRPC endpoint', () => {
  it('serves the same procedures at /trpc with batching', async () => {
    const user = await ctx.user();
    const res = await fetch(`${ctx.url}/trpc/auth.me,auth.me?batch=1&input=${encodeURIComponent('{"0":{},"1":{}}')}`, {
      headers: { authorization: `Bearer ${user.access}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Array<{ result: { data: unknown } }>;
    expect(body).toHaveLength(2);
    expect(body[0]!.result.data).toEqual({ id: user.id, username: user.username, email: user.email });
  });
});
