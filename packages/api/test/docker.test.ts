import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

describe('docker files (no engine here: checked by reading them)', () => {
  it('compose runs PostgreSQL and the server, wired together', () => {
    const compose = parse(read('docker/compose.yaml')) as {
      services: Record<string, { image?: string; build?: { context: string; dockerfile: string }; depends_on?: Record<string, { condition: string }>; environment?: Record<string, string>; ports?: string[]; healthcheck?: unknown }>;
    };
    expect(Object.keys(compose.services).sort()).toEqual(['postgres', 'server']);
    const { postgres, server } = compose.services as Required<typeof compose.services>;
    expect(postgres!.image).toMatch(/^postgres:1[5-9]/);
    expect(postgres!.healthcheck).toBeDefined();
    expect(server!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(server!.ports).toContain('3000:3000');
    expect(existsSync(path.resolve(root, 'docker', server!.build!.context, server!.build!.dockerfile))).toBe(true);
    const env = server!.environment!;
    expect(env['DATABASE_URL']).toMatch(/^postgres:\/\/\w+:\w+@postgres:5432\/\w+$/);
    expect(env['NODE_ENV']).toBe('production');
    // The environment the compose file gives is one the server accepts.
    const config = loadConfig({ ...env, JWT_SECRET: 'x'.repeat(40) });
    expect(config.databaseUrl).toBe(env['DATABASE_URL']);
  });

  it('the Dockerfile builds production dependencies only and runs as a non-root user', () => {
    const dockerfile = read('docker/Dockerfile');
    expect(dockerfile).toMatch(/npm install --omit=dev/);
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "--enable-source-maps", "apps\/server\/dist\/main\.mjs"\]$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile).toMatch(/^EXPOSE 3000$/m);
    const copies = [...dockerfile.matchAll(/^COPY (?!--from)(?:--chown=\S+ )?(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(copies.length).toBeGreaterThan(5);
    for (const source of copies) expect(existsSync(path.join(root, source)), source).toBe(true);
    // Every workspace's package.json is copied before `npm ci`, or the install would not see it.
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, unknown> };
    const workspaces = Object.keys(lock.packages).filter((p) => /^(apps|packages)\/[^/]+$/.test(p));
    for (const workspace of workspaces) expect(copies).toContain(`${workspace}/package.json`);
    // The runtime image starts the bundle the build stage writes; the build script writes it there.
    expect(read('apps/server/build.mjs')).toContain("outdir: 'dist'");
  });

  it('the server refuses to start in production without a JWT secret', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://a:b@c:5432/d' })).toThrow(/JWT_SECRET/);
  });
});
