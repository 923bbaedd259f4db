import type { TLiveMessage } from '@scheduler/shared';
import { tracked, type TrackedEnvelope } from '@trpc/server';
import { jsonEncoder, type Encoder } from '@trpc/server/adapters/ws';
import type { LiveEnvelope } from './hub.ts';

/**
 * Live messages on the wire. The hub shares one message object among all
 * recipients with the same role; its JSON text is made once here and reused
 * for every subscriber, on the WebSocket and on the event stream alike.
 */
const jsonOf = new WeakMap<TLiveMessage, string>();

export function messageJson(message: TLiveMessage): string {
  let json = jsonOf.get(message);
  if (json === undefined) jsonOf.set(message, (json = JSON.stringify(message)));
  return json;
}

const trackedOf = new WeakMap<LiveEnvelope, TrackedEnvelope<TLiveMessage>>();

/** The envelope as a tRPC tracked message (shared by its recipients, like the message). */
export function trackedEnvelope(envelope: LiveEnvelope): TrackedEnvelope<TLiveMessage> {
  let value = trackedOf.get(envelope);
  if (value === undefined) trackedOf.set(envelope, (value = tracked(String(envelope.id), envelope.message)));
  return value;
}

/** The JSON-RPC request that opened a live subscription on a WebSocket: its data frames answer to this id. */
export interface LiveRequest {
  id: string | number;
  jsonrpc: '2.0' | undefined;
}

const LIVE_PATH = 'live.onChange';
const requestOf = new WeakMap<object, LiveRequest>();

/** The request a live subscription's raw input arrived in (undefined when it did not come over a WebSocket). */
export function liveRequestOf(rawInput: unknown): LiveRequest | undefined {
  return typeof rawInput === 'object' && rawInput !== null ? requestOf.get(rawInput) : undefined;
}

/**
 * tRPC's WebSocket encoder, JSON both ways, which also remembers which request
 * each `live.onChange` subscription came in. tRPC hands a subscription's input
 * object to the procedure as its raw input unchanged when the message carries
 * no separate `lastEventId`, so the resume id is folded into the input here
 * (as tRPC itself would) and the input object identifies the request. The
 * procedure then writes its data frames to the socket itself (`dataFrame`),
 * one ready-made buffer shared by every subscriber, instead of one promise,
 * one response object and one encoding per subscriber and message in tRPC's
 * subscription loop. When the lookup fails the subscription simply runs
 * through tRPC's loop.
 */
export const liveWireEncoder: Encoder = {
  encode: (frame) => jsonEncoder.encode(frame),
  decode(data) {
    const decoded = jsonEncoder.decode(data);
    for (const message of Array.isArray(decoded) ? decoded : [decoded]) rememberLiveRequest(message);
    return decoded;
  },
};

function rememberLiveRequest(message: unknown): void {
  if (!isRecord(message) || message['method'] !== 'subscription' || !isRecord(message['params'])) return;
  const { id, jsonrpc } = message;
  const params = message['params'];
  const input = params['input'];
  const lastEventId = params['lastEventId'];
  if (params['path'] !== LIVE_PATH || !isRecord(input) || (typeof id !== 'string' && typeof id !== 'number')) return;
  if (lastEventId !== undefined) {
    if (typeof lastEventId !== 'string') return; // tRPC refuses the message
    input['lastEventId'] = lastEventId;
    delete params['lastEventId'];
  }
  requestOf.set(input, { id, jsonrpc: jsonrpc === '2.0' ? '2.0' : undefined });
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const framesOf = new WeakMap<LiveEnvelope, Map<string, Buffer>>();

/**
 * A tracked data frame exactly as tRPC's WebSocket handler would write it
 * (`{id, jsonrpc?, result: {type: 'data', data: {id, data}, id}}`), made once
 * per message and request id: subscribers on separate connections usually
 * share their request id, so one buffer serves them all.
 */
export function dataFrame(envelope: LiveEnvelope, request: LiveRequest): Buffer {
  let frames = framesOf.get(envelope);
  if (!frames) framesOf.set(envelope, (frames = new Map<string, Buffer>()));
  const key = `${typeof request.id}:${request.id}:${request.jsonrpc ?? ''}`;
  let frame = frames.get(key);
  if (frame === undefined) {
    const trackedId = JSON.stringify(String(envelope.id));
    const text =
      `{"id":${JSON.stringify(request.id)}${request.jsonrpc === undefined ? '' : `,"jsonrpc":"2.0"`}` +
      `,"result":{"type":"data","data":{"id":${trackedId},"data":${messageJson(envelope.message)}},"id":${trackedId}}}`;
    frames.set(key, (frame = Buffer.from(text)));
  }
  return frame;
}
