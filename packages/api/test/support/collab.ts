import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

// Each WebsocketProvider hooks process exit; tests run more than ten at once.
process.setMaxListeners(100);

/** A real y-websocket client editing an event's description. */
export function openDoc(serverUrl: string, eventId: number, token: string) {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(serverUrl.replace(/^http/, 'ws') + '/collab', String(eventId), doc, {
    WebSocketPolyfill: WebSocket as never,
    disableBc: true,
    params: { token },
    maxBackoffTime: 500,
  });
  const text = doc.getText('description');
  return {
    doc,
    provider,
    text,
    synced: () =>
      new Promise<void>((resolve) => {
        if (provider.synced) return resolve();
        provider.once('sync', (ok: boolean) => ok && resolve());
      }),
    destroy: () => {
      provider.destroy();
      doc.destroy();
    },
  };
}

/** Kept here for older imports; the helper lives in eventually.ts. */
export { eventually } from './eventually.ts';
