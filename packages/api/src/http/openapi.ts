import { ZErrorBody } from '@scheduler/shared';
import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import type { AppRouter } from '../routers/root.ts';
import type { ErrorStatus, ProcedureMeta } from '../trpc.ts';
import { OPERATION_EXAMPLES, PARAMETER_EXAMPLES } from './openapi-examples.ts';

/** MessagePack is read and written besides JSON (same shapes); `Accept` or `Content-Type` selects it. */
const MSGPACK_TYPES = ['application/msgpack', 'application/vnd.msgpack'];

type DocumentedStatus = ErrorStatus | 413 | 415;

/** Each error answer: what it means and an example body with its own code. */
const ERROR_RESPONSES: Record<DocumentedStatus, { description: string; example: Record<string, unknown> }> = {
  400: {
    description: 'Invalid body, query or path (VALIDATION_ERROR); `details` names each field',
    example: {
      error: 'start_time: must be an RFC 3339 / ISO 8601 time, e.g. 2025-04-27T08:05:00Z',
      code: 'VALIDATION_ERROR',
      details: [{ path: 'start_time', message: 'must be an RFC 3339 / ISO 8601 time, e.g. 2025-04-27T08:05:00Z' }],
    },
  },
  401: {
    description:
      'No token, or one that is malformed, expired, revoked or of the wrong type; or bad credentials (UNAUTHORIZED). `WWW-Authenticate: Bearer` is set',
    example: { error: 'Authentication credentials were not provided.', code: 'UNAUTHORIZED' },
  },
  403: {
    description: 'You can see the event but your role does not allow this (FORBIDDEN)',
    example: { error: 'Your role on this event (VIEWER) does not allow this', code: 'FORBIDDEN' },
  },
  404: {
    description: 'No such thing, or you have no access to it (NOT_FOUND)',
    example: { error: 'Event 24 not found', code: 'NOT_FOUND' },
  },
  409: {
    description: 'Duplicate (CONFLICT) or overlapping events (EVENT_CONFLICT, with `conflicts`)',
    example: {
      error: 'The event overlaps other events on the owner’s calendar',
      code: 'EVENT_CONFLICT',
      conflicts: [{ id: 19, title: 'Dentist', start_time: '2025-04-28T07:30:00Z', end_time: '2025-04-28T08:30:00Z' }],
    },
  },
  410: {
    description: 'The cursor is too old to serve; sync again without one (GONE)',
    example: { error: 'The cursor is too old; start again without one', code: 'GONE' },
  },
  412: {
    description: '`If-Match` or the body’s `version` is not the current version (PRECONDITION_FAILED)',
    example: { error: 'The event is at version 4, not 3', code: 'PRECONDITION_FAILED' },
  },
  413: {
    description: 'Body over the size limit (PAYLOAD_TOO_LARGE)',
    example: { error: 'The request body is larger than 10485760 bytes', code: 'PAYLOAD_TOO_LARGE' },
  },
  415: {
    description: 'A content type the API does not read, or JSON labelled as a form (UNSUPPORTED_MEDIA_TYPE)',
    example: {
      error: 'The body looks like JSON but is labelled application/x-www-form-urlencoded; send Content-Type: application/json',
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
  },
  429: {
    description: 'Too many failed attempts (RATE_LIMITED); retry after `Retry-After` seconds',
    example: { error: 'Too many failed logins; try again in 900 seconds', code: 'RATE_LIMITED' },
  },
};

/** A free/busy question about someone the caller may not ask about (or who does not exist). */
const FREEBUSY_NOT_FOUND = {
  error: 'No user you may ask about: "linus"',
  code: 'NOT_FOUND',
  details: [{ path: 'users.1', message: 'no user "linus" you may ask about (unknown, or not in a team with you)' }],
};

/** Per-operation wording where the generic example would mislead. */
const ERROR_EXAMPLE_OVERRIDES: Record<string, Partial<Record<DocumentedStatus, Record<string, unknown>>>> = {
  'auth-register': { 409: { error: 'A user with that username already exists.', code: 'CONFLICT' } },
  'auth-login': { 401: { error: 'No active account found with the given credentials', code: 'UNAUTHORIZED' } },
  'auth-refresh': { 401: { error: 'The refresh token has been revoked; sign in again', code: 'UNAUTHORIZED' } },
  'auth-logout': { 401: { error: 'The refresh token has been revoked; sign in again', code: 'UNAUTHORIZED' } },
  'history-get': {
    404: {
      error: "version_id 7 of event 24 not found; the event's version_ids are listed by GET /api/events/24/history",
      code: 'NOT_FOUND',
    },
  },
  'history-rollback': {
    404: {
      error: "version_id 7 of event 24 not found; the event's version_ids are listed by GET /api/events/24/history",
      code: 'NOT_FOUND',
    },
  },
  'history-diff': {
    404: {
      error: "version_id 7 of event 24 not found; the event's version_ids are listed by GET /api/events/24/history",
      code: 'NOT_FOUND',
    },
  },
  'sharing-share': { 404: { error: 'User 99 not found', code: 'NOT_FOUND' } },
  'teams-get': { 404: { error: 'Team not found', code: 'NOT_FOUND' } },
  'teams-removeMember': {
    400: {
      error: 'A team needs an admin: make someone else admin first, or delete the team',
      code: 'VALIDATION_ERROR',
      details: [{ path: 'user_id', message: 'is the team’s last admin' }],
    },
  },
  'invitations-create': {
    404: { error: 'User 99 not found', code: 'NOT_FOUND' },
    409: { error: 'linus already has a pending invitation to the event', code: 'CONFLICT' },
  },
  'invitations-accept': {
    404: { error: 'Invitation not found', code: 'NOT_FOUND' },
    409: { error: 'The invitation is no longer pending (it was cancelled)', code: 'CONFLICT' },
  },
  'invitations-decline': {
    404: { error: 'Invitation not found', code: 'NOT_FOUND' },
    409: { error: 'The invitation is no longer pending (it was accepted)', code: 'CONFLICT' },
  },
  'invitations-cancel': {
    404: { error: 'Invitation not found', code: 'NOT_FOUND' },
    409: { error: 'The invitation is no longer pending (it was declined)', code: 'CONFLICT' },
  },
  'webhooks-create': { 409: { error: 'You already have 20 webhooks, the most allowed; delete one first', code: 'CONFLICT' } },
  'webhooks-get': { 404: { error: 'Webhook not found', code: 'NOT_FOUND' } },
  'webhooks-delete': { 404: { error: 'Webhook not found', code: 'NOT_FOUND' } },
  'webhooks-deliveries': { 404: { error: 'Webhook not found', code: 'NOT_FOUND' } },
  'webhooks-ping': { 404: { error: 'Webhook not found', code: 'NOT_FOUND' } },
  'freebusy-busy': { 404: FREEBUSY_NOT_FOUND },
  'freebusy-suggest': { 404: FREEBUSY_NOT_FOUND },
};

/** What each query and path parameter means, by name (operation-specific wording first). */
const PARAMETER_DOCS: Record<string, string> = {
  id: 'The event’s id',
  user_id: 'The user whose permission this is',
  version_id:
    'A version’s global id (`version_id` in the history listing, `history_id` in the changelog), not the per-event `version` number',
  version_id1: 'The older version’s global `version_id` (from the history listing), not its per-event `version` number',
  version_id2: 'The newer version’s global `version_id` (from the history listing), not its per-event `version` number',
  detail: '`true` adds `ops`: a word-level diff (`equal` / `insert` / `delete` runs) for the text fields',
  page: 'Page number, from 1 (default 1). Use `page`/`page_size` or `skip`/`limit`, not both',
  page_size: 'Events per page (default 10, at most 100)',
  skip: 'Offset into the results, seed-000 style: the alternative to `page` (`skip=20&limit=10` is page 3 of 10)',
  limit: 'At most this many items (with `skip` in the event listing: the page size, at most 100)',
  start_date: 'Window start: events overlapping [start_date, end_date]; a recurring event matches when one of its occurrences does',
  end_date: 'Window end (see start_date)',
  q: 'Text to find in the title, description or location (case-insensitive)',
  location: 'Only events at this location (case-insensitive substring)',
  is_recurring: '`true`: only recurring events; `false`: only one-off events',
  role: 'Only events where my role is this: OWNER, EDITOR or VIEWER (case-insensitive)',
  sort: 'Order: start_time (default), -start_time, updated_at, -updated_at or title',
  expand: '`true` with a window (start_date and end_date): one row per occurrence instead of one per event',
  as_of: 'A time in the past: the answer as it was then (among what you could see then and may still read now)',
  tags: 'Comma-separated tags: events with any of them (all of them with tags_mode=all)',
  tags_mode: '`any` (default) or `all`',
  on_conflict:
    '`reject` (default): an overlap on the owner’s calendar is a 409 EVENT_CONFLICT; `allow`: save anyway and list the overlaps in `conflicts`',
  atomic:
    '`true` (default): any invalid item fails the whole batch and nothing is created; `false`: create the valid items and list the rest in `errors`',
  from: 'Window start (default: the event’s start)',
  to: 'Window end (default one year after from; at most two years after from)',
  search: 'Username prefix (case-insensitive); at most 20 people are returned, without emails',
  cursor: '`next_cursor` of the previous answer; omit it for a full snapshot',
  event_id: 'Only this event',
  status: 'Only invitations in this state: pending (default), accepted, declined, cancelled, or all',
  secret: 'The secret of the feed URL (from `POST /calendar/feed`)',
  version: 'The version you expect the event to be at (the same as `If-Match`); a mismatch is 412',
};
/** Query options that the REST adapter also takes in the body of a write, documented the same way there. */
const BODY_FIELD_DOCS = ['on_conflict', 'atomic', 'version'];

const PARAMETER_DOCS_BY_OPERATION: Record<string, Record<string, string>> = {
  'webhooks-get': { id: 'The webhook’s id' },
  'webhooks-delete': { id: 'The webhook’s id' },
  'webhooks-deliveries': { id: 'The webhook’s id' },
  'webhooks-ping': { id: 'The webhook’s id' },
  'history-list': {
    cursor: 'Continue after this `version_id` (the last one of the previous page)',
    limit: 'At most this many versions (default 100)',
  },
  'history-changelog': {
    cursor: 'Continue after this `history_id` (the last one of the previous page)',
    limit: 'At most this many entries (default 100)',
  },
  'live-sync': { limit: 'At most this many changes (default 500)' },
  'sharing-removeTeam': { team_id: 'The team whose grant is removed' },
  'teams-get': { id: 'The team’s id' },
  'teams-addMember': { id: 'The team’s id' },
  'teams-removeMember': { id: 'The team’s id', user_id: 'The member to remove (yourself to leave)' },
  'teams-delete': { id: 'The team’s id' },
  'invitations-accept': { id: 'The invitation’s id' },
  'invitations-decline': { id: 'The invitation’s id' },
  'invitations-cancel': { id: 'The invitation’s id' },
};

interface MediaType {
  schema?: Record<string, unknown>;
  example?: unknown;
}
interface Operation {
  operationId?: string;
  description?: string;
  security?: unknown[];
  parameters?: Array<{
    name: string;
    in: string;
    required?: boolean;
    description?: string;
    schema?: Record<string, unknown>;
    example?: unknown;
  }>;
  requestBody?: { required?: boolean; content: Record<string, MediaType> };
  responses: Record<string, { description?: string; headers?: Record<string, unknown>; content?: Record<string, MediaType> }>;
}

/**
 * The OpenAPI 3.1 document of the REST adapter, generated from the procedures'
 * zod schemas and completed with what the generator cannot know: the
 * contract's error answers per operation (from each procedure's `errors`
 * meta), examples, parameter descriptions, MessagePack, the public routes
 * without security, and the routes served outside the procedures.
 */
export function buildOpenApiDocument(appRouter: AppRouter, baseUrl: string): OpenAPIObject {
  const doc = generateOpenApiDocument(appRouter, {
    title: 'Event Scheduler API',
    description: [
      'Collaborative event scheduling: events with recurrence in any time zone, sharing by role, version history, live updates and collaborative editing.',
      'Every operation is also a typed tRPC procedure at /trpc. A guide with examples: docs/api.md in the repository.',
      '',
      'Sign in with `POST /auth/register` or `POST /auth/login` and send the `access` token as `Authorization: Bearer <token>`; it lasts 15 minutes, `POST /auth/refresh` gives a new pair.',
      '',
      'For scripts and integrations, the Bearer may instead be an API token (`evt_…`, from `POST /tokens`): long-lived, `read` or `write`, optionally limited to some events; it never does more than its user may, and is refused (401) once revoked or expired.',
      '',
      'Times are answered in UTC (`2025-04-27T08:05:00Z`). Times sent without `Z` or an offset (`2025-04-27 08:05`) are read in the event’s `timezone` when the same body gives one, else in UTC.',
      '',
      'Two numbers name a version: `version` counts the changes of one event (1, 2, 3 … and is what `ETag`/`If-Match` carry), while `version_id` is a global id that only grows (seed 001’s `history_id`). History, diff and rollback paths take `version_id`.',
    ].join('\n'),
    version: '1.0.0',
    baseUrl,
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT or API token',
        description: 'The `access` JWT from login, or an API token (`evt_…`) from `POST /tokens`.',
      },
    },
    defs: { Error: ZErrorBody },
  });
  // The generator's own error schemas are replaced by the contract's Error everywhere.
  const schemas = (doc.components?.schemas ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(schemas)) if (name.startsWith('error.')) delete schemas[name];

  for (const { meta, operation } of documentedOperations(appRouter, doc)) {
    const id = operation.operationId ?? '';
    // An explicit empty list: this operation takes no token (a missing one would inherit nothing, but says less).
    if (meta.openapi?.protect === false) operation.security = [];
    useDeclaredStatus(operation, meta.status);
    if (meta.textBody) useTextBody(operation, meta.textBody);
    else if (takesNothing(operation)) delete operation.requestBody;
    if (meta.textResponse) useTextResponse(id, operation, meta.textResponse);
    describeParameters(id, operation);
    if (operation.requestBody) describeRequestBody(id, operation.requestBody);
    addSuccessExample(id, operation);
    const statuses: DocumentedStatus[] = [...(meta.errors ?? []), ...(operation.requestBody ? ([413, 415] as const) : [])];
    setErrorResponses(id, operation, statuses);
  }
  addEventStream(doc);
  addServiceRoutes(doc);
  return doc;
}

