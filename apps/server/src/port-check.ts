import { createServer } from 'node:net';

/**
 * Fails fast (with the listen error, e.g. EADDRINUSE) when the port cannot be
 * bound, before the database is opened and migrated, which can take seconds.
 * The real listen can still fail later if another process takes the port in
 * between; that error is reported the same way.
 */
export function checkPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
