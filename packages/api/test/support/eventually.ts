export interface EventuallyOptions {
  /** How long the condition may take before the last failure is thrown (ms). */
  timeout?: number;
  /** Pause between attempts (ms). */
  interval?: number;
}

/**
 * Retries `check` until it stops throwing and returns its result; after the
 * timeout, throws its last error. Live systems settle asynchronously: wait for
 * the condition itself, never for a fixed time.
 *
 * A bare number is the timeout (the older call form).
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  options: EventuallyOptions | number = {},
  legacyInterval?: number,
): Promise<T> {
  const { timeout = 10_000, interval = legacyInterval ?? 50 } = typeof options === 'number' ? { timeout: options } : options;
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
