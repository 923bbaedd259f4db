import type { IncomingMessage } from 'node:http';
import { AppError, validation } from '../errors.ts';

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
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw) as unknown;
    } catch (error) {
      const reason = error instanceof SyntaxError ? error.message : 'invalid JSON';
      throw validation('(body)', 'is not valid JSON', `Malformed JSON body: ${reason}`);
    }
    if (nestingDepth(parsed) > MAX_DEPTH) {
      throw validation('(body)', `is nested deeper than ${MAX_DEPTH} levels`, `JSON body is nested deeper than ${MAX_DEPTH} levels`);
    }
    return parsed;
  }
  if (type === 'application/x-www-form-urlencoded') {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  throw unsupported(type);
}

/** No request of this API nests deeper; deeper bodies are hostile (recursive code downstream could overflow). */
const MAX_DEPTH = 32;

/** How deeply arrays and objects nest, measured without recursion. */
export function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_DEPTH) return deepest;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

const unsupported = (type: string) =>
  new AppError('UNSUPPORTED_MEDIA_TYPE', `Unsupported media type "${type}"; send application/json`);
