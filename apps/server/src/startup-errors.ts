import type { Config } from '@scheduler/api';
import { DataDirLockedError } from './data-dir-lock.ts';

type Cause = Error & { code?: string; errors?: unknown[]; cause?: unknown };

/** The error itself and every error it wraps (migration failures, AggregateErrors of connection attempts). */
function* causes(error: unknown, depth = 0): Generator<Cause> {
  if (!(error instanceof Error) || depth > 5) return;
  const e = error as Cause;
  yield e;
  if (e.cause) yield* causes(e.cause, depth + 1);
  for (const inner of e.errors ?? []) yield* causes(inner, depth + 1);
}

/** `postgres://user@host:5432/name` without the password, and its parts. */
function describeUrl(url: string): { safe: string; host: string; port: string; user: string; name: string } {
  try {
    const u = new URL(url);
    const name = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres';
    const user = decodeURIComponent(u.username) || 'postgres';
    const port = u.port || '5432';
    return { safe: `${u.protocol}//${u.username ? `${u.username}@` : ''}${u.host}${u.pathname}`, host: u.hostname, port, user, name };
  } catch {
    return { safe: '(DATABASE_URL)', host: 'localhost', port: '5432', user: 'postgres', name: 'scheduler' };
  }
}

/**
 * One line that says what stopped the start-up and what to do about it, for
 * the failures a newcomer meets: a port in use, a PostgreSQL database that
 * does not exist or cannot be reached, a data directory another server holds.
 * Null for anything else (a bug: the caller prints the stack).
 */
export function describeStartupError(error: unknown, config: Readonly<Config>): string | null {
  for (const e of causes(error)) {
    if (e instanceof DataDirLockedError) return e.message;
    if (e.code === 'EADDRINUSE') {
      return `Port ${config.port} on ${config.host} is already in use; stop the process using it or set PORT to another port.`;
    }
    if (e.code === 'EACCES' && (e as { syscall?: string }).syscall === 'listen') {
      return `Not allowed to listen on port ${config.port}; set PORT to a port above 1023.`;
    }
    if (!config.databaseUrl) continue;
    const db = describeUrl(config.databaseUrl);
    switch (e.code) {
      case '3D000':
        return `Database "${db.name}" does not exist on ${db.host}:${db.port}; create it (createdb -h ${db.host} -p ${db.port} -U ${db.user} ${db.name}) or fix DATABASE_URL.`;
      case 'ECONNREFUSED':
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
      case 'ETIMEDOUT':
      case 'EHOSTUNREACH':
        return `Cannot reach PostgreSQL at ${db.host}:${db.port} (${e.code}); is it running? Check DATABASE_URL (${db.safe}).`;
      case '28P01':
      case '28000':
        return `PostgreSQL refused the login of user "${db.user}" at ${db.host}:${db.port}: ${e.message}. Check DATABASE_URL (${db.safe}).`;
      case '42501':
        return `User "${db.user}" may not create tables in database "${db.name}": ${e.message}.`;
    }
  }
  return null;
}
