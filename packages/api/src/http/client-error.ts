import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_STATUS, type TErrorBody, type TErrorCode } from '@scheduler/shared';
import type { Logger } from '../logger.ts';

/**
 * Writes a complete HTTP/1.1 answer with the contract's JSON error body on a
 * raw socket, then closes it. For the places where no ServerResponse exists:
 * Node's `clientError` (unparseable requests, oversized headers, timeouts)
 * and refused WebSocket upgrades.
 */
export function writeRawError(socket: Duplex, code: TErrorCode, message: string, headers: Record<string, string> = {}): void {
  if (!socket.writable) return void socket.destroy();
  const status = ERROR_STATUS[code];
  const body = JSON.stringify({ error: message, code } satisfies TErrorBody);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/** What a `clientError` means for the client, by Node's error code. */
function describeClientError(errorCode: string | undefined): { code: TErrorCode; message: string } {
  switch (errorCode) {
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'HEADERS_TOO_LARGE', message: 'The request headers are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return { code: 'REQUEST_TIMEOUT', message: 'The request was not received in time' };
    default:
      return { code: 'VALIDATION_ERROR', message: 'Malformed HTTP request' };
  }
}

export interface HttpTimeouts {
  /** Time to receive the whole request (not the answer: streams stay open). */
  requestTimeoutMs: number;
  /** Time to receive the request headers. */
  headersTimeoutMs: number;
  /** How long an idle keep-alive connection stays open; longer than a load balancer's idle timeout. */
  keepAliveTimeoutMs: number;
}

/**
 * Sets the server's timeouts and answers every request Node refuses before
 * our handler runs (bad request line, 431, 408) in the contract's error shape
 * instead of Node's bodyless defaults.
 */
export function hardenServer(server: Server, timeouts: HttpTimeouts, logger: Logger): void {
  server.requestTimeout = timeouts.requestTimeoutMs;
  server.headersTimeout = Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs);
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A reset socket has nobody to tell; one whose answer has begun cannot start another (as Node itself does).
    const answering = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (error.code === 'ECONNRESET' || !socket.writable || answering) {
      return void socket.destroy();
    }
    const { code, message } = describeClientError(error.code);
    logger.debug({ err: error, code }, 'client error');
    writeRawError(socket, code, message);
  });
}
