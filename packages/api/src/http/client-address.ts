import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/**
 * Which proxies in front of the server are trusted, as Express's `trust proxy`:
 * none, a number of hops, or the proxies' addresses and ranges (CIDR, or
 * `loopback`, `linklocal`, `uniquelocal`).
 */
export type TrustProxy = { hops: number } | { proxies: readonly string[] };

type TrustFn = (address: string, hop: number) => boolean;

/** Reads TRUST_PROXY: true/false, a hop count, or a comma-separated list of proxy addresses. Throws on a bad address. */
export function parseTrustProxy(value: string): TrustProxy {
  const text = value.trim().toLowerCase();
  if (text === 'true') return { hops: 1 };
  if (text === 'false' || text === '') return { hops: 0 };
  if (/^\d+$/.test(text)) return { hops: Number(text) };
  const proxies = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  proxyAddr.compile(proxies); // fails now, at start-up, on an address it cannot read
  return { proxies };
}

const compiled = new WeakMap<TrustProxy, TrustFn>();

function trustFn(trust: TrustProxy): TrustFn {
  let fn = compiled.get(trust);
  if (!fn) {
    // Hop 0 is the socket's peer; with n trusted hops, the peer and n - 1 forwarders are proxies.
    fn = 'hops' in trust ? (_address, hop) => hop < trust.hops : proxyAddr.compile([...trust.proxies]);
    compiled.set(trust, fn);
  }
  return fn;
}

/**
 * The client's address: the right-most X-Forwarded-For entry not added by a
 * trusted hop. Entries to its left were written by the client and are ignored.
 */
export function clientAddress(req: IncomingMessage, trust: TrustProxy): string | null {
  if (!req.socket.remoteAddress) return null;
  if ('hops' in trust && trust.hops === 0) return req.socket.remoteAddress;
  return proxyAddr(req, trustFn(trust));
}

const HOST = /^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/i;

/**
 * The scheme and host the client used to reach the API (`https://cal.example.com`),
 * for absolute URLs in answers: the configured public URL when there is one,
 * else the Host header, and X-Forwarded-Proto / X-Forwarded-Host when the
 * peer is a trusted proxy. A malformed host falls back to `localhost`.
 */
export function requestOrigin(req: IncomingMessage, trust: TrustProxy, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl;
  const peer = req.socket.remoteAddress;
  const proxied = peer !== undefined && !('hops' in trust && trust.hops === 0) && trustFn(trust)(peer, 0);
  const forwarded = (name: string) => {
    const value = req.headers[name];
    return proxied && typeof value === 'string' ? value.split(',')[0]!.trim() : undefined;
  };
  const proto = forwarded('x-forwarded-proto')?.toLowerCase();
  const scheme = proto === 'https' || proto === 'http' ? proto : 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
  const host = forwarded('x-forwarded-host') ?? req.headers.host ?? '';
  return `${scheme}://${HOST.test(host) ? host.toLowerCase() : 'localhost'}`;
}