function* documentedOperations(appRouter: AppRouter, doc: OpenAPIObject): Generator<{ meta: ProcedureMeta; operation: Operation }> {
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { meta?: ProcedureMeta } }>;
  for (const procedure of Object.values(procedures)) {
    const meta = procedure._def.meta;
    if (!meta?.openapi) continue;
    const operation = (doc.paths?.[meta.openapi.path] as Record<string, Operation> | undefined)?.[meta.openapi.method.toLowerCase()];
    if (operation) yield { meta, operation };
  }
}

/** Procedures answering 201, 202 or 205 document their success under that status, not 200. */
function useDeclaredStatus(operation: Operation, status: ProcedureMeta['status']): void {
  const success = operation.responses['200'];
  if (!status || !success) return;
  delete operation.responses['200'];
  operation.responses[String(status)] = status === 205 ? { description: success.description ?? 'Reset Content (empty body)' } : success;
}

/** A write whose input has no fields (`POST /calendar/feed`): it documents no body. */
function takesNothing(operation: Operation): boolean {
  const schema = operation.requestBody?.content['application/json']?.schema as { properties?: object } | undefined;
  return schema !== undefined && Object.keys(schema.properties ?? {}).length === 0;
}

/**
 * An operation whose body is a text file (the iCalendar import): the body is
 * that media type, and the input's other fields are query parameters.
 */
