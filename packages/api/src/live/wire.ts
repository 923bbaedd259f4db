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
  if (value === undefined) {
    trackedOf.set(envelope, (value = tracked(String(envelope.id), envelope.message)));
    messageJson(envelope.message);
  }
  return value;
}

/**
 * tRPC's WebSocket encoder, producing exactly the text `JSON.stringify` would,
 * but splicing in the message's ready-made JSON for subscription data frames
 * (`{id, jsonrpc?, result: {type: 'data', data: {id, data}, id}}`). Anything
 * else is plain JSON.
 */
export const liveWireEncoder: Encoder = {
  encode(frame) {
    const message = liveMessageIn(frame);
    const json = message && jsonOf.get(message);
    const { id, jsonrpc, result } = frame as DataFrame;
    if (json === undefined || id === undefined) return jsonEncoder.encode(frame);
    const trackedId = JSON.stringify(result.id);
    return (
      `{"id":${JSON.stringify(id)}${jsonrpc === undefined ? '' : `,"jsonrpc":${JSON.stringify(jsonrpc)}`}` +
      `,"result":{"type":"data","data":{"id":${trackedId},"data":${json}},"id":${trackedId}}}`
    );
  },
  decode: (data) => jsonEncoder.decode(data),
};

interface DataFrame {
  id?: string | number | null;
  jsonrpc?: '2.0';
  result: { type: 'data'; data: { id: string; data: TLiveMessage }; id: string };
}

/** The live message of a tracked data frame whose every key is known (so nothing could be lost), else undefined. */
function liveMessageIn(frame: unknown): TLiveMessage | undefined {
  if (!isPlain(frame, FRAME_KEYS)) return undefined;
  const result = (frame as { result?: unknown }).result;
  if (
    !isPlain(result, RESULT_KEYS) ||
    (result as { type?: unknown }).type !== 'data' ||
    typeof (result as { id?: unknown }).id !== 'string'
  )
    return undefined;
  const data = (result as { data?: unknown }).data;
  if (!isPlain(data, DATA_KEYS) || (data as { id?: unknown }).id !== (result as { id: string }).id) return undefined;
  const message = (data as { data?: unknown }).data;
  return typeof message === 'object' && message !== null ? (message as TLiveMessage) : undefined;
}

const FRAME_KEYS = new Set(['id', 'jsonrpc', 'result']);
const RESULT_KEYS = new Set(['type', 'data', 'id']);
const DATA_KEYS = new Set(['id', 'data']);

function isPlain(value: unknown, allowed: Set<string>): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}
