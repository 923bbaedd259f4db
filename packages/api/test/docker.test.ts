import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/index.ts';

/** There is no Docker engine here: the files are checked by reading them. */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string | string[] };
  restart?: string;
  expose?: string[];
  deploy?: { replicas?: number };
}
const compose = parse(read('docker/compose.yaml')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };

/** The Dockerfile as stages of instructions (continuation lines joined, comments dropped). */
interface Instruction {
  op: string;
  args: string;
}
const dockerfile = read('docker/Dockerfile');
const stages: Array<{ name: string; from: string; steps: Instruction[] }> = [];
for (const line of dockerfile.replace(/\\\n\s*/g, ' ').split('\n')) {
  const match = /^([A-Z]+)\s+(.*)$/.exec(line.trim());
  if (!match || line.trim().startsWith('#')) continue;
  const [, op, args] = match as unknown as [string, string, string];
  if (op === 'FROM') {
    const [from, , name] = args.split(/\s+/);
    stages.push({ name: name ?? String(stages.length), from: from!, steps: [] });
  } else {
    stages.at(-1)!.steps.push({ op, args });
  }
}
const runtime = stages.at(-1)!;
const all = (op: string, stage?: (typeof stages)[number]) =>
  (stage ? stage.steps : stages.flatMap((s) => s.steps)).filter((s) => s.op === op);

/** The variables the server reads (the keys of its environment schema). */
const configKeys = [...read('packages/api/src/config.ts').matchAll(/^ {2}([A-Z][A-Z0-9_]+): /gm)].map((m) => m[1]!);

describe('docker/compose.yaml', () => {
  const { postgres, redis, api, lb } = compose.services as Record<'postgres' | 'redis' | 'api' | 'lb', Service>;

  it('runs PostgreSQL, Redis, the API and a load balancer, each with a health check and a restart policy', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'lb', 'postgres', 'redis']);
    expect(postgres.image).toBe('postgres:16-alpine');
    expect([postgres.healthcheck?.test].flat().join(' ')).toMatch(/pg_isready/);
    const volume = postgres.volumes?.find((v) => v.endsWith(':/var/lib/postgresql/data'));
    expect(volume).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(volume!.split(':')[0]);
    expect(redis.image).toMatch(/^redis:/);
    expect([redis.healthcheck?.test].flat().join(' ')).toMatch(/redis-cli ping/);
    expect([lb.healthcheck?.test].flat().join(' ')).toMatch(/\/healthz/);
    // The API's health check is the image's own (HEALTHCHECK on /healthz in the Dockerfile).
    expect(all('HEALTHCHECK', runtime)).toHaveLength(1);
    for (const [name, service] of Object.entries(compose.services)) expect(service.restart, name).toBe('unless-stopped');
  });

  it('runs two API replicas built from the repository root, once PostgreSQL and Redis are healthy', () => {
    expect(api.deploy?.replicas).toBe(2);
    expect(api.build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile' });
    expect(existsSync(path.resolve(root, 'docker', api.build!.context, api.build!.dockerfile))).toBe(true);
    expect(api.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    // Replicas publish no host port (two could not share one); the load balancer does.
    expect(api.ports).toBeUndefined();
    const exposed = all('EXPOSE', runtime).map((s) => s.args);
    expect(api.expose).toEqual(exposed);
    expect(lb.depends_on).toEqual({ api: { condition: 'service_healthy' } });
    expect(lb.ports).toEqual(['3000:80']);
  });

  it('gives the API the environment its configuration needs: PostgreSQL, Redis, a secret, the proxy in front', () => {
    const env = api.environment!;
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'NODE_ENV', 'TRUST_PROXY']));
    expect(configKeys).toEqual(expect.arrayContaining(['DATABASE_URL', 'JWT_SECRET', 'NODE_ENV', 'PORT', 'REDIS_URL']));
    for (const name of Object.keys(env)) expect(configKeys, `${name} is not a setting the server reads`).toContain(name);
    expect(env['NODE_ENV']).toBe('production');
    // No default secret: compose stops with this message when JWT_SECRET is not set.
    expect(env['JWT_SECRET']).toMatch(/^\$\{JWT_SECRET:\?[^}]+\}$/);
    // The database URL names the postgres service with its user, password and database.
    const url = new URL(env['DATABASE_URL']!);
    const pg = postgres as Service & { environment: Record<string, string> };
    expect(url.protocol).toBe('postgres:');
    expect(url.hostname).toBe('postgres');
    expect(url.port).toBe('5432');
    expect(decodeURIComponent(url.username)).toBe(pg.environment['POSTGRES_USER']);
    expect(decodeURIComponent(url.password)).toBe(pg.environment['POSTGRES_PASSWORD']);
    expect(url.pathname).toBe(`/${pg.environment['POSTGRES_DB']}`);
    expect(new URL(env['REDIS_URL']!).hostname).toBe('redis');
    // And the server accepts that environment (with a real secret in place of the placeholder).
    const config = loadConfig({ ...env, JWT_SECRET: 'x'.repeat(40) });
    expect(config).toMatchObject({
      env: 'production',
      databaseUrl: env['DATABASE_URL'],
      redisUrl: env['REDIS_URL'],
      trustProxy: { hops: 1 },
    });
  });

  it('the server refuses to start in production without a JWT secret', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://a:b@c:5432/d' })).toThrow(/JWT_SECRET/);
  });
});

