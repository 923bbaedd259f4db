import { TRPCClientError } from '../src/index.ts';

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE.has(code)) return code;
    for (const inner of (e as { errors?: unknown[] }).errors ?? []) {
      const innerCode = networkCode(inner);
      if (innerCode) return innerCode;
    }
  }
  return undefined;
}

/** One line for a failure: the server not being there, or the API's own error with its code. */
export function describeError(error: unknown, url: string): string {
  const code = networkCode(error);
  if (code || (error instanceof Error && /Cannot reach the Event Scheduler API|fetch failed/.test(error.message))) {
    return `No Event Scheduler API at ${url}${code ? ` (${code})` : ''}: start it (npm start) or set API_URL to where it runs.`;
  }
  if (error instanceof TRPCClientError) {
    const appCode = (error.data as { appCode?: string } | undefined)?.appCode;
    return `Failed${appCode ? ` [${appCode}]` : ''}: ${error.message}`;
  }
  return `Failed: ${error instanceof Error ? error.message : String(error)}`;
}
