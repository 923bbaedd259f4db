import { TRPCClientError } from '@trpc/client';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser, type ApiClient } from '../../api/test/support/http.ts';
import { eventually } from '../../api/test/support/collab.ts';
import { startTestServer, type TestServer } from '../../api/test/support/server.ts';
import { createClient, type LiveMessage } from '../src/index.ts';

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  server = await startTestServer({ ACCESS_TOKEN_TTL: '2s' });
  api = apiClient(server.url);
});
afterAll(() => server?.stop());

const slot = (n: number) => ({ start_time: `2052-01-${String(n).padStart(2, '0')}T10:00:00Z`, end_time: `2052-01-${String(n).padStart(2, '0')}T11:00:00Z` });

describe('@scheduler/client', () => {
  it('logs in and makes typed, batched calls', async () => {
    const user = await registerUser(api, 'typed');
    const client = createClient({ url: server.url, credentials: { username: user.username, password: user.password }, WebSocket });
    try {
      const me = await client.login();
      expect(me).toEqual({ id: user.id, username: user.username, email: user.email });
      const created = await client.trpc.events.create.mutate({ title: 'Typed', ...slot(1) });
      expect(created.event.title).toBe('Typed');
      const [one, list, self] = await Promise.all([
        client.trpc.events.get.query({ id: created.event.id }),
        client.trpc.events.list.query({ page_size: 5 }),
        client.trpc.auth.me.query({}),
      ]);
      expect(one.permissions).toEqual([{ user_id: user.id, username: user.username, role: 'OWNER' }]);
      expect(list.results.map((e) => e.id)).toContain(created.event.id);
      expect(self.id).toBe(user.id);
    } finally {
      client.close();
    }
  });

  it('refreshes an expired access token once and retries the call', async () => {
    const user = await registerUser(api, 'refresher');
    const seen: string[] = [];
    const client = createClient({ url: server.url, token: user.access, refreshToken: user.refresh, WebSocket, onTokens: (t) => seen.push(t.refresh) });
    try {
      await new Promise((r) => setTimeout(r, 2500));
      const results = await Promise.all([client.trpc.auth.me.query({}), client.trpc.events.list.query({})]);
      expect(results[0].id).toBe(user.id);
      expect(seen).toHaveLength(1);
      expect(seen[0]).not.toBe(user.refresh);
      expect(client.tokens.access).not.toBe(user.access);
    } finally {
      client.close();
    }
  });

  it('reports failures as typed errors with the server’s code', async () => {
    const client = createClient({ url: server.url, credentials: { username: 'nobody_here', password: 'wrong-password' }, WebSocket });
    try {
      const error = await client.login().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCClientError);
      expect((error as TRPCClientError<never>).data).toMatchObject({ appCode: 'UNAUTHORIZED', httpStatus: 401 });
    } finally {
      client.close();
    }
  });

  it('follows changes another collaborator makes', async () => {
    const owner = await registerUser(api, 'host');
    const editor = await registerUser(api, 'cohost');
    const ownerClient = createClient({ url: server.url, token: owner.access, refreshToken: owner.refresh, WebSocket });
    const editorClient = createClient({ url: server.url, token: editor.access, refreshToken: editor.refresh, WebSocket });
    const received: LiveMessage[] = [];
    try {
      const { event } = await ownerClient.trpc.events.create.mutate({ title: 'Shared doc', ...slot(2) });
      await ownerClient.trpc.sharing.share.mutate({ id: event.id, user_id: editor.id, role: 'EDITOR' });
      const stop = ownerClient.followChanges({ eventId: event.id, onMessage: (m) => received.push(m) });
      await new Promise((r) => setTimeout(r, 300));
      await editorClient.trpc.events.patch.mutate({ id: event.id, title: 'Edited by the co-host' });
      await eventually(() => expect(received.map((m) => m.type)).toContain('event.updated'));
      const update = received.find((m) => m.type === 'event.updated')!;
      expect(update.actor).toEqual({ id: editor.id, username: editor.username });
      expect(update.event?.title).toBe('Edited by the co-host');
      stop();
    } finally {
      ownerClient.close();
      editorClient.close();
    }
  });
});
