import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebAppRoute } from '../src/http/web-app.ts';
import { useTestServer } from './support/test-context.ts';

/**
 * The web app's mount point: a built app (a stand-in folder) served at /app/
 * with deep links answered by index.html, and browsers opening / sent there;
 * everything else is left to the API.
 */
let dir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'web-app-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  const route = createWebAppRoute(dir);
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!route(req, res, url, url.pathname)) res.writeHead(418).end('api');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('the web app route', () => {
  it('answers deep links with the app page, with a strict content security policy', async () => {
    for (const link of ['/app/', '/app/events/42', '/app/events/42/history?x=1']) {
      const response = await fetch(`${base}${link}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<title>app</title>');
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(response.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('serves hashed assets as immutable', async () => {
    const response = await fetch(`${base}/app/assets/index-abc123.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/javascript/);
    expect(response.headers.get('cache-control')).toContain('immutable');
  });

  it('sends /app to /app/, browsers opening / to the app, and leaves API clients and other paths alone', async () => {
    const bare = await fetch(`${base}/app?x=1`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([301, '/app/?x=1']);
    const browser = await fetch(`${base}/`, { redirect: 'manual', headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect([browser.status, browser.headers.get('location')]).toEqual([302, '/app/']);
    for (const [link, accept] of [
      ['/', 'application/json'],
      ['/', '*/*'],
      ['/application', 'text/html'],
      ['/apps/x', 'text/html'],
    ] as const) {
      const response = await fetch(`${base}${link}`, { redirect: 'manual', headers: { accept } });
      expect([link, response.status]).toEqual([link, 418]);
    }
  });

  it('is off when the app has not been built', () => {
    const route = createWebAppRoute(null);
    expect(route({ headers: { accept: 'text/html' } } as never, {} as never, new URL('http://x/app/'), '/app')).toBe(false);
  });
});

describe('the API server with the web app mounted', () => {
  const api = useTestServer();

  it('still answers GET / with the contract JSON, and unknown API paths with the error shape', async () => {
    const root = await fetch(`${api.url}/`, { headers: { accept: 'application/json' } });
    expect(await root.json()).toEqual({ message: 'Event Scheduler API' });
    const missing = await fetch(`${api.url}/api/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});
