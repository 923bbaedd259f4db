import { describe, expect, it } from 'vitest';
import type { TestUser } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';

/** The failed-login limit holds however many attempts arrive at once, on every way in. */
const LIMIT = 10;
const ATTEMPTS = 60;
const ctx = useTestServer({ env: { LOGIN_RATE_LIMIT: String(LIMIT) } });
const { api } = ctx;

const countStatuses = (statuses: number[]) =>
  statuses.reduce<Record<number, number>>((counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});

describe('failed-login limit under concurrency', () => {
  it('checks at most the limit of concurrent wrong passwords over REST JSON', async () => {
    const user = await ctx.user('limit');
    const answers = await Promise.all(
      Array.from({ length: ATTEMPTS }, () => api.post('/api/auth/login', { body: { username: user.username, password: 'wrong-pass' } })),
    );
    expect(countStatuses(answers.map((a) => a.status))).toEqual({ 401: LIMIT, 429: ATTEMPTS - LIMIT });
  });

  it('checks at most the limit over the OAuth2 password form', async () => {
    const user = await ctx.user('limit');
    const form = new URLSearchParams({ grant_type: 'password', username: user.username, password: 'wrong-pass' }).toString();
    const answers = await Promise.all(
      Array.from({ length: ATTEMPTS }, () =>
        api.post('/api/auth/login', { raw: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      ),
    );
    expect(countStatuses(answers.map((a) => a.status))).toEqual({ 401: LIMIT, 429: ATTEMPTS - LIMIT });
  });

  it('checks at most the limit inside one tRPC batch', async () => {
    const user = await ctx.user('limit');
    const input = Object.fromEntries(
      Array.from({ length: ATTEMPTS }, (_, i) => [String(i), { username: user.username, password: 'wrong-pass' }]),
    );
    const paths = Array.from({ length: ATTEMPTS }, () => 'auth.login').join(',');
    const res = await fetch(`${ctx.url}/trpc/${paths}?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    const body = (await res.json()) as Array<{ error?: { data: { httpStatus: number } } }>;
    expect(body).toHaveLength(ATTEMPTS);
    expect(countStatuses(body.map((entry) => entry.error?.data.httpStatus ?? 200))).toEqual({ 401: LIMIT, 429: ATTEMPTS - LIMIT });
  });

  it('gives a success its attempt back, so a user who gets it right is not held to earlier slips', async () => {
    const user: TestUser = await ctx.user('limit');
    const wrong = () => api.post('/api/auth/login', { body: { username: user.username, password: 'wrong-pass' } });
    for (let i = 0; i < LIMIT - 1; i++) expect((await wrong()).status).toBe(401);
    const right = await api.post('/api/auth/login', { body: { username: user.username, password: user.password } });
    expect(right.status).toBe(200);
    // The success cleared the count: a full allowance of failures is available again.
    const afterwards = await Promise.all(Array.from({ length: LIMIT + 2 }, wrong));
    expect(countStatuses(afterwards.map((a) => a.status))).toEqual({ 401: LIMIT, 429: 2 });
  });
});