function useTextBody(operation: Operation, text: NonNullable<ProcedureMeta['textBody']>): void {
  const generated = Object.values(operation.requestBody?.content ?? {})[0]?.schema as
    { properties?: Record<string, Record<string, unknown>>; required?: string[] } | undefined;
  const properties = generated?.properties ?? {};
  operation.parameters = [
    ...(operation.parameters ?? []),
    ...Object.entries(properties)
      .filter(([name]) => name !== text.field)
      .map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
  ];
  operation.requestBody = {
    required: true,
    content: { [text.mediaType]: { schema: { type: 'string', description: properties[text.field]?.['description'] ?? '' } } },
  };
}

/** An operation answering a text file with an ETag (the calendar feed), and 304 to a matching If-None-Match. */
function useTextResponse(operationId: string, operation: Operation, text: NonNullable<ProcedureMeta['textResponse']>): void {
  const headers = {
    ETag: { description: 'The feed’s version; send it back as `If-None-Match`', schema: { type: 'string' } },
    'Cache-Control': { description: 'How long a copy may be used without asking again', schema: { type: 'string' } },
  };
  const example = OPERATION_EXAMPLES[operationId]?.response;
  operation.parameters = [
    ...(operation.parameters ?? []),
    {
      name: 'If-None-Match',
      in: 'header',
      description: 'The ETag of the copy you have: 304 while it is current',
      schema: { type: 'string' },
      example: '"mJp0eYdC1eS7m3nQxT5wZ2aR8kL4vB6hU9oF1gN3cI0"',
    },
  ];
  operation.responses = {
    '200': {
      description: 'The calendar (RFC 5545)',
      headers,
      content: { [`${text.mediaType}; charset=utf-8`]: { schema: { type: 'string' }, ...(example === undefined ? {} : { example }) } },
    },
    '304': { description: 'Not modified: the ETag you sent is current (no body)', headers },
  };
}

