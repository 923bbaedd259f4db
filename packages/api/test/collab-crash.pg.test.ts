import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrateToLatest, openDatabase } from '@scheduler/db';
import { openDoc } from './support/collab.ts';
import { eventually } from './support/eventually.ts';
import { apiClient, registerUser, type ApiClient, type TestUser } from './support/http.ts';
import { crashServerProcess, startServerProcess, type ServerProcess } from './support/processes.ts';
import { HOUR, span } from './support/time.ts';

/**
 * "A crash right after an update was acknowledged loses nothing": real server
 * processes on one PostgreSQL database, real y-websocket clients, SIGKILL.
 *
 * The server relays an update to the other clients only after it is stored,
 * so a second client receiving it is the acknowledgement. The first process
 * writes the text back into the event only after a long quiet time, so at the
 * crash the event still holds the old description and the document can only
 * come back from the stored updates.
 */

/** Fixed for the file, so tokens issued by the first process are valid on the second. */
const JWT_SECRET = randomBytes(32).toString('hex');
/** Servers not yet stopped or crashed (stopped in afterAll). */
const running = new Set<ServerProcess>();

beforeAll(async () => {
  const handle = await openDatabase({ url: inject('postgresUrl') });
  await migrateToLatest(handle.db);
  await handle.close();
});
afterAll(async () => {
  await Promise.all([...running].map((server) => server.stop()));
});

async function start(writebackMs: string): Promise<ServerProcess> {
  const server = await startServerProcess({ DATABASE_URL: inject('postgresUrl'), JWT_SECRET, COLLAB_WRITEBACK_MS: writebackMs });
  running.add(server);
  return server;
}

/** SIGKILL (no shutdown, no write-back); then the old address answers nothing. */
async function crash(server: ServerProcess): Promise<void> {
  await crashServerProcess(server);
  running.delete(server);
  await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
}

async function stop(server: ServerProcess): Promise<void> {
  await server.stop();
  running.delete(server);
}

let slot = 0;
/** An event owned by `owner`, shared with `editor` as EDITOR. */
async function sharedEvent(api: ApiClient, owner: TestUser, editor: TestUser, description: string): Promise<number> {
  slot += 1;
  const created = await api.post('/api/events', {
    token: owner.access,
    body: {
      title: `Crash ${slot}`,
      description,
      ...span(Date.UTC(2034, 0, 1) + slot * 3 * HOUR),
    },
  });
  expect(created.status).toBe(201);
  const eventId = created.body.event.id as number;
  const shared = await api.post(`/api/events/${eventId}/share`, {
    token: owner.access,
    body: { users: [{ user_id: editor.id, role: 'EDITOR' }] },
  });
  expect(shared.status).toBe(200);
  return eventId;
}

async function descriptionOf(api: ApiClient, token: string, eventId: number): Promise<string> {
  const res = await api.get(`/api/events/${eventId}`, { token });
  expect(res.status).toBe(200);
  return res.body.description as string;
}

describe('collaborative editing survives a server crash (SIGKILL)', () => {
  it('keeps an update acknowledged to another client when the server is killed right after', async () => {
    const first = await start('60000');
    const api1 = apiClient(first.url);
    const owner = await registerUser(api1, 'owner');
    const editor = await registerUser(api1, 'editor');
    const seed = 'Agenda: ';
    const eventId = await sharedEvent(api1, owner, editor, seed);

    const typed = 'budget 12k; venue TBD (ask Ada) – ünïcödé ✓';
    const expected = seed + typed;
    const a = openDoc(first.url, eventId, owner.access);
    const b = openDoc(first.url, eventId, editor.access);
    try {
      await Promise.all([a.synced(), b.synced()]);
      expect(b.text.toString()).toBe(seed);
      for (const ch of typed) a.text.insert(a.text.length, ch); // one update per keystroke
      expect(a.text.toString()).toBe(expected);
      // B sees it only after the server stored it: the acknowledgement.
      await eventually(() => expect(b.text.toString()).toBe(expected));
      await crash(first);
    } finally {
      a.destroy();
      b.destroy();
    }

    const second = await start('200');
    const api2 = apiClient(second.url);
    // No write-back happened before the crash: what comes back must come from the stored updates.
    expect(await descriptionOf(api2, owner.access, eventId)).toBe(seed);

    const c = openDoc(second.url, eventId, editor.access);
    try {
      await c.synced();
      expect(c.text.toString()).toBe(expected);
      // Reopening finds edits that were never written back: they land in the event by themselves,
      // as one history version attributed to the user who typed them.
      await eventually(async () => expect(await descriptionOf(api2, owner.access, eventId)).toBe(expected));
      const history = await api2.get(`/api/events/${eventId}/history`, { token: owner.access });
      expect(history.status).toBe(200);
      expect(history.body[0]).toMatchObject({
        change_reason: 'Collaborative edit',
        changed_by: { id: owner.id, username: owner.username },
      });
      // The recovered document is live: one more keystroke, then it is written back into the event.
      c.text.insert(c.text.length, '!');
      await eventually(async () => expect(await descriptionOf(api2, owner.access, eventId)).toBe(`${expected}!`));
    } finally {
      c.destroy();
    }
    await stop(second);
  });

  it('keeps every one of 200 concurrent keystrokes from two editors', async () => {
    const first = await start('60000');
    const api1 = apiClient(first.url);
    const owner = await registerUser(api1, 'owner');
    const editor = await registerUser(api1, 'editor');
    const eventId = await sharedEvent(api1, owner, editor, '');

    const keystrokes = 200;
    const lower = 'abcdefghijklmnopqrstuvwxyz';
    const upper = lower.toUpperCase();
    const a = openDoc(first.url, eventId, owner.access);
    const b = openDoc(first.url, eventId, editor.access);
    let typed = '';
    let converged: string;
    try {
      await Promise.all([a.synced(), b.synced()]);
      for (let i = 0; i < keystrokes; i++) {
        // A types lower case, B upper case, alternating, each at a spread of positions in its own view.
        const [client, ch] = i % 2 === 0 ? [a, lower[(i / 2) % 26]!] : [b, upper[((i - 1) / 2) % 26]!];
        client.text.insert((i * 7) % (client.text.length + 1), ch);
        typed += ch;
        // Let relayed updates arrive between keystrokes, so both type into a moving document.
        await new Promise((resolve) => setImmediate(resolve));
      }
      // Each client holds the other's keystrokes only once the server has stored them.
      await eventually(() => {
        expect(a.text.length).toBe(keystrokes);
        expect(b.text.toString()).toBe(a.text.toString());
      });
      converged = a.text.toString();
      expect([...converged].sort().join('')).toBe([...typed].sort().join(''));
      await crash(first);
    } finally {
      a.destroy();
      b.destroy();
    }

    const second = await start('60000');
    const api2 = apiClient(second.url);
    expect(await descriptionOf(api2, owner.access, eventId)).toBe('');
    // A change that leaves the description alone, made while the document is closed, must not
    // be taken for a new description that replaces the unsaved text.
    expect((await api2.patch(`/api/events/${eventId}`, { token: owner.access, body: { title: 'Renamed after the crash' } })).status).toBe(
      200,
    );

    const c = openDoc(second.url, eventId, owner.access);
    try {
      await c.synced();
      expect(c.text.length).toBe(keystrokes);
      expect(c.text.toString()).toBe(converged);
    } finally {
      c.destroy();
    }
    await stop(second);
  });
});
