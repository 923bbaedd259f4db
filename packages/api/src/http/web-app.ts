import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

/** Where the web app is served; everything below it is the single-page app. */
const WEB_APP_PATH = '/app';

/**
 * Stricter than the browser default: the app loads only its own scripts and
 * talks only to this origin (HTTP and WebSocket). Styles may be inline because
 * the calendar and the editor inject theirs at run time.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The built app (apps/web/dist), looked for above this module and above the working directory. */
function findWebAppDir(): string | undefined {
  const starts = [path.dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'apps', 'web', 'dist');
      if (existsSync(path.join(candidate, 'index.html'))) return candidate;
      if (path.dirname(dir) === dir) break;
    }
  }
  return undefined;
}

/** True when the request is a browser navigation (it prefers HTML over JSON). */
function wantsHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('text/html') && !accept.startsWith('application/json');
}

/**
 * Serves the built web app at /app/ with sirv (`single`: any path below /app/
 * that is not a file answers index.html, so deep links work on reload) and
 * sends browsers that open `/` there. Returns false for every other request
 * (and when the app has not been built: `dir` null), leaving it to the API's routes.
 */
export function createWebAppRoute(dir: string | null = findWebAppDir() ?? null) {
  const serve = dir
    ? sirv(dir, {
        single: true,
        etag: true,
        setHeaders: (res, pathname) => {
          // Vite names assets by content hash; the page itself must be revalidated.
          if (pathname.startsWith('/assets/')) res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
          else res.setHeader('Cache-Control', 'no-cache');
          res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
          res.setHeader('X-Content-Type-Options', 'nosniff');
          res.setHeader('Referrer-Policy', 'same-origin');
        },
      })
    : undefined;

  return (req: IncomingMessage, res: ServerResponse, url: URL, routePath: string): boolean => {
    if (!serve) return false;
    if (routePath === '/' && wantsHtml(req)) {
      res.writeHead(302, { Location: `${WEB_APP_PATH}/` }).end();
      return true;
    }
    if (url.pathname === WEB_APP_PATH) {
      res.writeHead(301, { Location: `${WEB_APP_PATH}/${url.search}` }).end();
      return true;
    }
    if (!url.pathname.startsWith(`${WEB_APP_PATH}/`)) return false;
    // sirv resolves files from req.url: strip the mount point.
    req.url = (req.url ?? '/').slice(WEB_APP_PATH.length) || '/';
    serve(req, res, () => void res.writeHead(404).end());
    return true;
  };
}
