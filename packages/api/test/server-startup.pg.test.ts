import { beforeAll, describe, expect, inject, it } from 'vitest';
import { apiClient, registerUser } from './support/http.ts';
import { runServerToExit, startServerProcess } from './support/processes.ts';

/** Start-up and shutdown against the PostgreSQL server. */
describe('a server on PostgreSQL', () => {
  let missingUrl: string;
  beforeAll(() => {
    const url = new URL(inject('postgresUrl'));
    url.pathname = `/scheduler_missing_${process.pid}`;
    missingUrl = url.toString();
  });

  it('names a database that does not exist and how to create it', async () => {
    const url = new URL(missingUrl);
    const name = url.pathname.slice(1);
    const run = await runServerToExit({ DATABASE_URL: missingUrl });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      `Cannot start: Database "${name}" does not exist on ${url.hostname}:${url.port || '5432'}; create it (createdb -h ${url.hostname} -p ${url.port || '5432'} -U ${decodeURIComponent(url.username) || 'postgres'} ${name}) or fix DATABASE_URL.`,
    ]);
  });

  it('stops on SIGTERM with exit code 0 and no error from the live feed, even while changes are being made', async () => {
    const server = await startServerProcess({ DATABASE_URL: inject('postgresUrl'), LOG_LEVEL: 'info' });
    const api = apiClient(server.url);
    const user = await registerUser(api, 'sigterm');
    // Changes keep the live feed reading while the signal arrives.
    let writing = true;
    const writes = (async () => {
      for (let i = 0; writing && i < 200; i++) {
        await api
          .post('/api/events', {
            token: user.access,
            body: { title: `busy ${i}`, start_time: '2036-01-01T10:00:00Z', end_time: '2036-01-01T10:00:00Z' },
          })
          .catch(() => undefined);
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.stop();
    writing = false;
    await writes;
    expect(server.child.exitCode).toBe(0);
    expect(server.output()).toContain('shutting down');
    expect(server.output()).not.toMatch(/live feed read failed|driver has already been destroyed|session check failed/);
  });
});
