import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors.ts';

/** Reads the raw body, refusing more than `limit` bytes (413) before buffering it all. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      req.resume();
      throw tooLarge(limit);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const tooLarge = (limit: number) =>
  new AppError('PAYLOAD_TOO_LARGE', `Request body is larger than ${limit} bytes`);

/**
 * Parses a request body by its content type: JSON, or an OAuth2-style form.
 * An empty body reads as `{}`. Anything else is 415; malformed JSON is 400.
 */
export function parseBody(raw: string, contentType: string | undefined): unknown {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (raw.trim() === '') {
    if (type === '' || type === 'application/json' || type === 'application/x-www-form-urlencoded' || type.endsWith('+json')) return {};
    throw unsupported(type);
  }
  if (type === 'application/json' || type.endsWith('+json') || type === '') {
    try {
      return JSON.parse(raw) as unknown;
    } catch (error) {
      const reason = error instanceof SyntaxError ? error.message : 'invalid JSON';
      throw new AppError('VALIDATION_ERROR', `Malformed JSON body: ${reason}`, {
        details: [{ path: '(body)', message: 'is not valid JSON' }],
      });
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  throw unsupported(type);
}

const unsupported = (type: string) =>
  new AppError('UNSUPPORTED_MEDIA_TYPE', `Unsupported media type "${type}"; send application/json`);
