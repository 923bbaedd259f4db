import type { AppRouter } from '../routers/root.ts';
import type { ProcedureMeta } from '../trpc.ts';

const FIXED = new Set(['/', '/healthz', '/readyz', '/openapi.json', '/docs', '/api/events/stream']);

/**
 * Maps a request path to the route it matched, with ids left as their
 * parameter names (`/api/events/{id}`), so access logs group by route and
 * never carry the raw URL.
 */
export function routeTemplates(appRouter: AppRouter): (path: string) => string {
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { meta?: ProcedureMeta } }>;
  const templates = [...new Set(Object.values(procedures).flatMap((p) => (p._def.meta?.openapi?.path ? [p._def.meta.openapi.path] : [])))]
    .map((template) => ({
      template: `/api${template}`,
      // Fixed segments before parameters: /events/batch is not /events/{id}.
      pattern: new RegExp(`^/api${template.replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
      fixed: template.split('/').filter((s) => s && !s.startsWith('{')).length,
    }))
    .sort((a, b) => b.fixed - a.fixed);
  return (rawPath: string) => {
    const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
    if (FIXED.has(path)) return path;
    if (path.startsWith('/docs/')) return '/docs/{asset}';
    if (path.startsWith('/collab/')) return '/collab/{event_id}';
    if (path === '/trpc' || path.startsWith('/trpc/')) {
      // Procedure names, not ids: tRPC paths carry no user data (input travels in the query or body).
      const names = path.slice('/trpc/'.length);
      return /^[\w.,]{0,300}$/.test(names) ? path : '/trpc/{procedure}';
    }
    for (const { template, pattern } of templates) if (pattern.test(path)) return template;
    return '(no route)';
  };
}
