import type { ServerResponse } from 'node:http';
import type { TErrorBody } from '@scheduler/shared';
import { errorHeaders, type AppError } from '../errors.ts';
import { encodeBody } from './content.ts';

/** Writes a structured answer: JSON, or MessagePack when the request asked for it (see content.ts). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  const { type, bytes } = encodeBody(res, body);
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(bytes),
    ...headers,
  });
  res.end(bytes);
}

/** Writes an AppError in the contract's error shape. */
export function sendError(res: ServerResponse, error: AppError): void {
  const body: TErrorBody = { error: error.message, code: error.code };
  if (error.extra.details) body.details = error.extra.details;
  if (error.extra.conflicts) body.conflicts = error.extra.conflicts;
  if (error.extra.errors) Object.assign(body, { created_events: [], errors: error.extra.errors });
  sendJson(res, error.status, body, errorHeaders(error));
}
