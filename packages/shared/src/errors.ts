import { z } from 'zod';

/** The machine codes of the API's error vocabulary. */
export const ERROR_CODES = [
  'VALIDATION_ERROR',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'EVENT_CONFLICT',
  'PRECONDITION_FAILED',
  'GONE',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'METHOD_NOT_ALLOWED',
  'RATE_LIMITED',
  'REQUEST_TIMEOUT',
  'HEADERS_TOO_LARGE',
  'INTERNAL_ERROR',
  'SERVICE_UNAVAILABLE',
] as const;
export type TErrorCode = (typeof ERROR_CODES)[number];

/** HTTP status of each error code; the one table both tRPC and REST use. */
export const ERROR_STATUS: Record<TErrorCode, number> = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  EVENT_CONFLICT: 409,
  GONE: 410,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  REQUEST_TIMEOUT: 408,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
};

/** tRPC's name for each code (tRPC has no 410, so GONE travels as NOT_FOUND plus the app code). */
export const ERROR_TRPC_CODE = {
  VALIDATION_ERROR: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_SUPPORTED',
  CONFLICT: 'CONFLICT',
  EVENT_CONFLICT: 'CONFLICT',
  GONE: 'NOT_FOUND',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  REQUEST_TIMEOUT: 'TIMEOUT',
  HEADERS_TOO_LARGE: 'BAD_REQUEST',
  INTERNAL_ERROR: 'INTERNAL_SERVER_ERROR',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
} as const satisfies Record<TErrorCode, string>;

/** The code an HTTP status stands for when an answer names none: the first code with that status. */
export function errorCodeOfStatus(status: number): TErrorCode {
  return ERROR_CODES.find((code) => ERROR_STATUS[code] === status) ?? 'INTERNAL_ERROR';
}

export const ZErrorDetail = z.object({ path: z.string(), message: z.string() });
export type TErrorDetail = z.infer<typeof ZErrorDetail>;

export const ZConflict = z.object({
  id: z.number().int(),
  title: z.string(),
  start_time: z.string(),
  end_time: z.string(),
});
export type TConflict = z.infer<typeof ZConflict>;

/** The JSON body of every error answer. */
export const ZErrorBody = z
  .object({
    error: z.string().describe('Human-readable message'),
    code: z.enum(ERROR_CODES),
    details: z.array(ZErrorDetail).optional(),
    conflicts: z.array(ZConflict).optional(),
  })
  .meta({ id: 'Error' });
export type TErrorBody = z.infer<typeof ZErrorBody>;
