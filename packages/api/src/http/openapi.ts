import { ZErrorBody } from '@scheduler/shared';
import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import type { AppRouter } from '../routers/root.ts';
import type { ProcedureMeta } from '../trpc.ts';

const ERROR_DESCRIPTIONS: Record<string, string> = {
  '400': 'Invalid input (VALIDATION_ERROR)',
  '401': 'Missing, invalid, expired or revoked token (UNAUTHORIZED)',
  '403': 'Your role does not allow this (FORBIDDEN)',
  '404': 'Not found, or not visible to you (NOT_FOUND)',
  '409': 'Duplicate or overlapping (CONFLICT / EVENT_CONFLICT)',
  '412': 'Version mismatch (PRECONDITION_FAILED)',
  '413': 'Body too large (PAYLOAD_TOO_LARGE)',
  '415': 'Unsupported content type (UNSUPPORTED_MEDIA_TYPE)',
  '429': 'Rate limited (RATE_LIMITED); see Retry-After',
  '500': 'Internal error (a bug)',
};

/**
 * The OpenAPI 3.1 document of the REST adapter, generated from the procedures'
 * zod schemas. Error responses are replaced with the contract's error shape,
 * which trpc-to-openapi does not know.
 */
export function buildOpenApiDocument(appRouter: AppRouter, baseUrl: string): OpenAPIObject {
  const doc = generateOpenApiDocument(appRouter, {
    title: 'Event Scheduler API',
    description:
      'Collaborative event scheduling: events with recurrence, sharing by role, version history, live updates and collaborative editing. Every operation is also a typed tRPC procedure at /trpc.',
    version: '1.0.0',
    baseUrl,
    securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    defs: { Error: ZErrorBody },
  });
  for (const pathItem of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(pathItem as Record<string, { responses?: Record<string, unknown>; security?: unknown[] }>)) {
      if (!operation || typeof operation !== 'object' || !operation.responses) continue;
      for (const status of Object.keys(operation.responses)) {
        if (Number(status) >= 400 || status === 'default') delete operation.responses[status];
      }
      const statuses = operation.security?.length ? ['400', '401', '403', '404', '409', '412', '413', '415', '429'] : ['400', '401', '409', '413', '415', '429'];
      for (const status of statuses) {
        operation.responses[status] = {
          description: ERROR_DESCRIPTIONS[status],
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        };
      }
    }
  }
  useDeclaredStatuses(appRouter, doc);
  addEventStream(doc);
  return doc;
}

/** Procedures answering 201 or 205 document their success under that status, not 200. */
function useDeclaredStatuses(appRouter: AppRouter, doc: OpenAPIObject): void {
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { meta?: ProcedureMeta } }>;
  for (const procedure of Object.values(procedures)) {
    const meta = procedure._def.meta;
    if (!meta?.openapi || !meta.status) continue;
    const operation = (doc.paths?.[meta.openapi.path] as Record<string, { responses: Record<string, unknown> }> | undefined)?.[
      meta.openapi.method.toLowerCase()
    ];
    if (!operation?.responses['200']) continue;
    const success = operation.responses['200'] as { description?: string; content?: unknown };
    delete operation.responses['200'];
    operation.responses[String(meta.status)] = meta.status === 205 ? { description: success.description ?? 'Reset Content' } : success;
  }
}

/** The REST event stream is served outside the procedures (it streams); describe it by hand. */
function addEventStream(doc: OpenAPIObject): void {
  const paths = (doc.paths ??= {}) as Record<string, unknown>;
  paths['/events/stream'] = {
    get: {
      operationId: 'live-eventStream',
      summary: 'Live changes as server-sent events',
      description:
        'text/event-stream of {type, event_id, version_id, actor, at, event?, role?} messages; each has an `id:` line. Reconnect with the Last-Event-ID header to resume. Heartbeat comments every 15 s. The token may also be given as ?token= for browser EventSource.',
      tags: ['live'],
      security: [{ bearerAuth: [] }],
      parameters: [
        { name: 'event_id', in: 'query', required: false, schema: { type: 'integer', minimum: 1 }, description: 'Only this event' },
        { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' }, description: 'Resume after this id' },
      ],
      responses: {
        '200': { description: 'The stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        ...Object.fromEntries(
          ['400', '401', '404'].map((status) => [
            status,
            { description: ERROR_DESCRIPTIONS[status], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
          ]),
        ),
      },
    },
  };
}
