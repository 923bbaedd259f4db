import { TRPCClientError } from '@scheduler/client';
import type { TConflict } from '@scheduler/shared';

interface ErrorData {
  appCode?: string;
  details?: { path: string; message: string }[];
  conflicts?: TConflict[];
}

function dataOf(error: unknown): ErrorData | undefined {
  return error instanceof TRPCClientError ? ((error.data ?? undefined) as ErrorData | undefined) : undefined;
}

/** The API's machine code of a failed call (`EVENT_CONFLICT`, `FORBIDDEN`, …). */
export function errorCode(error: unknown): string | undefined {
  return dataOf(error)?.appCode;
}

/** The events an EVENT_CONFLICT answer says the change would overlap. */
export function conflictsOf(error: unknown): TConflict[] | undefined {
  return errorCode(error) === 'EVENT_CONFLICT' ? (dataOf(error)?.conflicts ?? []) : undefined;
}

/** A sentence for the person: the server's message plus the fields it names. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return 'Something went wrong.';
  const details = dataOf(error)?.details;
  if (details?.length) return details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ');
  return error.message || 'Something went wrong.';
}
