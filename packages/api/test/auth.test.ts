import { randomBytes } from 'node:crypto';
import { SignJWT, decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorBody, uniqueName, type TestUser } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';
import { epochSeconds } from './support/time.ts';

const SECRET = randomBytes(32).toString('hex');
const ctx = useTestServer({ env: { JWT_SECRET: SECRET, LOGIN_RATE_LIMIT: '5' } });
const { api } = ctx;

const forge = (claims: Record<string, unknown>, opts: { exp?: number | string; secret?: string; iss?: string; aud?: string } = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(opts.iss ?? 'event-scheduler')
    .setAudience(opts.aud ?? 'event-scheduler-api')
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '15m')
    .sign(new TextEncoder().encode(opts.secret ?? SECRET));

describe('register', () => {
  it('creates a user and answers 201 with tokens and the user', async () => {
    const username = uniqueName('reg');
    const res = await api.post('/api/auth/register', { body: { username, email: `${username}@x.io`, password: 'Tesst123' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      access: expect.any(String),
      refresh: expect.any(String),
      user: { id: expect.any(Number), username, email: `${username}@x.io` },
    });
    const me = await api.get('/api/auth/me', { token: res.body.access });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(res.body.user);
  });

  it('refuses a taken username or email, case-insensitively, with 409', async () => {
    const user = await ctx.user();
    const sameName = await api.post('/api/auth/register', {
      body: { username: user.username.toUpperCase(), email: `${uniqueName()}@x.io`, password: 'Tesst123' },
    });
    expect(sameName.status).toBe(409);
    expect(errorBody(sameName).code).toBe('CONFLICT');
    const sameEmail = await api.post('/api/auth/register', {
      body: { username: uniqueName(), email: user.email.toUpperCase(), password: 'Tesst123' },
    });
    expect(sameEmail.status).toBe(409);
    expect(errorBody(sameEmail).details?.[0]?.path).toBe('email');
  });

  it('lets only one of many simultaneous registrations of a name win', async () => {
    const username = uniqueName('race');
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        api.post('/api/auth/register', { body: { username, email: `${username}${i}@x.io`, password: 'Tesst123' } }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
  });

  it.each([
    [{ username: 'ok_name', email: 'a@b.co', password: 'short' }, 'password'],
    [{ username: 'bad name!', email: 'a@b.co', password: 'longenough' }, 'username'],
    [{ username: 'x'.repeat(151), email: 'a@b.co', password: 'longenough' }, 'username'],
    [{ username: 'ok_name', email: 'not-an-email', password: 'longenough' }, 'email'],
    [{ username: 'ok_name', email: 'a@b.co' }, 'password'],
    [{ username: 42, email: 'a@b.co', password: 'longenough' }, 'username'],
  ])('rejects invalid input %j with 400 and details', async (body, field) => {
    const res = await api.post('/api/auth/register', { body });
    expect(res.status).toBe(400);
    const error = errorBody(res);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details?.map((d) => d.path)).toContain(field);
  });
});

describe('login', () => {
  it('signs in by username and by email, case-insensitively', async () => {
    const user = await ctx.user();
    for (const name of [user.username, user.email, user.username.toUpperCase()]) {
      const res = await api.post('/api/auth/login', { body: { username: name, password: user.password } });
      expect(res.status).toBe(200);
      expect(res.body.user).toEqual({ id: user.id, username: user.username, email: user.email });
      expect(decodeJwt(res.body.access)['token_type']).toBe('access');
    }
  });

  it('accepts the OAuth2 password form and answers in OAuth2 shape', async () => {
    const user = await ctx.user();
    const form = new URLSearchParams({ grant_type: 'password', username: user.username, password: user.password });
    const res = await api.post('/api/auth/login', {
      raw: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 900,
      refresh_token: expect.any(String),
    });
    expect((await api.get('/api/auth/me', { token: res.body.access_token })).status).toBe(200);
  });

  it('answers a wrong password exactly like an unknown user', async () => {
    const user = await ctx.user();
    const wrongPassword = await api.post('/api/auth/login', { body: { username: user.username, password: 'nope-nope' } });
    const unknownUser = await api.post('/api/auth/login', { body: { username: uniqueName('ghost'), password: 'nope-nope' } });
    expect(wrongPassword.status).toBe(401);
    expect(unknownUser.status).toBe(401);
    expect(wrongPassword.body).toEqual(unknownUser.body);
    expect(errorBody(wrongPassword).code).toBe('UNAUTHORIZED');
  });

  it('rate-limits repeated failures for one account with 429 and Retry-After', async () => {
    const user = await ctx.user();
    for (let i = 0; i < 5; i++) {
      expect((await api.post('/api/auth/login', { body: { username: user.username, password: 'wrong-pass' } })).status).toBe(401);
    }
    const limited = await api.post('/api/auth/login', { body: { username: user.username, password: user.password } });
    expect(limited.status).toBe(429);
    expect(errorBody(limited).code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('access tokens', () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await ctx.user();
  });

  const meWith = (token: string) => api.get('/api/auth/me', { token });
  const claimsOf = (token: string) => decodeJwt(token);

  it('refuses a missing or malformed Authorization header', async () => {
    expect((await api.get('/api/auth/me')).status).toBe(401);
    expect((await api.get('/api/auth/me', { headers: { authorization: 'Token abc' } })).status).toBe(401);
    expect((await meWith('not.a.jwt')).status).toBe(401);
  });

  it('refuses an expired token', async () => {
    const { sub, sid } = claimsOf(user.access);
    const expired = await forge({ token_type: 'access', sid, sub, jti: 'x' }, { exp: epochSeconds(-10) });
    const res = await meWith(expired);
    expect(res.status).toBe(401);
    expect(errorBody(res).code).toBe('UNAUTHORIZED');
  });

  it('refuses a tampered signature, a foreign secret, issuer or audience', async () => {
    const [h, p, s] = user.access.split('.');
    const flipped = `${h}.${p}.${s!.slice(0, -2)}${s!.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await meWith(flipped)).status).toBe(401);
    const claims = claimsOf(user.access);
    const base = { token_type: 'access', sid: claims['sid'], sub: claims.sub, jti: 'j' };
    expect((await meWith(await forge(base, { secret: 'another-secret-another-secret-123' }))).status).toBe(401);
    expect((await meWith(await forge(base, { iss: 'someone-else' }))).status).toBe(401);
    expect((await meWith(await forge(base, { aud: 'another-api' }))).status).toBe(401);
    // The same claims, correctly signed, work: the refusals above are about the token, not the claims.
    expect((await meWith(await forge(base))).status).toBe(200);
  });

  it('refuses alg=none', async () => {
    const claims = claimsOf(user.access);
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
    expect((await meWith(unsigned)).status).toBe(401);
  });

  it('refuses a refresh token used as an access token, and the reverse', async () => {
    expect((await meWith(user.refresh)).status).toBe(401);
    const res = await api.post('/api/auth/refresh', { body: { refresh: user.access } });
    expect(res.status).toBe(401);
  });
});

describe('refresh and logout', () => {
  it('rotates the refresh token; the spent one, presented again, revokes the whole session', async () => {
    const user = await ctx.user();
    const first = await api.post('/api/auth/refresh', { body: { refresh: user.refresh } });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ access: expect.any(String), refresh: expect.any(String) });
    expect(first.body.refresh).not.toBe(user.refresh);
    expect((await api.get('/api/auth/me', { token: first.body.access })).status).toBe(200);

    const reuse = await api.post('/api/auth/refresh', { body: { refresh: user.refresh } });
    expect(reuse.status).toBe(401);
    // The session is gone: the newest refresh token and every access token of it are dead.
    expect((await api.post('/api/auth/refresh', { body: { refresh: first.body.refresh } })).status).toBe(401);
    expect((await api.get('/api/auth/me', { token: first.body.access })).status).toBe(401);
    expect((await api.get('/api/auth/me', { token: user.access })).status).toBe(401);
  });

  it('lets only one of two simultaneous refreshes with the same token succeed', async () => {
    const user = await ctx.user();
    const [a, b] = await Promise.all([
      api.post('/api/auth/refresh', { body: { refresh: user.refresh } }),
      api.post('/api/auth/refresh', { body: { refresh: user.refresh } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 401]);
  });

  it('logout answers 205 with no body and kills the session’s refresh and access tokens', async () => {
    const user = await ctx.user();
    const other = await api.post('/api/auth/login', { body: { username: user.username, password: user.password } });
    const res = await api.post('/api/auth/logout', { body: { refresh: user.refresh } });
    expect(res.status).toBe(205);
    expect(res.text).toBe('');
    expect((await api.get('/api/auth/me', { token: user.access })).status).toBe(401);
    expect((await api.post('/api/auth/refresh', { body: { refresh: user.refresh } })).status).toBe(401);
    // Another session of the same user is untouched.
    expect((await api.get('/api/auth/me', { token: other.body.access })).status).toBe(200);
  });

  it('refuses logout with an invalid token', async () => {
    const res = await api.post('/api/auth/logout', { body: { refresh: 'garbage' } });
    expect(res.status).toBe(401);
    expect(errorBody(res).code).toBe('UNAUTHORIZED');
  });
});

describe('user search', () => {
  it('finds users by prefix, at most 20, without emails', async () => {
    const prefix = uniqueName('find');
    const me = await ctx.user();
    for (let i = 0; i < 3; i++) {
      await api.post('/api/auth/register', { body: { username: `${prefix}_${i}`, email: `${prefix}${i}@x.io`, password: 'Tesst123' } });
    }
    const res = await api.get(`/api/users?search=${prefix.toUpperCase()}`, { token: me.access });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(3);
    for (const u of res.body) expect(Object.keys(u).sort()).toEqual(['id', 'username']);
    const wildcard = await api.get(`/api/users?search=${encodeURIComponent('%')}`, { token: me.access });
    expect(wildcard.body).toEqual([]);
    expect((await api.get('/api/users', { token: me.access })).body.length).toBeLessThanOrEqual(20);
  });

  it('answers at most 20 users even when more match', async () => {
    const me = await ctx.user();
    const prefix = uniqueName('many');
    await Promise.all(
      Array.from({ length: 21 }, (_, i) =>
        api.post('/api/auth/register', { body: { username: `${prefix}_${i}`, email: `${prefix}${i}@x.io`, password: 'Tesst123' } }),
      ),
    );
    const res = await api.get(`/api/users?search=${prefix}`, { token: me.access });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(20);
  });
});