function describeParameters(operationId: string, operation: Operation): void {
  for (const parameter of operation.parameters ?? []) {
    const description = PARAMETER_DOCS_BY_OPERATION[operationId]?.[parameter.name] ?? PARAMETER_DOCS[parameter.name];
    if (description) parameter.description = description;
    if (parameter.name in PARAMETER_EXAMPLES) parameter.example = PARAMETER_EXAMPLES[parameter.name];
  }
}

/**
 * A body whose fields are all optional (rollback's `{version}`) may be left
 * out; JSON bodies may also be sent as MessagePack.
 */
function describeRequestBody(operationId: string, body: NonNullable<Operation['requestBody']>): void {
  const json = body.content['application/json'];
  if (!json) {
    // A text body (text/calendar) takes its example as it is.
    const example = OPERATION_EXAMPLES[operationId]?.request;
    if (example !== undefined) for (const media of Object.values(body.content)) media.example = example;
    return;
  }
  const required = (json.schema?.['required'] as string[] | undefined) ?? [];
  if (required.length === 0) body.required = false;
  const properties = (json.schema?.['properties'] ?? {}) as Record<string, { description?: string }>;
  for (const name of BODY_FIELD_DOCS) if (properties[name]) properties[name].description = PARAMETER_DOCS[name];
  const example = OPERATION_EXAMPLES[operationId]?.request;
  if (example !== undefined) json.example = example;
  for (const type of MSGPACK_TYPES) body.content[type] = { schema: json.schema ?? {} };
}

