import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTRPCClient, httpBatchLink, httpLink, TRPCClientError } from '@trpc/client';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContextFactory } from '../src/context.ts';
import { trpcResponseMeta } from '../src/http/trpc-queries.ts';
import type { AppRouter } from '../src/index.ts';
import { appRouter } from '../src/routers/root.ts';
import { createEvent } from './support/events.ts';
import type { TestUser } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
/** tRPC's own standalone handler on the same router and dependencies: the reference for every byte. */
let reference: Server;
let referenceUrl: string;
let user: TestUser;
let eventId: number;

beforeAll(async () => {
  user = await ctx.user('trpc');
  eventId = (await createEvent(ctx.api, user, { title: 'over tRPC' })).id;
  reference = createServer(
    createHTTPHandler({
      router: appRouter,
      createContext: createContextFactory(ctx.server.deps),
      basePath: '/trpc/',
      responseMeta: trpcResponseMeta,
    }),
  );
  await new Promise<void>((resolve) => reference.listen(0, '127.0.0.1', resolve));
  referenceUrl = `http://127.0.0.1:${(reference.address() as AddressInfo).port}`;
});
afterAll(async () => {
  // Before the server stops (after-hooks run last-registered first).
  await new Promise((resolve) => reference?.close(resolve));
});

const input = (value: unknown) => encodeURIComponent(JSON.stringify(value));

async function both(path: string, headers: Record<string, string>) {
  const [ours, theirs] = await Promise.all([fetch(`${ctx.url}${path}`, { headers }), fetch(`${referenceUrl}${path}`, { headers })]);
  const read = async (r: Response) => ({
    status: r.status,
    type: r.headers.get('content-type'),
    vary: r.headers.get('vary'),
    allow: r.headers.get('allow'),
    challenge: r.headers.get('www-authenticate'),
    retryAfter: r.headers.get('retry-after'),
    body: await r.text(),
  });
  // The standard handler streams its body (chunked); the direct path writes it whole, with a length.
  const direct = ours.headers.get('content-length') !== null && theirs.headers.get('transfer-encoding') === 'chunked';
  return { ours: await read(ours), theirs: await read(theirs), direct };
}

describe('tRPC over HTTP GET', () => {
  it('answers queries and batches of queries byte for byte as tRPC’s standalone handler does', async () => {
    const auth = { authorization: `Bearer ${user.access}` };
    const cases: Array<[string, Record<string, string>]> = [
      [`/trpc/events.get?input=${input({ id: eventId })}`, auth],
      [`/trpc/events.get?input=${input({ id: 2147480000 })}`, auth],
      [`/trpc/events.get?input=${input({ id: 'abc' })}`, auth],
      [`/trpc/events.get?input=${input({ id: '12' })}`, auth],
      [`/trpc/events.get?input=${input({ id: eventId })}`, {}],
      [`/trpc/events.get?input=${input({ id: eventId })}`, { authorization: 'Bearer nonsense' }],
      ['/trpc/events.get', auth],
      ['/trpc/auth.me', auth],
      [`/trpc/events.list?input=${input({ page_size: 2, role: 'owner' })}`, auth],
      [`/trpc/events.list?input=${input({ page_size: 'lots' })}`, auth],
      [`/trpc/users.search?input=${input({ search: user.username.slice(0, 6) })}`, auth],
      [`/trpc/events.get,auth.me?batch=1&input=${input({ 0: { id: eventId }, 1: {} })}`, auth],
      [`/trpc/events.get,events.get?batch=1&input=${input({ 0: { id: eventId }, 1: { id: 2147480000 } })}`, auth],
      [`/trpc/events.get,events.get?batch=1&input=${input({ 0: { id: 2147480000 }, 1: { id: 'x' } })}`, auth],
      [`/trpc/auth.me,auth.me?batch=1`, auth],
      [`/trpc/auth.me,auth.me?batch=1&input=${input({ 1: {} })}`, auth],
      [`/trpc/auth.me?batch=1&input=${input([{}])}`, auth],
      [`/trpc/auth.me?input=${encodeURIComponent('{not json')}`, auth],
      ['/trpc/nothing.here', auth],
      [`/trpc/events.get,nothing.here?batch=1&input=${input({ 0: { id: eventId } })}`, auth],
      [`/trpc/events.create?input=${input({ title: 'x' })}`, auth],
      ['/trpc/constructor', auth],
      ['/trpc/events.get%ZZ', auth],
      [`/trpc/events.get?input=${input({ id: eventId, as_of: 'yesterday' })}`, auth],
    ];
    // Answered by the standard handler: unknown paths, mutations, input that is not JSON or not an object, bad encoding.
    const standard = new Set([16, 17, 18, 19, 20, 21, 22]);
    for (const [index, [path, headers]] of cases.entries()) {
      const { ours, theirs, direct } = await both(path, headers);
      expect(ours, path).toEqual(theirs);
      expect(direct, `${path} answered directly`).toBe(!standard.has(index));
    }
  });
});

describe('typed clients', () => {
  const clients = () => ({
    batch: createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: `${ctx.url}/trpc`, headers: { authorization: `Bearer ${user.access}` } })],
    }),
    single: createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${ctx.url}/trpc`, headers: { authorization: `Bearer ${user.access}` } })],
    }),
  });

  it('httpBatchLink: batched queries, one failing, and mutations', async () => {
    const { batch } = clients();
    const [event, me, missing] = await Promise.allSettled([
      batch.events.get.query({ id: eventId }),
      batch.auth.me.query({}),
      batch.events.get.query({ id: 2147480000 }),
    ]);
    expect(event).toMatchObject({
      status: 'fulfilled',
      value: { id: eventId, title: 'over tRPC', permissions: [expect.objectContaining({ role: 'OWNER' })] },
    });
    expect(me).toMatchObject({ status: 'fulfilled', value: { id: user.id, username: user.username } });
    expect(missing.status).toBe('rejected');
    const error = (missing as PromiseRejectedResult).reason as TRPCClientError<AppRouter>;
    expect(error).toBeInstanceOf(TRPCClientError);
    expect(error.data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404, appCode: 'NOT_FOUND', path: 'events.get' });

    const { event: updated } = await batch.events.patch.mutate({ id: eventId, title: 'renamed over tRPC' });
    expect(updated.title).toBe('renamed over tRPC');
    const list = await batch.events.list.query({ page_size: 5, role: 'owner', is_recurring: false });
    expect(list.results.map((e) => e.id)).toContain(eventId);
  });

  it('httpLink: single queries, validation errors with details, unauthorized', async () => {
    const { single } = clients();
    expect(await single.events.get.query({ id: eventId })).toMatchObject({ id: eventId });
    const invalid = await single.events.list.query({ page_size: 1000 }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(TRPCClientError);
    expect((invalid as TRPCClientError<AppRouter>).data).toMatchObject({
      code: 'BAD_REQUEST',
      appCode: 'VALIDATION_ERROR',
      details: [expect.objectContaining({ path: 'page_size' })],
    });
    const anonymous = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${ctx.url}/trpc` })] });
    const refused = await anonymous.auth.me.query({}).catch((e: unknown) => e);
    expect((refused as TRPCClientError<AppRouter>).data).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });
  });
});
