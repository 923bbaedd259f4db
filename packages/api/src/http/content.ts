import type { ServerResponse } from 'node:http';
import { Packr, Unpackr } from 'msgpackr';

const JSON_TYPE = 'application/json; charset=utf-8';
const MSGPACK_TYPE = 'application/msgpack';
/** Both names in use for MessagePack; we answer with the first. */
const MSGPACK_TYPES = ['application/msgpack', 'application/vnd.msgpack'] as const;

/**
 * Plain MessagePack maps, no records extension (which only msgpackr can read),
 * and properties holding `undefined` left out as JSON.stringify does.
 */
const packr = new Packr({
  useRecords: false,
  encodeUndefinedAsNil: true,
  // Implemented and documented by msgpackr, missing from its type declarations.
  ...({ skipValues: [undefined] } as object),
});
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

const packMsgpack = (value: unknown): Buffer => packr.pack(value);
export const unpackMsgpack = (bytes: Buffer): unknown => unpackr.unpack(bytes);

export function isMsgpackType(mediaType: string): boolean {
  return (MSGPACK_TYPES as readonly string[]).includes(mediaType);
}

/**
 * True when the Accept header prefers MessagePack to JSON: it names a
 * MessagePack type with a quality above zero and at least that of JSON.
 */
export function prefersMsgpack(accept: string | undefined): boolean {
  if (!accept || !accept.includes('msgpack')) return false;
  let msgpack = 0;
  let json = 0;
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';');
    const media = type.trim().toLowerCase();
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) || 0 : 1;
    if (isMsgpackType(media)) msgpack = Math.max(msgpack, q);
    else if (media === 'application/json') json = Math.max(json, q);
  }
  return msgpack > 0 && msgpack >= json;
}

const formats = new WeakMap<ServerResponse, 'msgpack'>();

/** Marks a response to be written in MessagePack (errors included). */
export function answerInMsgpack(res: ServerResponse): void {
  formats.set(res, 'msgpack');
}

/** The body bytes and content type of a structured answer, in the format chosen for this response. */
export function encodeBody(res: ServerResponse, body: unknown): { type: string; bytes: Buffer | string } {
  if (formats.get(res) === 'msgpack') return { type: MSGPACK_TYPE, bytes: packMsgpack(body) };
  return { type: JSON_TYPE, bytes: JSON.stringify(body) };
}
