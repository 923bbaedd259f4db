import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { WebSocket } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { apiClient, registerUser, type ApiClient, type TestUser } from '../../api/test/support/http.ts';
import { startTestServer, type TestServer } from '../../api/test/support/server.ts';
import {
  createClient,
  TRPCClientError,
  type LiveMessage,
  type SchedulerClient,
  type SchedulerClientError,
  type TokenPair,
} from '../src/index.ts';
import { jwtTimes, Session } from '../src/session.ts';

/** A real server with the default token lifetimes, and one whose access tokens live 2 seconds. */
let server: TestServer;
let shortServer: TestServer;
let api: ApiClient;
let shortApi: ApiClient;

/** The paths of the HTTP requests each server received (to count batches and refreshes). */
const requests = new Map<TestServer, string[]>();
/** The sockets upgraded to WebSockets on `server`, to cut connections. */
const upgraded = new Set<Duplex>();

beforeAll(async () => {
  [server, shortServer] = await Promise.all([startTestServer(), startTestServer({ ACCESS_TOKEN_TTL: '2s' })]);
  api = apiClient(server.url);
  shortApi = apiClient(shortServer.url);
  for (const s of [server, shortServer]) {
    requests.set(s, []);
    s.server.on('request', (req: IncomingMessage) => requests.get(s)!.push(`${req.method} ${req.url}`));
  }
  server.server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
  });
});
afterAll(async () => {
  await Promise.all([server?.stop(), shortServer?.stop()]);
});

const open: SchedulerClient[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** A client for `user` on `target`, closed after the test. */
function clientFor(
  target: TestServer,
  user: { access: string; refresh?: string | undefined },
  onTokens?: (pair: TokenPair) => void,
): SchedulerClient {
  const client = createClient({ url: target.url, token: user.access, refreshToken: user.refresh, WebSocket, onTokens });
  open.push(client);
  return client;
}

let day = 0;
/** A new one-hour slot for each event, so no two events of a test overlap. */
const slot = () => {
  const start = new Date(Date.UTC(2053, 0, 1, 9) + day++ * 86_400_000);
  const rfc3339 = (d: Date) => d.toISOString().replace('.000Z', 'Z'); // as the API writes times
  return { start_time: rfc3339(start), end_time: rfc3339(new Date(start.getTime() + 3_600_000)) };
};

const sinceNow = (target: TestServer) => {
  const seen = requests.get(target)!;
  const from = seen.length;
  return () => seen.slice(from);
};

/** Waits until the server refuses the token (it has expired). */
const expired = (target: ApiClient, token: string) =>
  vi.waitFor(async () => expect((await target.get('/api/auth/me', { token })).status).toBe(401), { timeout: 10_000, interval: 200 });

/** Cuts every WebSocket to `server` and refuses new ones while `work` runs, then lets them in again. */
async function whileDisconnected(work: () => Promise<void>): Promise<void> {
  const listeners = server.server.listeners('upgrade') as Array<(...args: unknown[]) => void>;
  server.server.removeAllListeners('upgrade');
  server.server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => socket.destroy());
  for (const socket of upgraded) socket.destroy();
  try {
    await work();
  } finally {
    server.server.removeAllListeners('upgrade');
    for (const listener of listeners) server.server.on('upgrade', listener);
  }
}

/** Resolves on the subscription's next `started`. */
function startedSignal() {
  let resolve!: () => void;
  let count = 0;
  let next = new Promise<void>((r) => (resolve = r));
  return {
    onStarted: () => {
      count++;
      resolve();
      next = new Promise<void>((r) => (resolve = r));
    },
    get count() {
      return count;
    },
    wait: () => next,
  };
}