describe('docker/nginx.conf (the load balancer)', () => {
  const { lb } = compose.services as Record<'lb', Service>;
  const conf = read('docker/nginx.conf').replace(/#.*$/gm, '');
  /** The body of `location <match> { ... }`. */
  const location = (match: string) => {
    const at = conf.indexOf(`location ${match} {`);
    expect(at, `location ${match}`).toBeGreaterThan(-1);
    return conf.slice(at, conf.indexOf('}', at));
  };

  it('is mounted into the nginx container from this folder', () => {
    expect(lb.image).toMatch(/^nginx:/);
    const mount = lb.volumes?.find((v) => v.includes('nginx.conf'));
    expect(mount?.split(':')[0]).toBe('./nginx.conf');
    expect(existsSync(path.join(root, 'docker/nginx.conf'))).toBe(true);
  });

  it('balances over every replica of the api service, found through Docker DNS', () => {
    expect(conf).toMatch(/upstream api \{[^}]*server api:3000 resolve;/);
    expect(conf).toMatch(/resolver 127\.0\.0\.11/);
    expect([...conf.matchAll(/proxy_pass http:\/\/api;/g)]).toHaveLength(4);
  });

  it('upgrades WebSockets on /trpc and /collab, and streams SSE unbuffered', () => {
    for (const match of ['/trpc', '/collab/']) {
      const block = location(match);
      expect(block).toContain('proxy_set_header Upgrade $http_upgrade;');
      expect(block).toContain('proxy_set_header Connection $connection_upgrade;');
    }
    expect(conf).toMatch(/map \$http_upgrade \$connection_upgrade \{\s*default upgrade;/);
    expect(conf).toContain('proxy_http_version 1.1;');
    const stream = location('= /api/events/stream');
    expect(stream).toContain('proxy_buffering off;');
    expect(location('/trpc')).toContain('proxy_buffering off;');
  });

  it('passes the request id and the client address to the API', () => {
    expect(conf).toContain('proxy_set_header X-Request-Id $scheduler_request_id;');
    expect(conf).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
  });
});

describe('docker/Dockerfile', () => {
  it('is multi-stage: a build stage with every dependency, a runtime stage with production ones only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    // The current LTS.
    for (const stage of stages) expect(stage.from).toMatch(/^node:24-/);
    const installs = all('RUN').filter((s) => /\bnpm (ci|install)\b/.test(s.args));
    expect(installs.some((s) => !s.args.includes('--omit=dev'))).toBe(true);
    // The node_modules the runtime stage gets come from a stage that installed with --omit=dev.
    const modules = all('COPY', runtime).find((s) => /--from=\S+ .*node_modules/.test(s.args));
    const source = stages.find((s) => s.name === /--from=(\S+)/.exec(modules!.args)![1]);
    expect(all('RUN', source).some((s) => /\bnpm (ci|install)\b.*--omit=dev/.test(s.args))).toBe(true);
    // Every `--from` names an earlier stage.
    const names = stages.map((s) => s.name);
    for (const copy of all('COPY')) {
      const from = /--from=(\S+)/.exec(copy.args)?.[1];
      if (from) expect(names).toContain(from);
    }
  });

  it('runs as the non-root user node, in production mode, with a health check on /healthz', () => {
    const user = all('USER', runtime).at(-1)?.args;
    expect(user).toBe('node');
    const steps = runtime.steps.map((s) => s.op);
    expect(steps.lastIndexOf('USER')).toBeLessThan(steps.indexOf('CMD'));
    expect(
      all('ENV', runtime)
        .map((s) => s.args)
        .join(' '),
    ).toMatch(/\bNODE_ENV=production\b/);
    const health = all('HEALTHCHECK', runtime)[0]?.args;
    expect(health).toMatch(/CMD node -e .*\/healthz/);
  });

  it('starts the bundle with the node flags npm start uses', () => {
    const flagsOf = (command: string[]) => command.slice(1, -1);
    const scriptCommand = (script: string) => script.split('&&').at(-1)!.trim().split(/\s+/);
    const cmd = JSON.parse(all('CMD', runtime)[0]!.args) as string[];
    const rootStart = scriptCommand(JSON.parse(read('package.json')).scripts.start);
    const serverStart = scriptCommand(JSON.parse(read('apps/server/package.json')).scripts.start);
    expect(flagsOf(cmd)).toContain('--max-semi-space-size=8');
    expect(flagsOf(rootStart)).toEqual(flagsOf(cmd));
    expect(flagsOf(serverStart)).toEqual(flagsOf(cmd));
  });

  it('starts the bundle the build stage writes', () => {
    const cmd = JSON.parse(all('CMD', runtime)[0]!.args) as string[];
    expect(cmd[0]).toBe('node');
    const entry = cmd.at(-1)!;
    expect(entry).toBe('apps/server/dist/main.mjs');
    expect(all('RUN').some((s) => s.args === 'npm run build')).toBe(true);
    expect(JSON.parse(read('package.json')).scripts.build).toBe('npm run build -w @scheduler/web && npm run build -w @scheduler/server');
    expect(JSON.parse(read('apps/server/package.json')).scripts.build).toBe('node build.mjs');
    expect(read('apps/server/build.mjs')).toMatch(/entryPoints: \{ main: 'src\/main\.ts'/);
    expect(read('apps/server/build.mjs')).toContain("outdir: 'dist'");
    expect(all('COPY', runtime).some((s) => s.args.includes('/app/apps/server/dist'))).toBe(true);
    // The server serves the built web app at /app/.
    expect(all('COPY', runtime).some((s) => s.args.includes('/app/apps/web/dist'))).toBe(true);
  });

  it('copies only paths that exist, and every workspace manifest before installing', () => {
    const sources = all('COPY')
      .filter((s) => !s.args.includes('--from='))
      .flatMap((s) => s.args.replace(/--\S+/g, '').trim().split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) expect(existsSync(path.join(root, source)), source).toBe(true);
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, unknown> };
    const workspaces = Object.keys(lock.packages).filter((p) => /^(apps|packages)\/[^/]+$/.test(p));
    expect(workspaces.length).toBeGreaterThanOrEqual(5);
    for (const stage of stages.filter((s) => all('RUN', s).some((r) => /\bnpm (ci|install)\b/.test(r.args)))) {
      const copied = all('COPY', stage).flatMap((s) => s.args.split(/\s+/));
      for (const workspace of workspaces) expect(copied, `${stage.name} stage`).toContain(`${workspace}/package.json`);
    }
  });
});

describe('.dockerignore', () => {
  it('keeps installed modules, data, git, caches and tests out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '**/node_modules', 'data', '.git', 'coverage', '.turbo']));
    // Nothing the Dockerfile copies is ignored.
    for (const source of ['package.json', 'package-lock.json', 'tsconfig.base.json', 'apps', 'apps/server', 'apps/web', 'packages']) {
      expect(ignored).not.toContain(source);
    }
  });
});
