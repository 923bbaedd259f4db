import { ZErrorBody } from '@scheduler/shared';
import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import type { AppRouter } from '../routers/root.ts';

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
  return doc;
}
