import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser, type ApiClient, type TestUser } from './support/http.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { useTestServer } from './support/test-context.ts';

/**
 * Behind a trusted proxy the client address is the one the proxy saw: the
 * right-most X-Forwarded-For entry not added by a trusted hop. Entries further
 * left were written by the client and prove nothing.
 */
const direct = useTestServer();
const servers: TestServer[] = [];

// Runs before the shared server stops (after-hooks run last-registered first).
afterAll(async () => {
  for (const server of servers) await server.stop();
});

/** A second server on the same database with its own proxy setting. */
async function serverTrusting(trustProxy: string, env: Record<string, string> = {}): Promise<ApiClient> {
  const server = await startTestServer({ TRUST_PROXY: trustProxy, ...env }, direct.server.database);
  servers.push(server);
  return apiClient(server.url);
}

/** The address the audit trail recorded for a registration sent with these headers. */
async function recordedAddress(api: ApiClient, forwardedFor?: string): Promise<string | null> {
  const username = `addr_${randomBytes(5).toString('hex')}`;
  const headers: Record<string, string> = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
  const registered = await api.post('/api/auth/register', {
    body: { username, email: `${username}@example.com`, password: 'correct-horse-battery' },
    headers,
  });
  expect(registered.status, registered.text).toBe(201);
  const trail = await api.get('/api/audit?page_size=100', { token: registered.body.access });
  expect(trail.status, trail.text).toBe(200);
  const row = (trail.body.results as Array<{ action: string; ip: string | null }>).find((r) => r.action === 'register');
  return row?.ip ?? null;
}

const LOOPBACK = /^(::ffff:)?127\.0\.0\.1$|^::1$/;

describe('client address behind a proxy', () => {
  it('ignores X-Forwarded-For unless a proxy is trusted', async () => {
    expect(await recordedAddress(direct.api, '203.0.113.7')).toMatch(LOOPBACK);
  });

  it('with TRUST_PROXY=true takes the entry the one trusted proxy added, not one the client wrote', async () => {
    const api = await serverTrusting('true');
    expect(await recordedAddress(api, '198.51.100.66, 203.0.113.7')).toBe('203.0.113.7');
    expect(await recordedAddress(api, '203.0.113.8')).toBe('203.0.113.8');
    expect(await recordedAddress(api)).toMatch(LOOPBACK);
  });

  it('with a hop count skips that many proxies from the right', async () => {
    const api = await serverTrusting('2');
    expect(await recordedAddress(api, '198.51.100.66, 203.0.113.9, 10.0.0.2')).toBe('203.0.113.9');
  });

  it('with a list of proxy addresses and ranges skips every trusted hop from the right', async () => {
    const api = await serverTrusting('loopback, 10.0.0.0/8');
    expect(await recordedAddress(api, '198.51.100.66, 203.0.113.10, 10.1.2.3, 10.0.0.2')).toBe('203.0.113.10');
    // A chain of trusted hops only: the left-most entry is the client.
    expect(await recordedAddress(api, '10.9.9.9, 10.0.0.2')).toBe('10.9.9.9');
  });

  it('does not let a client rotate its forwarded address past the failed-login limit', async () => {
    const api = await serverTrusting('true', { LOGIN_RATE_LIMIT: '3' });
    const user: TestUser = await registerUser(api, 'rotate');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const forged = `198.51.100.${i + 1}, 203.0.113.7`;
      const res = await api.post('/api/auth/login', {
        body: { username: user.username, password: 'wrong-pass' },
        headers: { 'x-forwarded-for': forged },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});
