import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds since the epoch when it arrived. */
  at: number;
}

type Responder = (req: ReceivedWebhook, res: ServerResponse, index: number) => void;

/**
 * The messages of some requests in feed order. Deliveries run concurrently, so arrival order is not
 * promised; the webhook-id (`msg_<feed id>`) gives the order of the feed.
 */
export function inFeedOrder<T = { type: string; event_id: number; event?: { title: string } }>(requests: readonly ReceivedWebhook[]): T[] {
  const feedId = (request: ReceivedWebhook) => Number(request.headers['webhook-id']!.slice('msg_'.length));
  return [...requests].sort((a, b) => feedId(a) - feedId(b)).map((request) => JSON.parse(request.body) as T);
}

/**
 * A real HTTP receiver for webhook tests: records every request and answers
 * with `respond` (200 by default). `index` counts the requests to one path.
 */
export async function startReceiver(respond?: Responder) {
  const received: ReceivedWebhook[] = [];
  let responder: Responder = respond ?? ((_req, res) => res.writeHead(200).end('ok'));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      const item = { path: req.url ?? '/', headers, body, at: Date.now() };
      received.push(item);
      responder(item, res, received.filter((r) => r.path === item.path).length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: (path = '/') => `http://127.0.0.1:${port}${path}`,
    received,
    /** What arrived at one path. */
    at: (path: string) => received.filter((r) => r.path === path),
    /** The parsed bodies that arrived at one path. */
    messages: (path: string) => received.filter((r) => r.path === path).map((r) => JSON.parse(r.body) as Record<string, any>),
    respondWith(next: Responder) {
      responder = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