function addSuccessExample(operationId: string, operation: Operation): void {
  for (const [status, response] of Object.entries(operation.responses)) {
    const json = response.content?.['application/json'];
    if (!json || Number(status) >= 300) continue;
    const example = OPERATION_EXAMPLES[operationId]?.response;
    if (example !== undefined) json.example = example;
    for (const type of MSGPACK_TYPES) response.content![type] = { schema: json.schema ?? {} };
  }
}

function setErrorResponses(operationId: string, operation: Operation, statuses: DocumentedStatus[]): void {
  for (const status of Object.keys(operation.responses)) {
    if (Number(status) >= 400 || status === 'default') delete operation.responses[status];
  }
  for (const status of [...new Set(statuses)].sort((a, b) => a - b)) {
    const { description, example } = ERROR_RESPONSES[status];
    operation.responses[String(status)] = {
      description,
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/Error' },
          example: ERROR_EXAMPLE_OVERRIDES[operationId]?.[status] ?? example,
        },
      },
    };
  }
}

const errorResponse = (status: DocumentedStatus) => ({
  description: ERROR_RESPONSES[status].description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example: ERROR_RESPONSES[status].example } },
});

/** The REST event stream is served outside the procedures (it streams); describe it by hand. */
function addEventStream(doc: OpenAPIObject): void {
  const paths = (doc.paths ??= {}) as Record<string, unknown>;
  paths['/events/stream'] = {
    get: {
      operationId: 'live-eventStream',
      summary: 'Live changes as server-sent events',
      description: [
        'A `text/event-stream` of live messages `{type, event_id, version_id, actor, at, event?, user?, role?, my_role?}`, each with an `id:` line (its position in the change feed).',
        'It opens with `event: ready` whose `id:` is the position it starts from. Reconnect with the `Last-Event-ID` header to resume with nothing missed; heartbeat comments every 15 s.',
        '`event.*` messages (but `event.deleted`) carry `event`, the event after the change. `permission.*` messages carry `user` (whose access changed), `role` (that user’s role, null once revoked) and `my_role` (yours).',
        'Browsers’ EventSource cannot set headers: give the token as `?token=` there.',
        '',
        'Try it: `curl -N -H "Authorization: Bearer $ACCESS" http://localhost:3000/api/events/stream`',
      ].join('\n'),
      tags: ['live'],
      security: [{ bearerAuth: [] }],
      parameters: [
        {
          name: 'event_id',
          in: 'query',
          required: false,
          schema: { type: 'integer', minimum: 1 },
          description: 'Only this event',
          example: 24,
        },
        {
          name: 'token',
          in: 'query',
          required: false,
          schema: { type: 'string' },
          description: 'The access token, for clients that cannot send headers',
        },
        {
          name: 'Last-Event-ID',
          in: 'header',
          required: false,
          schema: { type: 'string' },
          description: 'Resume after this id',
          example: '1042',
        },
      ],
      responses: {
        '200': {
          description: 'The stream',
          content: {
            'text/event-stream': {
              schema: { type: 'string' },
              example:
                'event: ready\nid: 1041\ndata: {}\n\nid: 1042\ndata: {"type":"permission.granted","event_id":24,"version_id":null,"actor":{"id":1,"username":"ada"},"at":"2025-04-21T10:00:00Z","user":{"id":2,"username":"grace"},"role":"EDITOR","my_role":"OWNER"}\n\n',
            },
          },
        },
        '400': errorResponse(400),
        '401': errorResponse(401),
        '404': errorResponse(404),
      },
    },
  };
}

/** `/`, `/healthz` and `/readyz` live at the root, outside the `/api` base path, and need no token. */
function addServiceRoutes(doc: OpenAPIObject): void {
  const paths = (doc.paths ??= {}) as Record<string, unknown>;
  const root = [{ url: '/', description: 'The server root (outside /api)' }];
  const service = (operationId: string, summary: string, example: Record<string, string>, extra: Record<string, unknown> = {}) => ({
    servers: root,
    get: {
      operationId,
      summary,
      tags: ['service'],
      security: [],
      responses: {
        '200': {
          description: 'OK',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: Object.fromEntries(Object.keys(example).map((k) => [k, { type: 'string' }])),
                required: Object.keys(example),
              },
              example,
            },
          },
        },
        ...extra,
      },
    },
  });
  paths['/'] = service('service-root', 'What this server is', { message: 'Event Scheduler API' });
  paths['/healthz'] = service('service-healthz', 'The process is up', { status: 'ok' });
  paths['/readyz'] = service(
    'service-readyz',
    'The database is reachable',
    { status: 'ready' },
    {
      '503': {
        description: 'The database cannot be reached',
        content: {
          'application/json': {
            schema: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] },
            example: { status: 'database unreachable' },
          },
        },
      },
    },
  );
}
