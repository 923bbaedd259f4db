/**
 * The floor: the least a server can do for one request on this machine. A bare `node:http`
 * process that reads the request (and its body), makes one `pg` round trip, and answers the
 * body the product gave for the same request, byte for byte. The same process also speaks the
 * least of tRPC's WebSocket protocol (connectionParams, query -> data) so that the WebSocket
 * scenario has a floor driven by the very same client.
 *
 * Run by the suite as its own process (`fork`); the parent sets what to answer over IPC:
 *   { sql, params, status, body, contentType } -> replies { ok: true }
 *
 *   process.send({ port }) once listening.
 */
import { createServer, type IncomingMessage } from 'node:http';
import pg from 'pg';
import { WebSocketServer } from 'ws';

export interface FloorRoute {
  /** One statement; run once per request (the one round trip). */
  sql: string;
  params: unknown[];
  status: number;
  /** The product's response body for the same request. */
  body: string;
  contentType: string;
  /** For tRPC over WebSocket: the `data` of the product's answer, as JSON text. */
  wsData?: string;
}

const databaseUrl = process.env['FLOOR_DATABASE_URL'];
if (!databaseUrl) throw new Error('FLOOR_DATABASE_URL is required');
// The product's pool size, so both sides can have as many queries in flight.
const pool = new pg.Pool({ connectionString: databaseUrl, max: Number(process.env['FLOOR_POOL_SIZE'] ?? 10) });
let route: FloorRoute = { sql: 'select 1', params: [], status: 200, body: '{}', contentType: 'application/json' };
let headers = headersFor(route);

function headersFor(r: FloorRoute): Record<string, string | number> {
  return { 'content-type': r.contentType, 'content-length': Buffer.byteLength(r.body) };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const server = createServer((req, res) => {
  const current = route;
  const currentHeaders = headers;
  readBody(req)
    .then(() => pool.query(current.sql, current.params))
    .then(() => {
      res.writeHead(current.status, currentHeaders);
      res.end(current.body);
    })
    .catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
});

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
wss.on('connection', (ws) => {
  ws.on('message', (raw) => {
    const text = String(raw);
    if (text === 'PING') return ws.send('PONG');
    const message = JSON.parse(text) as { id?: number | string; method?: string; jsonrpc?: string };
    if (message.method !== 'query' || message.id === undefined) return; // connectionParams and the rest: nothing to do
    const current = route;
    pool.query(current.sql, current.params).then(
      () => ws.send(`{"id":${JSON.stringify(message.id)},"result":{"type":"data","data":${current.wsData ?? current.body}}}`),
      (error: unknown) => ws.send(JSON.stringify({ id: message.id, error: { message: String(error), code: -32603 } })),
    );
  });
});

process.on('message', (next: FloorRoute) => {
  route = next;
  headers = headersFor(next);
  process.send!({ ok: true });
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
