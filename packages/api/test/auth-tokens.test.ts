import { randomBytes } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { eventually } from './support/eventually.ts';
import { apiClient, errorBody, type ApiResponse } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';

/** A refused token says what is wrong and carries an RFC 6750 challenge, over REST and tRPC alike. */
const JWT_SECRET = randomBytes(32).toString('hex');
const ctx = useTestServer({ env: { JWT_SECRET } });
const { api } = ctx;
// Access tokens outlive their session on the second server: only the session's expiry can end them.
const shortSessions = useTestServer({ env: { ACCESS_TOKEN_TTL: '1h', REFRESH_TOKEN_TTL: '2s' } });

/** GET /api/auth/me and /trpc/auth.me with this Authorization header; both must refuse alike. */
async function refusedEverywhere(base: string, authorization: string | undefined) {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  const rest = await apiClient(base).get('/api/auth/me', { headers });
  const trpc = await fetch(`${base}/trpc/auth.me?input=${encodeURIComponent('{}')}`, { headers });
  const trpcBody = (await trpc.json()) as { error: { message: string; data: { appCode: string; httpStatus: number } } };
  expect(rest.status).toBe(401);
  expect(trpc.status).toBe(401);
  expect(errorBody(rest).code).toBe('UNAUTHORIZED');
  expect(trpcBody.error.data.appCode).toBe('UNAUTHORIZED');
  expect(trpcBody.error.message).toBe(errorBody(rest).error);
  expect(trpc.headers.get('www-authenticate')).toBe(rest.headers.get('www-authenticate'));
  return { message: errorBody(rest).error, challenge: rest.headers.get('www-authenticate') ?? '' };
}

function expectInvalidToken(challenge: string, message: string) {
  expect(challenge).toMatch(/^Bearer realm="api", error="invalid_token", error_description="[^"\\]+"$/);
  expect(challenge).toContain(`error_description="${message}"`);
}

describe('a request without a usable access token', () => {
  it('without a header: says the Bearer header is expected, with a bare challenge', async () => {
    const { message, challenge } = await refusedEverywhere(ctx.url, undefined);
    expect(message).toContain('Authorization: Bearer <access token>');
    expect(challenge).toBe('Bearer realm="api"');
  });

  it('with a header that is not a Bearer token: the same answer', async () => {
    const { message, challenge } = await refusedEverywhere(ctx.url, 'Basic dXNlcjpwYXNz');
    expect(message).toContain('Authorization: Bearer');
    expect(challenge).toBe('Bearer realm="api"');
  });

  it('malformed: says so, with error="invalid_token"', async () => {
    const { message, challenge } = await refusedEverywhere(ctx.url, 'Bearer not-a-jwt');
    expect(message).toMatch(/malformed/);
    expectInvalidToken(challenge, message);
  });

  it('tampered: not valid (bad signature)', async () => {
    const user = await ctx.user('tamper');
    const [header, payload, signature] = user.access.split('.');
    const forged = `${header}.${payload}.${signature!.slice(0, -4)}AAAA`;
    const { message, challenge } = await refusedEverywhere(ctx.url, `Bearer ${forged}`);
    expect(message).toMatch(/not valid \(bad signature/);
    expectInvalidToken(challenge, message);
  });

  it('a refresh token where an access token belongs: names the wrong type', async () => {
    const user = await ctx.user('wrongtype');
    const { message, challenge } = await refusedEverywhere(ctx.url, `Bearer ${user.refresh}`);
    expect(message).toMatch(/refresh token was sent where an access token is expected/);
    expectInvalidToken(challenge, message);
  });

  it('expired: says to refresh it at /api/auth/refresh, and the refreshed token works', async () => {
    const user = await ctx.user('expired');
    // The same claims as the user's access token, signed with the server's key, expired a minute ago.
    const claims = decodeJwt(user.access);
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ token_type: 'access', sid: claims['sid'] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(user.id))
      .setJti('expired-test')
      .setIssuer('event-scheduler')
      .setAudience('event-scheduler-api')
      .setIssuedAt(now - 120)
      .setExpirationTime(now - 60)
      .sign(new TextEncoder().encode(JWT_SECRET));
    const { message, challenge } = await refusedEverywhere(ctx.url, `Bearer ${expired}`);
    expect(message).toMatch(/expired/);
    expect(message).toContain('/api/auth/refresh');
    expectInvalidToken(challenge, message);
    const refreshed = await api.post('/api/auth/refresh', { body: { refresh: user.refresh } });
    expect(refreshed.status).toBe(200);
    expect((await api.get('/api/auth/me', { token: refreshed.body.access })).status).toBe(200);
  });

  it('logged out: says the session ended, at once although the session was cached', async () => {
    const user = await ctx.user('loggedout');
    expect((await api.get('/api/auth/me', { token: user.access })).status).toBe(200);
    expect((await api.post('/api/auth/logout', { body: { refresh: user.refresh } })).status).toBe(205);
    const { message, challenge } = await refusedEverywhere(ctx.url, `Bearer ${user.access}`);
    expect(message).toMatch(/session of this token has ended \(logged out or revoked\)/);
    expectInvalidToken(challenge, message);
  });

  it('revoked by reuse of a spent refresh token: the access token stops at once too', async () => {
    const user = await ctx.user('reuse');
    expect((await api.get('/api/auth/me', { token: user.access })).status).toBe(200);
    expect((await api.post('/api/auth/refresh', { body: { refresh: user.refresh } })).status).toBe(200);
    const reuse = await api.post('/api/auth/refresh', { body: { refresh: user.refresh } });
    expect(reuse.status).toBe(401);
    expect(reuse.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    const { message } = await refusedEverywhere(ctx.url, `Bearer ${user.access}`);
    expect(message).toMatch(/ended/);
  });
});

describe('refresh and logout with a bad refresh token', () => {
  const post = (path: string, refresh: string): Promise<ApiResponse> => api.post(path, { body: { refresh } });

  it('a malformed one is named malformed, an access token is the wrong type; both challenge', async () => {
    const user = await ctx.user('badrefresh');
    for (const path of ['/api/auth/refresh', '/api/auth/logout']) {
      const garbage = await post(path, 'garbage');
      expect(garbage.status).toBe(401);
      expect(errorBody(garbage).error).toMatch(/refresh token is malformed/);
      expect(garbage.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token"/);
      const wrongType = await post(path, user.access);
      expect(wrongType.status).toBe(401);
      expect(errorBody(wrongType).error).toMatch(/access token was sent where a refresh token is expected/);
    }
  });

  it('wrong credentials at login are a 401 with a Bearer challenge', async () => {
    const user = await ctx.user('badlogin');
    const res = await api.post('/api/auth/login', { body: { username: user.username, password: 'not the password' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });
});

describe('session expiry', () => {
  it('an access token stops working when its session expires, even while the session is cached', async () => {
    const short = shortSessions.api;
    const user = await shortSessions.user('shortsession');
    expect((await short.get('/api/auth/me', { token: user.access })).status).toBe(200);
    // The session lasts two seconds: wait for its expiry to take effect.
    const { message, challenge } = await eventually(
      async () => {
        const refused = await refusedEverywhere(shortSessions.url, `Bearer ${user.access}`);
        expect(refused.message).toMatch(/session of this token has expired/);
        return refused;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(message).toMatch(/session of this token has expired/);
    expectInvalidToken(challenge, message);
    expect((await short.post('/api/auth/refresh', { body: { refresh: user.refresh } })).status).toBe(401);
  });
});
