import { setImmediate as nextTurn } from 'node:timers/promises';

/** Longest a loop keeps the event loop before letting other requests in. */
const SLICE_MS = 10;

/**
 * For long loops on the event loop: `await pause()` between steps hands the
 * loop to other work (I/O, other requests) whenever this one has held it for
 * SLICE_MS, so one big request delays the others by milliseconds, not seconds.
 */
export function cooperative(sliceMs = SLICE_MS): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < sliceMs) return undefined;
    return nextTurn().then(() => {
      since = performance.now();
    });
  };
}
