import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('has working defaults for a laptop', () => {
    const config = loadConfig({ DATA_DIR: ':memory:' });
    expect(config).toMatchObject({ port: 3000, host: '0.0.0.0', databaseUrl: undefined, dataDir: undefined, env: 'development' });
    expect(config.jwt).toMatchObject({ accessTtl: 900, refreshTtl: 7 * 86400 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads durations and numbers', () => {
    const config = loadConfig({ DATA_DIR: ':memory:', ACCESS_TOKEN_TTL: '90s', REFRESH_TOKEN_TTL: '2d', PORT: '8080' });
    expect(config.jwt.accessTtl).toBe(90);
    expect(config.jwt.refreshTtl).toBe(172800);
    expect(config.port).toBe(8080);
  });

  it('reads PUBLIC_URL without its trailing slash and refuses other schemes', () => {
    expect(loadConfig({ DATA_DIR: ':memory:' }).publicUrl).toBeUndefined();
    expect(loadConfig({ DATA_DIR: ':memory:', PUBLIC_URL: 'https://cal.example.com/scheduler/' }).publicUrl).toBe(
      'https://cal.example.com/scheduler',
    );
    expect(() => loadConfig({ DATA_DIR: ':memory:', PUBLIC_URL: 'ftp://cal.example.com' })).toThrow(/PUBLIC_URL/);
  });

  it('names every bad value in one message', () => {
    const attempt = () => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', ACCESS_TOKEN_TTL: 'soon', JWT_SECRET: 'short' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PORT[\s\S]*DATABASE_URL[\s\S]*JWT_SECRET[\s\S]*ACCESS_TOKEN_TTL|PORT/);
    try {
      attempt();
    } catch (error) {
      for (const name of ['PORT', 'DATABASE_URL', 'JWT_SECRET', 'ACCESS_TOKEN_TTL']) expect((error as Error).message).toContain(name);
    }
  });

  it('requires a JWT secret in production and keeps a generated one in development', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: is required/);
    const dir = mkdtempSync(path.join(tmpdir(), 'scheduler-config-'));
    const first = loadConfig({ DATA_DIR: dir });
    const second = loadConfig({ DATA_DIR: dir });
    expect(Buffer.from(first.jwt.secret).equals(Buffer.from(second.jwt.secret))).toBe(true);
    expect(readFileSync(path.join(dir, 'jwt-secret'), 'utf8').length).toBeGreaterThanOrEqual(32);
  });

  it('reads TRUST_PROXY as Express reads trust proxy: true is one hop, a number of hops, or proxy addresses', () => {
    const trust = (value?: string) =>
      loadConfig({ DATA_DIR: ':memory:', ...(value === undefined ? {} : { TRUST_PROXY: value }) }).trustProxy;
    expect(trust()).toEqual({ hops: 0 });
    expect(trust('false')).toEqual({ hops: 0 });
    expect(trust('true')).toEqual({ hops: 1 });
    expect(trust('1')).toEqual({ hops: 1 });
    expect(trust('3')).toEqual({ hops: 3 });
    expect(trust('loopback, 10.0.0.0/8,192.168.1.7')).toEqual({ proxies: ['loopback', '10.0.0.0/8', '192.168.1.7'] });
    expect(() => trust('10.0.0.0/99')).toThrow(/TRUST_PROXY/);
    expect(() => trust('proxy.example.com')).toThrow(/TRUST_PROXY/);
  });
});

describe('loadConfig: timeouts and limits', () => {
  it('reads database, HTTP, rate and WebSocket limits with safe defaults', () => {
    const defaults = loadConfig({ DATA_DIR: ':memory:' });
    expect(defaults.database).toEqual({ statementTimeoutMs: 30_000, acquireTimeoutMs: 5_000 });
    expect(defaults.http).toEqual({ requestTimeoutMs: 60_000, headersTimeoutMs: 20_000, keepAliveTimeoutMs: 65_000 });
    expect(defaults.rateLimit).toEqual({ requests: 6000, windowSeconds: 60 });
    expect(defaults.feedRetention).toEqual({ maxAgeSeconds: 30 * 86400, intervalSeconds: 3600 });
    const tuned = loadConfig({
      DATA_DIR: ':memory:',
      DATABASE_STATEMENT_TIMEOUT_MS: '2000',
      DATABASE_ACQUIRE_TIMEOUT_MS: '750',
      RATE_LIMIT_REQUESTS: '5',
      RATE_LIMIT_WINDOW: '10s',
      WS_MAX_CONNECTIONS_PER_USER: '3',
      FEED_RETENTION: '7d',
    });
    expect(tuned.database).toEqual({ statementTimeoutMs: 2000, acquireTimeoutMs: 750 });
    expect(tuned.rateLimit).toEqual({ requests: 5, windowSeconds: 10 });
    expect(tuned.websocket.maxConnectionsPerUser).toBe(3);
    expect(tuned.feedRetention.maxAgeSeconds).toBe(7 * 86400);
  });

  it('refuses nonsense limits, naming them', () => {
    const attempt = () =>
      loadConfig({ DATA_DIR: ':memory:', DATABASE_ACQUIRE_TIMEOUT_MS: '5', RATE_LIMIT_REQUESTS: '0', FEED_RETENTION: 'forever' });
    expect(attempt).toThrow(ConfigError);
    for (const name of ['DATABASE_ACQUIRE_TIMEOUT_MS', 'RATE_LIMIT_REQUESTS', 'FEED_RETENTION']) expect(attempt).toThrow(name);
  });
});