async function sharedEvent(owner: TestUser, editor: TestUser, target: ApiClient, title: string) {
  const created = await target.post('/api/events', { token: owner.access, body: { title, ...slot() } });
  expect(created.status).toBe(201);
  const shared = await target.post(`/api/events/${created.body.event.id}/share`, {
    token: owner.access,
    body: { users: [{ user_id: editor.id, role: 'EDITOR' }] },
  });
  expect(shared.status).toBe(200);
  expect(shared.body.permissions).toContainEqual({ user_id: editor.id, username: editor.username, role: 'EDITOR' });
  return created.body.event.id as number;
}

describe('typed calls', () => {
  it('logs in with credentials, then creates an event and reads it back through typed procedures', async () => {
    const user = await registerUser(api, 'typed');
    const client = createClient({ url: `${server.url}/`, credentials: { username: user.username, password: user.password }, WebSocket });
    open.push(client);

    const me = await client.login();
    expect(me).toEqual({ id: user.id, username: user.username, email: user.email });
    expect(client.tokens.access).toEqual(expect.any(String));
    expect(client.tokens.refresh).toEqual(expect.any(String));

    const when = slot();
    const created = await client.trpc.events.create.mutate({
      title: 'Typed planning',
      description: 'Quarterly',
      location: 'Board Room',
      ...when,
    });
    expectTypeOf(created.event.id).toEqualTypeOf<number>();
    expect(created.message).toBe('Event created successfully');
    expect(created.event).toMatchObject({ title: 'Typed planning', version: 1, my_role: 'OWNER', owner_id: user.id, ...when });

    const read = await client.trpc.events.get.query({ id: created.event.id });
    expectTypeOf(read.permissions).items.toHaveProperty('role');
    expect(read).toMatchObject({ ...created.event, permissions: [{ user_id: user.id, username: user.username, role: 'OWNER' }] });
    // The same event as REST clients see it.
    const rest = await api.get(`/api/events/${created.event.id}`, { token: client.tokens.access });
    expect(rest.body).toEqual(read);
  });

  it('creates a calendar feed, reads it and imports it elsewhere through typed procedures', async () => {
    const [ada, grace] = await Promise.all([registerUser(api, 'calfeed'), registerUser(api, 'calimport')]);
    const client = clientFor(server, ada);
    const when = slot();
    await client.trpc.events.create.mutate({ title: 'Typed feed', ...when });
    const { url } = await client.trpc.calendar.createFeed.mutate({});
    const secret = /\/api\/calendar\/([\w-]+)\.ics$/.exec(url)![1]!;
    const feed = await client.trpc.calendar.feed.query({ secret });
    expectTypeOf(feed.calendar).toEqualTypeOf<string | null>();
    expect(feed.etag).toMatch(/^"[\w-]+"$/);
    expect(feed.calendar).toContain('SUMMARY:Typed feed');
    const imported = await clientFor(server, grace).trpc.calendar.import.mutate({ calendar: feed.calendar! });
    expect(imported.errors).toEqual([]);
    expect(imported.created_events).toEqual([expect.objectContaining({ title: 'Typed feed', owner_id: grace.id, ...when })]);
  });

  it('sends calls made together as one batched HTTP request', async () => {
    const user = await registerUser(api, 'batcher');
    const client = clientFor(server, user);
    const ids = [];
    for (const title of ['One', 'Two', 'Three']) ids.push((await client.trpc.events.create.mutate({ title, ...slot() })).event.id);

    const trpcRequests = sinceNow(server);
    const [a, b, c, list, me] = await Promise.all([
      client.trpc.events.get.query({ id: ids[0]! }),
      client.trpc.events.get.query({ id: ids[1]! }),
      client.trpc.events.get.query({ id: ids[2]! }),
      client.trpc.events.list.query({ page_size: 10, sort: 'start_time' }),
      client.trpc.auth.me.query({}),
    ]);
    expect([a.title, b.title, c.title]).toEqual(['One', 'Two', 'Three']);
    expect(list.results.map((e) => e.id)).toEqual(ids);
    expect(me.id).toBe(user.id);
    const sent = trpcRequests().filter((r) => r.includes('/trpc/'));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^GET \/trpc\/events\.get,events\.get,events\.get,events\.list,auth\.me\?batch=1&/);
  });

  it('a failed login is a TRPCClientError carrying the API error code', async () => {
    const user = await registerUser(api, 'wrongpw');
    const wrong = createClient({ url: server.url, credentials: { username: user.username, password: 'not-the-password' }, WebSocket });
    open.push(wrong);
    const error = await wrong.login().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).data).toMatchObject({
      appCode: 'UNAUTHORIZED',
      code: 'UNAUTHORIZED',
      httpStatus: 401,
      path: 'auth.login',
    });
    expect(wrong.tokens).toEqual({ access: undefined, refresh: undefined });

    // An unknown user gets the same answer, and the tRPC procedure agrees with the REST login.
    const unknown = await wrong.login({ username: 'nobody_at_all_here', password: 'whatever-password' }).catch((e: unknown) => e);
    expect((unknown as TRPCClientError<never>).data).toMatchObject({ appCode: 'UNAUTHORIZED' });
    const viaTrpc = await wrong.trpc.auth.login.mutate({ username: user.username, password: 'not-the-password' }).catch((e: unknown) => e);
    expect(viaTrpc).toBeInstanceOf(TRPCClientError);
    expect((viaTrpc as TRPCClientError<never>).data).toMatchObject({ appCode: 'UNAUTHORIZED', httpStatus: 401 });
    expect((viaTrpc as Error).message).toBe((error as Error).message);

    const noCredentials = createClient({ url: server.url, WebSocket });
    open.push(noCredentials);
    await expect(noCredentials.login()).rejects.toThrow(/no credentials/);
  });

  it('reports validation errors with the details the API gives', async () => {
    const user = await registerUser(api, 'invalid');
    const client = clientFor(server, user);
    const { start_time, end_time } = slot();
    const error = await client.trpc.events.create
      .mutate({ title: 'Backwards', start_time: end_time, end_time: start_time })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    const data = (error as SchedulerClientError).data;
    expect(data).toMatchObject({ appCode: 'VALIDATION_ERROR', httpStatus: 400 });
    expect(data?.details?.map((d) => d.path)).toContain('end_time');
  });

  it('without a refresh token, UNAUTHORIZED is final', async () => {
    const onTokens = vi.fn();
    const client = clientFor(server, { access: 'not-a-token' }, onTokens);
    const sent = sinceNow(server);
    const error = await client.trpc.auth.me.query({}).catch((e: unknown) => e);
    expect((error as TRPCClientError<never>).data).toMatchObject({ appCode: 'UNAUTHORIZED' });
    expect(sent()).toHaveLength(1);
    expect(onTokens).not.toHaveBeenCalled();
  });
});

