import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEvent } from './support/events.ts';
import type { TestUser } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';

/**
 * Property: whatever arrives at a REST operation (generated ids, query
 * strings, headers and bodies, with a valid token or without), the answer is
 * never a 5xx, and every error is the contract's `{error, code}` JSON.
 */

interface Operation {
  method: string;
  path: string;
  parameters: Array<{ name: string; in: string }>;
  bodyFields: string[];
}

const ctx = useTestServer({ env: { MAX_BODY_BYTES: '65536' } });
let owner: TestUser;
let other: TestUser;
let eventId: number;
let operations: Operation[];

beforeAll(async () => {
  const { api } = ctx;
  owner = await ctx.user('fuzz');
  other = await ctx.user('fuzz_other');
  eventId = (await createEvent(api, owner, { title: 'Fuzzed' })).id;
  const doc = (await api.get('/openapi.json')).body as {
    paths: Record<
      string,
      Record<
        string,
        {
          parameters?: Operation['parameters'];
          requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
        }
      >
    >;
  };
  operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: `/api${path}`,
      parameters: op.parameters ?? [],
      bodyFields: Object.keys(op.requestBody?.content?.['application/json']?.schema?.properties ?? {}),
    })),
  );
});

/** Ids: real ones, numbers at the edges, and things that are not numbers at all. */
const idArb = () =>
  fc.oneof(
    fc
      .constantFrom(
        () => String(eventId),
        () => String(owner.id),
        () => String(other.id),
      )
      .map((f) => f()),
    fc.integer({ min: -5, max: 2 ** 31 + 5 }).map(String),
    fc.constantFrom('0', '-1', '1e3', '9'.repeat(30), '1.5', 'NaN', 'null', '%00', '..', '%2F', 'ｉｄ', '١٢'),
    fc.string({ maxLength: 12 }).map(encodeURIComponent),
  );

/** Values a client might put anywhere: JSON of every kind, and hostile strings. */
const valueArb = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'x'.repeat(300),
    '2025-04-27 8:05',
    '2025-13-45T99:99:99Z',
    'EDITOR',
    'owner',
    'FREQ=DAILY;COUNT=3',
    'weekly',
    '-1',
    'true',
  ),
  fc.string({ maxLength: 40 }),
);

const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);

const requestArb = (op: Operation) =>
  fc.record({
    ids: fc.array(idArb(), { minLength: 4, maxLength: 4 }),
    query: fc.dictionary(
      fc.oneof(
        fc.constantFrom(...op.parameters.filter((p) => p.in === 'query').map((p) => p.name), 'page', 'as_of', 'on_conflict', 'cursor'),
        fc.string({ maxLength: 8 }),
      ),
      fc.oneof(
        valueArb.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
        fc.constant(''),
      ),
      { maxKeys: 4 },
    ),
    body: fc.oneof(
      fc.dictionary(fc.constantFrom(...op.bodyFields, 'title', 'start_time', 'end_time', 'role', 'users', 'events', 'refresh'), valueArb, {
        maxKeys: 6,
      }),
      fc.jsonValue({ maxDepth: 3 }),
      fc.constant(undefined),
    ),
    rawBody: fc.option(fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('{', '[1,', '{"title":', 'a=b&c', '\u0000')), {
      nil: undefined,
    }),
    contentType: fc.constantFrom(
      'application/json',
      'application/x-www-form-urlencoded',
      'text/plain',
      'application/json; charset=latin1',
      'multipart/form-data; boundary=x',
      undefined,
    ),
    headers: fc.dictionary(
      fc.constantFrom('if-match', 'if-none-match', 'x-request-id', 'accept', 'last-event-id', 'x-forwarded-for', 'accept-language'),
      headerValue,
      { maxKeys: 3 },
    ),
    auth: fc.constantFrom('owner', 'other', 'none', 'garbage', 'refresh'),
  });

function fillPath(template: string, ids: string[]): string {
  let i = 0;
  return template.replace(/\{[^}]+\}/g, () => ids[i++ % ids.length]!);
}

type GeneratedRequest = ReturnType<typeof requestArb> extends fc.Arbitrary<infer T> ? T : never;

async function send(op: Operation, req: GeneratedRequest) {
  const url = new URL(ctx.url + fillPath(op.path, req.ids));
  for (const [key, value] of Object.entries(req.query)) url.searchParams.set(key, value);
  const headers: Record<string, string> = { ...req.headers };
  const token = { owner: owner.access, other: other.access, none: undefined, garbage: 'eyJhbGciOi.x.y', refresh: owner.refresh }[req.auth];
  if (token) headers['authorization'] = `Bearer ${token}`;
  let body: string | undefined;
  if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(op.method)) {
    body = req.rawBody ?? (req.body === undefined ? undefined : JSON.stringify(req.body));
    if (req.contentType && body !== undefined) headers['content-type'] = req.contentType;
  }
  const abort = new AbortController();
  const response = await fetch(url, { method: op.method, headers, body, signal: abort.signal });
  // A live stream that opened stays open: its answer is the 200 and its headers.
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    abort.abort();
    return { status: response.status, text: '', type: 'text/event-stream' };
  }
  return { status: response.status, text: await response.text(), type: response.headers.get('content-type') ?? '' };
}

describe('fuzzing every REST operation of the OpenAPI document', () => {
  it('never answers 5xx, and every error is the contract’s JSON error shape', async () => {
    expect(operations.length).toBeGreaterThan(15);
    const seen = new Map<string, Set<number>>();
    for (const op of operations) {
      await fc.assert(
        fc.asyncProperty(requestArb(op), async (req) => {
          const res = await send(op, req);
          const statuses = seen.get(`${op.method} ${op.path}`) ?? new Set<number>();
          statuses.add(res.status);
          seen.set(`${op.method} ${op.path}`, statuses);
          if (res.status >= 500) throw new Error(`${op.method} ${op.path} answered ${res.status}: ${res.text}`);
          if (res.status >= 400) {
            expect(res.type).toMatch(/^application\/json/);
            const parsed = JSON.parse(res.text) as { error?: unknown; code?: unknown };
            expect(typeof parsed.error).toBe('string');
            expect(typeof parsed.code).toBe('string');
          } else if (res.text) {
            if (res.type.startsWith('application/json')) JSON.parse(res.text);
          }
        }),
        // Bounded: the whole document in well under half a minute per database.
        { numRuns: 30, endOnFailure: true },
      );
    }
    // The fuzzing reached past authentication and validation somewhere: some operations succeeded.
    const successes = [...seen.values()].filter((statuses) => [...statuses].some((s) => s < 300));
    expect(successes.length).toBeGreaterThan(3);
  }, 120_000);
});
