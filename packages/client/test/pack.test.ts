import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../api/test/support/server.ts';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const clientDir = path.resolve(here, '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let server: TestServer;
let scratch: string;

beforeAll(async () => {
  server = await startTestServer();
  scratch = mkdtempSync(path.join(tmpdir(), 'scheduler-client-'));
}, 120_000);
afterAll(async () => {
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The client as someone outside this repository gets it: a packed tarball installed into a new project. */
describe('the packed client', () => {
  it('installs from its tarball without the private workspace packages, type-checks and calls the API', async () => {
    const packed = await run(npm, ['pack', '--json', '--pack-destination', scratch], { cwd: clientDir, maxBuffer: 16 * 1024 * 1024 });
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const files = info!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'package.json', 'README.md']));
    expect(files.some((f) => f.startsWith('src/'))).toBe(false);
    const manifest = JSON.parse(readFileSync(path.join(clientDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies).filter((name) => name.startsWith('@scheduler/'))).toEqual([]);

    const project = path.join(scratch, 'project');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
    // Its dependencies (@trpc/*, zod) come from npm's cache when they are there.
    await run(npm, ['install', path.join(scratch, info!.filename), '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock'], {
      cwd: project,
      maxBuffer: 16 * 1024 * 1024,
    });

    // The types travel with it: a wrong input is a compile error, a right one compiles.
    writeFileSync(
      path.join(project, 'check.ts'),
      `import { createClient } from '@scheduler/client';
const client = createClient({ url: 'http://localhost:3000', credentials: { username: 'ada', password: 'correct-horse' } });
export async function ok(): Promise<string> {
  const { event } = await client.trpc.events.create.mutate({ title: 'Planning', start_time: '2025-04-28 09:00', end_time: '2025-04-28 10:00', timezone: 'Europe/Berlin' });
  const title: string = event.title;
  return title;
}
export async function wrong(): Promise<void> {
  // @ts-expect-error title must be a string
  await client.trpc.events.create.mutate({ title: 42, start_time: '2025-04-28 09:00', end_time: '2025-04-28 10:00' });
  // @ts-expect-error there is no such procedure
  await client.trpc.events.nope.query();
}
`,
    );
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          skipLibCheck: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2023', 'dom'],
          types: [],
        },
        files: ['check.ts'],
      }),
    );
    await run(process.execPath, [tsc, '-p', project], { cwd: project }).catch((error: { stdout: string }) => {
      throw new Error(`the installed client's types do not check:\n${error.stdout}`);
    });

    // And it talks to a real server from there.
    writeFileSync(
      path.join(project, 'call.mjs'),
      `import { createClient } from '@scheduler/client';
const url = process.env.API_URL;
const username = 'packed' + Date.now();
const password = 'correct-horse';
await fetch(url + '/api/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, email: username + '@example.com', password }) });
const client = createClient({ url, credentials: { username, password } });
const me = await client.login();
const { event } = await client.trpc.events.create.mutate({ title: 'From the tarball', start_time: '2031-03-28 09:00', end_time: '2031-03-28 10:00', timezone: 'Europe/Berlin' });
const list = await client.trpc.events.list.query({ page_size: 5 });
console.log(JSON.stringify({ me: me.username === username, start: event.start_time, count: list.count }));
await client.close();
`,
    );
    const called = await run(process.execPath, ['call.mjs'], { cwd: project, env: { ...process.env, API_URL: server.url } });
    expect(JSON.parse(called.stdout.trim())).toEqual({ me: true, start: '2031-03-28T08:00:00Z', count: 1 });
  }, 600_000);
});
