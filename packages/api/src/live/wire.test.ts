import type { TLiveMessage } from '@scheduler/shared';
import { jsonEncoder } from '@trpc/server/adapters/ws';
import { describe, expect, it } from 'vitest';
import { dataFrame, liveRequestOf, liveWireEncoder, messageJson, trackedEnvelope, type LiveRequest } from './wire.ts';

const message: TLiveMessage = {
  type: 'event.updated',
  event_id: 7,
  version_id: 12,
  actor: { id: 1, username: 'ada "the" lovelace \u2028' },
  at: '2030-01-01T10:00:00.000Z',
  role: undefined,
};

/** A data frame as tRPC's WebSocket handler builds it for a tracked message (same key order), then JSON.stringify. */
function trpcFrameText(request: LiveRequest, feedId: number, of: TLiveMessage = message): string {
  const [trackedId, data] = trackedEnvelope({ id: feedId, message: of });
  const result: Record<string, unknown> = { type: 'data', data: undefined };
  result['id'] = trackedId;
  result['data'] = { id: trackedId, data };
  return JSON.stringify({ id: request.id, jsonrpc: request.jsonrpc, result });
}

const subscribe = (params: Record<string, unknown>, id: unknown = 3, jsonrpc?: string) =>
  JSON.stringify({ id, jsonrpc, method: 'subscription', params: { path: 'live.onChange', ...params } });

describe('live data frames', () => {
  it('are byte for byte what tRPC’s handler would write', () => {
    const requests: LiveRequest[] = [
      { id: 1, jsonrpc: undefined },
      { id: 'abc"\\', jsonrpc: '2.0' },
      { id: 0, jsonrpc: undefined },
    ];
    for (const request of requests) {
      const envelope = { id: 42, message };
      expect(dataFrame(envelope, request).toString('utf8')).toBe(trpcFrameText(request, 42));
    }
  });

  it('are made once per message and request id, and shared by every subscriber', () => {
    const shared: TLiveMessage = { ...message, event_id: 8 };
    const envelope = { id: 43, message: shared };
    const first = dataFrame(envelope, { id: 1, jsonrpc: undefined });
    shared.event_id = 9; // messages are never changed after dispatch; this shows the frame is reused
    expect(dataFrame(envelope, { id: 1, jsonrpc: undefined })).toBe(first);
    expect(JSON.parse(first.toString()).result.data.data.event_id).toBe(8);
    // A numeric id and the same digits as a string are different requests.
    expect(dataFrame(envelope, { id: '1', jsonrpc: undefined })).not.toBe(first);
    expect(JSON.parse(dataFrame(envelope, { id: '1', jsonrpc: undefined }).toString()).id).toBe('1');
  });

  it('reuse one JSON text per message object', () => {
    expect(messageJson(message)).toBe(messageJson(message));
    expect(messageJson(message)).toBe(JSON.stringify(message));
  });
});

describe('live wire encoder', () => {
  it('encodes and decodes like tRPC’s JSON encoder', () => {
    const frame = { id: 1, result: { type: 'started' } };
    expect(liveWireEncoder.encode(frame)).toBe(jsonEncoder.encode(frame));
    const text = JSON.stringify({ id: 3, method: 'query', params: { path: 'events.get', input: { id: 1 } } });
    expect(liveWireEncoder.decode(text)).toEqual(jsonEncoder.decode(text));
  });

  it('remembers the request of a live subscription by its input object', () => {
    const decoded = liveWireEncoder.decode(subscribe({ input: { event_id: 5 } }, 7, '2.0')) as { params: { input: object } };
    expect(liveRequestOf(decoded.params.input)).toEqual({ id: 7, jsonrpc: '2.0' });
    const batch = liveWireEncoder.decode(`[${subscribe({ input: {} }, 'a')},${subscribe({ input: {} }, 'b')}]`) as Array<{
      params: { input: object };
    }>;
    expect(batch.map((m) => liveRequestOf(m.params.input)?.id)).toEqual(['a', 'b']);
  });

  it('folds a resume id into the input, as tRPC would, so the input object reaches the procedure unchanged', () => {
    const decoded = liveWireEncoder.decode(subscribe({ input: { event_id: 5 }, lastEventId: '12' })) as {
      params: { input: Record<string, unknown>; lastEventId?: unknown };
    };
    expect(decoded.params.input).toEqual({ event_id: 5, lastEventId: '12' });
    expect(decoded.params.lastEventId).toBeUndefined();
    expect(liveRequestOf(decoded.params.input)?.id).toBe(3);
  });

  it('leaves everything else as tRPC would see it', () => {
    const cases = [
      subscribe({ input: { event_id: 5 }, lastEventId: 12 }), // not a string: tRPC refuses it
      JSON.stringify({ id: 3, method: 'subscription', params: { path: 'events.other', input: {} } }),
      JSON.stringify({ id: 3, method: 'query', params: { path: 'live.onChange', input: {} } }),
      subscribe({ input: [] }),
      subscribe({ input: 'x' }),
      subscribe({ input: {} }, null),
      JSON.stringify({ data: { token: 'x' } }),
    ];
    for (const text of cases) {
      const decoded = liveWireEncoder.decode(text) as { params?: { input?: unknown } };
      expect(decoded).toEqual(jsonEncoder.decode(text));
      expect(liveRequestOf(decoded.params?.input)).toBeUndefined();
    }
  });
});
