/** A half-open span of time `[start, end)` in epoch milliseconds. */
export interface Interval {
  start: number;
  end: number;
}

/**
 * The union of the intervals as disjoint intervals in order: overlapping and
 * touching ones (`a.end === b.start`) become one; empty ones are dropped.
 */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const { start, end } of sorted) {
    const last = out[out.length - 1];
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else out.push({ start, end });
  }
  return out;
}

/** The part of `interval` inside `[from, to)`, or null when nothing (or nothing but an instant) is. */
export function clipInterval(interval: Interval, from: number, to: number): Interval | null {
  const start = Math.max(interval.start, from);
  const end = Math.min(interval.end, to);
  return end > start ? { start, end } : null;
}
