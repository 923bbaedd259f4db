import type { IncomingMessage } from 'node:http';
import { AppError, validation } from '../errors.ts';
import { isMsgpackType, unpackMsgpack } from './content.ts';

/** Reads the raw body, refusing more than `limit` bytes (413) before buffering it all. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
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
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

const tooLarge = (limit: number) => new AppError('PAYLOAD_TOO_LARGE', `Request body is larger than ${limit} bytes`);

/**
 * Parses a request body by its content type: JSON, MessagePack, or an
 * OAuth2-style form. An empty body reads as `{}`. Anything else is 415;
 * a malformed body is 400.
 */
export function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const isJson = type === '' || type === 'application/json' || type.endsWith('+json');
  if (raw.length === 0 || (!isMsgpackType(type) && raw.toString('utf8').trim() === '')) {
    if (isJson || type === 'application/x-www-form-urlencoded' || isMsgpackType(type)) return {};
    throw unsupported(type);
  }
  if (isJson) return checkDepth(parseJson(raw.toString('utf8')));
  if (isMsgpackType(type)) return checkDepth(parseMsgpack(raw));
  if (type === 'application/x-www-form-urlencoded') {
    const text = raw.toString('utf8');
    // curl -d '{...}' without a content type labels JSON as a form: say what to do instead of failing field by field.
    if (/^\s*[[{]/.test(text)) {
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        'The body looks like JSON but is labelled application/x-www-form-urlencoded; send it with the header Content-Type: application/json',
      );
    }
    return Object.fromEntries(new URLSearchParams(text));
  }
  throw unsupported(type);
}

/**
 * Reads a body that must be text of one media type (an iCalendar file for
 * the import): any other type is 415, saying what to send; the text is UTF-8.
 */
export function parseTextBody(raw: Buffer, contentType: string | undefined, mediaType: string): string {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== mediaType) {
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Unsupported media type "${type}"; send the file with the header Content-Type: ${mediaType}`,
    );
  }
  const text = raw.toString('utf8');
  if (text.trim() === '') throw validation('(body)', 'must not be empty', `The ${mediaType} body is empty`);
  return text;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : 'invalid JSON';
    throw validation('(body)', 'is not valid JSON', `Malformed JSON body: ${reason}`);
  }
}

function parseMsgpack(raw: Buffer): unknown {
  try {
    return unpackMsgpack(raw);
  } catch {
    throw validation('(body)', 'is not valid MessagePack', 'Malformed MessagePack body');
  }
}

function checkDepth(parsed: unknown): unknown {
  if (nestingDepth(parsed) > MAX_DEPTH) {
    throw validation('(body)', `is nested deeper than ${MAX_DEPTH} levels`, `Body is nested deeper than ${MAX_DEPTH} levels`);
  }
  return parsed;
}

/** No request of this API nests deeper; deeper bodies are hostile (recursive code downstream could overflow). */
const MAX_DEPTH = 32;

/** How deeply arrays and objects nest, measured without recursion. */
function nestingDepth(value: unknown): number {
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
  new AppError('UNSUPPORTED_MEDIA_TYPE', `Unsupported media type "${type}"; send application/json (or application/msgpack)`);
