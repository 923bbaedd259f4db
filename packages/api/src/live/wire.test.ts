import type { TLiveMessage } from '@scheduler/shared';
import { jsonEncoder } from '@trpc/server/adapters/ws';
import { describe, expect, it } from 'vitest';
import { liveWireEncoder, messageJson, trackedEnvelope } from './wire.ts';

const message: TLiveMessage = {
  type: 'event.updated',
  event_id: 7,
  version_id: 12,
  actor: { id: 1, username: 'ada "the" lovelace \u2028' },
  at: '2030-01-01T10:00:00.000Z',
  role: undefined,
};

/** A data frame as tRPC's WebSocket handler builds it for a tracked message (same key order). */
function dataFrame(id: unknown, jsonrpc?: '2.0', of: TLiveMessage = message) {
  const [trackedId, data] = trackedEnvelope({ id: 42, message: of });
  const result: Record<string, unknown> = { type: 'data', data: undefined };
  result['id'] = trackedId;
  result['data'] = { id: trackedId, data };
  return { id, jsonrpc, result };
}

describe('live wire encoder', () => {
  it('writes tracked data frames exactly as JSON.stringify would', () => {
    for (const frame of [dataFrame(1), dataFrame('abc', '2.0'), dataFrame(null)]) {
      expect(liveWireEncoder.encode(frame)).toBe(JSON.stringify(frame));
    }
  });

  it('splices in the JSON made once for the message rather than serializing it again', () => {
    const shared: TLiveMessage = { ...message, event_id: 8 };
    const frame = dataFrame(5, undefined, shared);
    const before = liveWireEncoder.encode(frame);
    shared.event_id = 9; // messages are never changed after dispatch; this shows the text is reused
    expect(liveWireEncoder.encode(frame)).toBe(before);
    expect(JSON.parse(before as string).result.data.data.event_id).toBe(8);
  });

  it('reuses one JSON text per message object', () => {
    expect(messageJson(message)).toBe(messageJson(message));
    expect(messageJson(message)).toBe(JSON.stringify(message));
  });

  it('falls back to plain JSON for every other frame, including look-alikes with extra keys', () => {
    const started = { id: 1, result: { type: 'started' } };
    const error = { id: 1, error: { code: -32001, message: 'no' } };
    const extra = { ...dataFrame(1), extra: true };
    const unknownMessage = { id: 1, result: { type: 'data', id: '1', data: { id: '1', data: { type: 'event.updated' } } } };
    const noId = dataFrame(undefined);
    for (const frame of [started, error, extra, unknownMessage, noId, 'PONG']) {
      expect(liveWireEncoder.encode(frame)).toBe(JSON.stringify(frame));
    }
  });

  it('decodes like tRPC’s JSON encoder', () => {
    const text = JSON.stringify({ id: 3, method: 'subscription', params: { path: 'live.onChange', input: {} } });
    expect(liveWireEncoder.decode(text)).toEqual(jsonEncoder.decode(text));
  });
});
