/** Durations in milliseconds. */
const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

/** RFC 3339 to the second, as the API writes it ("2040-01-01T10:00:00Z"). */
export function iso(moment: number | string | Date): string {
  const ms = typeof moment === 'number' ? moment : typeof moment === 'string' ? Date.parse(moment) : moment.getTime();
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The moment `offsetMs` after `moment` (a date, an ISO string or epoch ms), as the API writes it. */
export function at(moment: number | string | Date, offsetMs = 0): string {
  const ms = typeof moment === 'number' ? moment : typeof moment === 'string' ? Date.parse(moment) : moment.getTime();
  return iso(ms + offsetMs);
}

/** Seconds since the epoch, relative to now: what JWT `exp` and `iat` hold. */
export function epochSeconds(offsetSeconds = 0): number {
  return Math.floor(Date.now() / SECOND) + offsetSeconds;
}

/** An event's times: `start` plus a duration. */
export function span(start: number | string | Date, durationMs = HOUR): { start_time: string; end_time: string } {
  return { start_time: at(start), end_time: at(start, durationMs) };
}

/** `count` events one hour apart from `base`, each `durationMs` long. */
export function hourly(
  base: number,
  count: number,
  durationMs = 30 * MINUTE,
): Array<{ title: string; start_time: string; end_time: string }> {
  return Array.from({ length: count }, (_, i) => ({ title: `item ${i}`, ...span(base + i * HOUR, durationMs) }));
}

/**
 * Resolves once the wall clock is in a later whole second than when called.
 * Stored times have one-second resolution, so whatever was written before is
 * then strictly earlier than whatever is written after: a bound on ordering,
 * not a wait for something to happen (use `eventually` for that).
 */
export async function nextSecond(marginMs = 20): Promise<void> {
  const target = (Math.floor(Date.now() / SECOND) + 1) * SECOND + marginMs;
  while (Date.now() < target) await new Promise((resolve) => setTimeout(resolve, target - Date.now()));
}
