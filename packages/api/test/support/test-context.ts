import { afterAll, beforeAll } from 'vitest';
import { createEvent, shareWith } from './events.ts';
import { apiClient, registerUser, type ApiClient, type TestUser } from './http.ts';
import { ownDatabase, type OwnDatabase } from './own-database.ts';
import { startTestServer, type TestServer } from './server.ts';

export interface TestServerOptions {
  /** Configuration on top of the test defaults (see startTestServer). */
  env?: Record<string, string>;
  /** A database of the suite's own (see ownDatabase), for work that spans the whole database. */
  ownDatabase?: boolean;
}

/**
 * One test context for a suite: starts a real server against a real database
 * before the suite's tests and stops it after them (it registers the hooks
 * itself), and hands out what the tests need.
 *
 * Call it at the top level of a test file (or of a describe block). `api` is a
 * stable object, so it can be destructured at once; `server` and `url` exist
 * only once the suite has started.
 */
export function useTestServer(options: TestServerOptions = {}) {
  let server: TestServer | undefined;
  let client: ApiClient | undefined;
  let own: OwnDatabase | undefined;

  beforeAll(async () => {
    if (options.ownDatabase) own = await ownDatabase();
    server = await startTestServer(options.env, own?.handle);
    client = apiClient(server.url);
  });
  afterAll(async () => {
    await server?.stop();
    await own?.drop();
    server = undefined;
    client = undefined;
    own = undefined;
  });

  const started = (): { server: TestServer; client: ApiClient } => {
    if (!server || !client) throw new Error('useTestServer: the server is used outside the suite (before beforeAll or after afterAll)');
    return { server, client };
  };

  /** Forwards to the running server's client. */
  const api: ApiClient = {
    get baseUrl() {
      return started().client.baseUrl;
    },
    call: (method, path, requestOptions) => started().client.call(method, path, requestOptions),
    get: (path, requestOptions) => started().client.get(path, requestOptions),
    post: (path, requestOptions) => started().client.post(path, requestOptions),
    put: (path, requestOptions) => started().client.put(path, requestOptions),
    patch: (path, requestOptions) => started().client.patch(path, requestOptions),
    delete: (path, requestOptions) => started().client.delete(path, requestOptions),
  };

  return {
    get server(): TestServer {
      return started().server;
    },
    /** The server's base URL ("http://127.0.0.1:PORT"). */
    get url(): string {
      return started().server.url;
    },
    api,
    /** Registers a fresh user (unique name) and returns its tokens. */
    user: (prefix?: string): Promise<TestUser> => registerUser(api, prefix),
    /** Registers several fresh users at once. */
    users: (...prefixes: string[]): Promise<TestUser[]> => Promise.all(prefixes.map((prefix) => registerUser(api, prefix))),
    /** Creates an event in a free slot owned by `owner`. */
    event: (owner: TestUser, fields?: Record<string, unknown>) => createEvent(api, owner, fields),
    /** Shares an event with one user in one role. */
    share: (owner: TestUser, eventId: number, user: TestUser, role: 'EDITOR' | 'VIEWER') => shareWith(api, owner, eventId, user, role),
  };
}
