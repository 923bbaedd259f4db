import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runServerToExit, startServerProcess } from './support/processes.ts';

/** What a newcomer sees when the server cannot start: one line that says why and what to do, and a non-zero exit. */
describe('start-up refusals', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  const oneLine = (stderr: string) => stderr.trim().split('\n');

  it('names a port that is already in use', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const run = await runServerToExit({ PORT: String(port) });
      expect(run.code).toBe(1);
      expect(oneLine(run.stderr)).toEqual([
        `Cannot start: Port ${port} on 127.0.0.1 is already in use; stop the process using it or set PORT to another port.`,
      ]);
    } finally {
      blocker.close();
    }
  });

  it('names a PostgreSQL server that cannot be reached', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const run = await runServerToExit({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/scheduler' });
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toEqual([
      'Cannot start: Cannot reach PostgreSQL at 127.0.0.1:1 (ECONNREFUSED); is it running? Check DATABASE_URL (postgres://postgres@127.0.0.1:1/scheduler).',
    ]);
  });

  it('refuses a second server on the same embedded data directory, and frees it on shutdown', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'scheduler-lock-'));
    dirs.push(dataDir);
    const first = await startServerProcess({ DATA_DIR: dataDir });
    try {
      expect(existsSync(path.join(dataDir, 'server.lock'))).toBe(true);
      const second = await runServerToExit({ DATA_DIR: dataDir });
      expect(second.code).toBe(1);
      expect(oneLine(second.stderr)).toHaveLength(1);
      expect(second.stderr).toMatch(
        new RegExp(
          `^Cannot start: Another server \\(pid \\d+\\) is already using the embedded database in ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; stop it`,
        ),
      );
    } finally {
      await first.stop();
    }
    expect(first.child.exitCode).toBe(0);
    expect(existsSync(path.join(dataDir, 'server.lock'))).toBe(false);
    // The directory is free again: a new server opens the same data.
    const again = await startServerProcess({ DATA_DIR: dataDir });
    await again.stop();
    expect(again.child.exitCode).toBe(0);
  }, 240_000);
});