describe('automatic token refresh (access tokens live 2 s)', () => {
  it('refreshes an expired access token once for concurrent calls, retries them, and reports the rotated pair', async () => {
    const user = await registerUser(shortApi, 'refresher');
    const pairs: TokenPair[] = [];
    const client = clientFor(shortServer, user, (pair) => pairs.push(pair));
    const { event } = await client.trpc.events.create.mutate({ title: 'Before expiry', ...slot() });

    await expired(shortApi, user.access);
    const sent = sinceNow(shortServer);
    const [me, list, read] = await Promise.all([
      client.trpc.auth.me.query({}),
      client.trpc.events.list.query({}),
      client.trpc.events.get.query({ id: event.id }),
    ]);
    expect(me.id).toBe(user.id);
    expect(list.results.map((e) => e.id)).toContain(event.id);
    expect(read.title).toBe('Before expiry');

    expect(sent().filter((r) => r === 'POST /api/auth/refresh')).toHaveLength(1);
    expect(pairs).toHaveLength(1);
    expect(pairs[0]!.access).not.toBe(user.access);
    expect(pairs[0]!.refresh).not.toBe(user.refresh);
    expect(client.tokens).toEqual(pairs[0]);
    // The failed batch and its retry, around one refresh.
    expect(sent().filter((r) => r.startsWith('GET /trpc/'))).toHaveLength(2);

    // The next expiry uses the rotated refresh token (the spent one would end the session).
    await expired(shortApi, pairs[0]!.access);
    expect((await client.trpc.events.patch.mutate({ id: event.id, title: 'After two refreshes' })).event.version).toBe(2);
    expect(pairs).toHaveLength(2);
    expect(pairs[1]!.refresh).not.toBe(pairs[0]!.refresh);
  });

  it('gives up after one failed refresh when the session has ended', async () => {
    const user = await registerUser(shortApi, 'loggedout');
    const onTokens = vi.fn();
    const client = clientFor(shortServer, user, onTokens);
    expect((await shortApi.post('/api/auth/logout', { body: { refresh: user.refresh } })).status).toBe(205);

    const sent = sinceNow(shortServer);
    const error = await client.trpc.auth.me.query({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).data).toMatchObject({ appCode: 'UNAUTHORIZED', path: 'auth.me' });
    expect(sent().filter((r) => r === 'POST /api/auth/refresh')).toHaveLength(1);
    expect(client.tokens.refresh).toBeUndefined();

    // No further refresh attempts with a refresh token the server refused.
    await expect(client.trpc.auth.me.query({})).rejects.toBeInstanceOf(TRPCClientError);
    expect(sent().filter((r) => r === 'POST /api/auth/refresh')).toHaveLength(1);
    expect(onTokens).not.toHaveBeenCalled();
  });

  it('does not refresh when a login or logout call itself is refused', async () => {
    const user = await registerUser(shortApi, 'norefresh');
    const onTokens = vi.fn();
    const client = clientFor(shortServer, user, onTokens);
    const sent = sinceNow(shortServer);
    await expect(client.trpc.auth.login.mutate({ username: user.username, password: 'wrong-password' })).rejects.toMatchObject({
      data: { appCode: 'UNAUTHORIZED' },
    });
    await expect(client.trpc.auth.logout.mutate({ refresh: 'not-a-refresh-token' })).rejects.toMatchObject({
      data: { appCode: 'UNAUTHORIZED' },
    });
    expect(sent().filter((r) => r.includes('refresh') && r.startsWith('POST /api/'))).toEqual([]);
    expect(onTokens).not.toHaveBeenCalled();
  });
});

