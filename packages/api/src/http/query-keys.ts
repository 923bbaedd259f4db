import { AppError } from '../errors.ts';

/**
 * Query parameter names that are properties of every JavaScript object
 * (`toString`, `constructor`, `__proto__`, …). trpc-to-openapi collects the
 * query into a plain object and mistakes such a name for a value already
 * there (a 500); no operation has a parameter by those names, so they are
 * refused as bad input.
 */
export function assertPlainQueryKeys(params: URLSearchParams): void {
  for (const key of params.keys()) {
    if (key in Object.prototype) {
      throw new AppError('VALIDATION_ERROR', `${key}: is not a query parameter of any operation`, {
        details: [{ path: key, message: 'is not a query parameter' }],
      });
    }
  }
}
