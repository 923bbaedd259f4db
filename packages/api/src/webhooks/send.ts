import { createHmac, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { guardedLookup, isPrivateAddress, literalAddress } from './address-policy.ts';

/** A new signing secret: `whsec_` and the base64 of 32 random bytes (Standard Webhooks). */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed with the secret's base64 part. */
export function sign(secret: string, messageId: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${messageId}.${timestamp}.${body}`).digest('base64')}`;
}

export interface SendOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  /** Aborts the request (shutdown). */
  signal?: AbortSignal;
}

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  /** Seconds the receiver asked to wait (Retry-After), if it did. */
  retryAfterSeconds?: number | undefined;
}

/** Reads Retry-After as seconds: a number of seconds or an HTTP date. */
export function retryAfterSeconds(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** What the log shows of a receiver's answer: enough to debug, never the whole body. */
const ERROR_BODY_CHARS = 200;

/**
 * POSTs one signed message. Success is a 2xx within the timeout; redirects
 * are not followed (a 3xx is a failure); private addresses are refused at
 * connect time unless allowed. Never throws.
 */
export async function sendWebhook(
  url: string,
  secret: string,
  message: { id: string; body: string },
  options: SendOptions,
): Promise<SendResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { ok: false, statusCode: null, error: 'invalid URL' };
  }
  const literal = literalAddress(target.hostname);
  if (!options.allowPrivate && literal !== undefined && isPrivateAddress(literal)) {
    return { ok: false, statusCode: null, error: `${literal} is a private, loopback or link-local address` };
  }
  const timestamp = Math.floor(Date.now() / 1000);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const req = request(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(message.body),
          'user-agent': 'event-scheduler-webhooks/1',
          'webhook-id': message.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': sign(secret, message.id, timestamp, message.body),
        },
        ...(options.allowPrivate ? {} : { lookup: guardedLookup }),
        // One request per connection: a kept-alive socket would skip the next lookup's check.
        agent: false,
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < ERROR_BODY_CHARS) text += chunk;
        });
        res.on('error', () => {});
        res.on('end', () => {
          const ok = status >= 200 && status < 300;
          finish({
            ok,
            statusCode: status,
            error: ok ? null : `HTTP ${status}${text ? `: ${text.slice(0, ERROR_BODY_CHARS)}` : ''}`,
            retryAfterSeconds: retryAfterSeconds(res.headers['retry-after']),
          });
        });
      },
    );
    const timer = setTimeout(() => {
      finish({ ok: false, statusCode: null, error: `no answer within ${options.timeoutMs} ms` });
      req.destroy();
    }, options.timeoutMs);
    const onAbort = () => {
      finish({ ok: false, statusCode: null, error: 'aborted' });
      req.destroy();
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish({ ok: false, statusCode: null, error: error.message || error.code || 'request failed' }),
    );
    req.end(message.body);
  });
}