describe('followChanges', () => {
  it('delivers a collaborator’s update with the new title; stopping and closing end the subscriptions', async () => {
    const owner = await registerUser(api, 'host');
    const editor = await registerUser(api, 'cohost');
    const eventId = await sharedEvent(owner, editor, api, 'Shared agenda');
    const ownerClient = clientFor(server, owner);
    const editorClient = clientFor(server, editor);

    const received: Array<{ message: LiveMessage; id: string }> = [];
    const everything: LiveMessage[] = [];
    const started = startedSignal();
    const all = startedSignal();
    const stop = ownerClient.followChanges({
      eventId,
      onMessage: (message, id) => received.push({ message, id }),
      onStarted: started.onStarted,
    });
    ownerClient.followChanges({ onMessage: (message) => everything.push(message), onStarted: all.onStarted });
    await Promise.all([started.wait(), all.wait()]);

    const { event } = await editorClient.trpc.events.patch.mutate({ id: eventId, title: 'Edited by the co-host' });
    await vi.waitFor(() => expect(received).toHaveLength(1));
    const [{ message, id }] = received as [{ message: LiveMessage; id: string }];
    expect(id).toMatch(/^\d+$/);
    expect(message).toMatchObject({ type: 'event.updated', event_id: eventId, actor: { id: editor.id, username: editor.username } });
    expect(message.event).toEqual({ ...event, my_role: 'OWNER' });
    expect(message.event?.title).toBe('Edited by the co-host');
    await vi.waitFor(() => expect(everything.map((m) => m.type)).toEqual(['event.updated']));

    expect(server.deps.live.subscriberCount).toBe(2);
    stop();
    await vi.waitFor(() => expect(server.deps.live.subscriberCount).toBe(1));
    await ownerClient.close();
    await vi.waitFor(() => expect(server.deps.live.subscriberCount).toBe(0));
  });

  it('resumes after a dropped connection without missing or repeating a change', async () => {
    const owner = await registerUser(api, 'dropped');
    const editor = await registerUser(api, 'writer');
    const eventId = await sharedEvent(owner, editor, api, 'Draft 1');
    const ownerClient = clientFor(server, owner);
    const received: Array<{ title: string | undefined; id: number }> = [];
    const started = startedSignal();
    ownerClient.followChanges({
      eventId,
      onMessage: (m, id) => received.push({ title: m.event?.title, id: Number(id) }),
      onStarted: started.onStarted,
    });
    await started.wait();
    const edit = (title: string) => api.patch(`/api/events/${eventId}`, { token: editor.access, body: { title } });

    expect((await edit('Draft 2')).status).toBe(200);
    await vi.waitFor(() => expect(received).toHaveLength(1));

    // Cut the connection and refuse new ones while the editor goes on writing.
    await whileDisconnected(async () => {
      expect((await edit('Draft 3')).status).toBe(200);
      expect((await edit('Draft 4')).status).toBe(200);
    });

    await vi.waitFor(() => expect(received.map((r) => r.title)).toEqual(['Draft 2', 'Draft 3', 'Draft 4']), { timeout: 15_000 });
    expect(started.count).toBe(2);
    const ids = received.map((r) => r.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(3);
    // Nothing else arrives later.
    expect((await edit('Draft 5')).status).toBe(200);
    await vi.waitFor(() => expect(received.map((r) => r.title)).toEqual(['Draft 2', 'Draft 3', 'Draft 4', 'Draft 5']));
  });

  it('misses nothing when the connection drops before the first change arrives', async () => {
    const owner = await registerUser(api, 'early');
    const editor = await registerUser(api, 'early-writer');
    const eventId = await sharedEvent(owner, editor, api, 'Plan 1');
    const ownerClient = clientFor(server, owner);
    const received: string[] = [];
    const started = startedSignal();
    ownerClient.followChanges({ eventId, onMessage: (m) => received.push(m.event?.title ?? m.type), onStarted: started.onStarted });
    await started.wait();
    const edit = (title: string) => api.patch(`/api/events/${eventId}`, { token: editor.access, body: { title } });

    // No message yet when the connection drops; changes are made while it is down.
    await whileDisconnected(async () => {
      expect((await edit('Plan 2')).status).toBe(200);
      expect((await edit('Plan 3')).status).toBe(200);
    });
    await vi.waitFor(() => expect(received).toEqual(['Plan 2', 'Plan 3']), { timeout: 15_000 });
    expect(started.count).toBe(2);
  });

  it('resumes after a message id kept from an earlier run', async () => {
    const owner = await registerUser(api, 'keeper');
    const editor = await registerUser(api, 'scribe');
    const eventId = await sharedEvent(owner, editor, api, 'Minutes');
    const ownerClient = clientFor(server, owner);
    const edit = (title: string) => api.patch(`/api/events/${eventId}`, { token: editor.access, body: { title } });

    const first: string[] = [];
    const started = startedSignal();
    const stop = ownerClient.followChanges({ eventId, onMessage: (_m, id) => first.push(id), onStarted: started.onStarted });
    await started.wait();
    await edit('Minutes v2');
    await vi.waitFor(() => expect(first).toHaveLength(1));
    stop();

    await edit('Minutes v3');
    await edit('Minutes v4');
    const titles: Array<string | undefined> = [];
    ownerClient.followChanges({ eventId, lastEventId: first[0], onMessage: (m) => titles.push(m.event?.title) });
    await vi.waitFor(() => expect(titles).toEqual(['Minutes v3', 'Minutes v4']));
  });

  it('keeps following across access-token expiry, refreshing the token the WebSocket uses', async () => {
    const owner = await registerUser(shortApi, 'longwatch');
    const editor = await registerUser(shortApi, 'latewriter');
    const eventId = await sharedEvent(owner, editor, shortApi, 'Long meeting');
    const ownerPairs: TokenPair[] = [];
    const ownerClient = clientFor(shortServer, owner, (pair) => ownerPairs.push(pair));
    const editorClient = clientFor(shortServer, editor);
    const titles: Array<string | undefined> = [];
    const errors: unknown[] = [];
    const started = startedSignal();
    ownerClient.followChanges({
      eventId,
      onMessage: (m) => titles.push(m.event?.title),
      onError: (e) => errors.push(e),
      onStarted: started.onStarted,
    });
    await started.wait();

    // The server ends the subscription when the token expires; the client comes back with a new one.
    await expired(shortApi, owner.access);
    await vi.waitFor(() => expect(started.count).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    // Tokens live 2 s here: a machine that stalls longer legitimately refreshes again.
    expect(ownerPairs.length).toBeGreaterThanOrEqual(1);

    // The editor's token has expired too: its update refreshes on the way.
    await editorClient.trpc.events.patch.mutate({ id: eventId, title: 'Still on' });
    await vi.waitFor(() => expect(titles).toEqual(['Still on']));
    expect(errors).toEqual([]);
    expect(shortServer.deps.live.subscriberCount).toBe(1);
  });

  it('a subscription refused on a connection opened with a now-expired token refreshes, reconnects and starts', async () => {
    const owner = await registerUser(shortApi, 'idle');
    const editor = await registerUser(shortApi, 'waker');
    const eventId = await sharedEvent(owner, editor, shortApi, 'Idle connection');
    const pairs: TokenPair[] = [];
    const ownerClient = clientFor(shortServer, owner, (pair) => pairs.push(pair));
    const first = startedSignal();
    const stop = ownerClient.followChanges({ eventId, onMessage: () => undefined, onStarted: first.onStarted });
    await first.wait();
    stop(); // the WebSocket stays open a while (lazy close), still holding the first token
    await vi.waitFor(() => expect(shortServer.deps.live.subscriberCount).toBe(0));
    await expired(shortApi, owner.access);
    expect(pairs).toEqual([]);

    const sent = sinceNow(shortServer);
    const titles: Array<string | undefined> = [];
    const errors: unknown[] = [];
    const second = startedSignal();
    ownerClient.followChanges({
      eventId,
      onMessage: (m) => titles.push(m.event?.title),
      onError: (e) => errors.push(e),
      onStarted: second.onStarted,
    });
    await second.wait();
    // Tokens live 2 s here: a machine that stalls longer legitimately refreshes again.
    expect(pairs.length).toBeGreaterThanOrEqual(1);
    expect(sent().filter((r) => r === 'POST /api/auth/refresh').length).toBe(pairs.length);
    await clientFor(shortServer, editor).trpc.events.patch.mutate({ id: eventId, title: 'Woken up' });
    await vi.waitFor(() => expect(titles).toEqual(['Woken up']));
    expect(errors).toEqual([]);
  });

  it('reports why the server refused the subscription', async () => {
    const owner = await registerUser(api, 'private');
    const stranger = await registerUser(api, 'stranger');
    const { body } = await api.post('/api/events', { token: owner.access, body: { title: 'Private', ...slot() } });
    const strangerClient = clientFor(server, stranger);
    const errors: unknown[] = [];
    strangerClient.followChanges({ eventId: body.event.id, onMessage: () => undefined, onError: (e) => errors.push(e) });
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toBeInstanceOf(TRPCClientError);
    expect((errors[0] as TRPCClientError<never>).data).toMatchObject({ appCode: 'NOT_FOUND' });
  });
});

describe('signing up and out', () => {
  it('registers (signed in at once), signs out (the refresh token is dead), and reports a session that ended', async () => {
    const pairs: TokenPair[] = [];
    const ended = vi.fn();
    const client = createClient({ url: shortServer.url, WebSocket, onTokens: (pair) => pairs.push(pair), onSessionEnded: ended });
    open.push(client);
    const username = `signup_${Date.now().toString(36)}`;
    const user = await client.register({ username, email: `${username}@example.com`, password: 'correct-horse-battery' });
    expect(user.username).toBe(username);
    expect(pairs).toHaveLength(1);
    expect((await client.trpc.auth.me.query({})).id).toBe(user.id);
    const refresh = client.tokens.refresh!;

    await client.logout();
    expect(client.tokens).toEqual({ access: undefined, refresh: undefined });
    expect((await shortApi.post('/api/auth/refresh', { body: { refresh } })).status).toBe(401);
    expect(ended).not.toHaveBeenCalled();

    // Another client still holding a refresh token of an ended session is told once, and forgets it.
    const other = createClient({ url: shortServer.url, refreshToken: refresh, WebSocket, onSessionEnded: ended });
    open.push(other);
    expect(await other.freshToken()).toBeUndefined();
    expect(ended).toHaveBeenCalledTimes(1);
    expect(other.tokens.refresh).toBeUndefined();
  });

  it('freshToken refreshes an expiring access token for connections of your own', async () => {
    const user = await registerUser(shortApi, 'fresh');
    const client = clientFor(shortServer, user);
    expect(await client.freshToken()).toBe(user.access);
    await expired(shortApi, user.access);
    const token = await client.freshToken();
    expect(token).not.toBe(user.access);
    expect((await shortApi.get('/api/auth/me', { token })).status).toBe(200);
  });
});

describe('session', () => {
  it('reads token lifetimes and opens WebSocket connections with a fresh token, refreshing an expired one first', async () => {
    const user = await registerUser(shortApi, 'session');
    expect(jwtTimes(user.access).exp! - jwtTimes(user.access).iat!).toBe(2);
    expect(jwtTimes('not-a-jwt')).toEqual({});
    const pairs: TokenPair[] = [];
    const session = new Session(shortServer.url, { access: user.access, refresh: user.refresh }, (pair) => pairs.push(pair));
    expect(session.expiresSoon(jwtTimes(user.access).iat)).toBe(false);
    expect(await session.tokenForConnection()).toBe(user.access);

    await expired(shortApi, user.access);
    expect(session.expiresSoon()).toBe(true);
    const [token, again] = await Promise.all([session.tokenForConnection(), session.tokenForConnection()]);
    expect(token).not.toBe(user.access);
    expect(again).toBe(token);
    expect(pairs).toHaveLength(1);
    expect(session.connectionToken).toBe(token);
    expect((await shortApi.get('/api/auth/me', { token })).status).toBe(200);
  });
});

describe('packaging', () => {
  it('uses the server’s router for its type only: nothing of the server is imported at run time', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const result = await build({
      entryPoints: [path.join(here, '../src/index.ts')],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'neutral',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
    });
    const output = Object.values(result.metafile.outputs)[0]!;
    const imported = [...new Set(output.imports.map((i) => i.path))].sort();
    // The shared package (schemas and the error-code table) is the client's own dependency, not the server.
    expect(imported).toEqual(['@scheduler/shared', '@trpc/client', '@trpc/server/observable', '@trpc/server/rpc']);
    expect(Object.keys(result.metafile.inputs).every((file) => file.startsWith('packages/client/src/') || file.startsWith('src/'))).toBe(
      true,
    );
  });
});
