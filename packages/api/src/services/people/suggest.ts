import { clockMinutes, type TWorkingHours } from '@scheduler/shared';
import { DateTime } from 'luxon';
import { mergeIntervals, type Interval } from './intervals.ts';

/** Slots start on a grid of this step, counted from the start of each working day. */
export const SLOT_STEP_MS = 15 * 60_000;

export interface SlotSearch {
  /** Everyone's busy intervals, in any order, overlapping or not. */
  busy: readonly Interval[];
  /** The window to search, `[from, to)`. */
  from: number;
  to: number;
  durationMs: number;
  /** IANA zone the working hours are read in (a valid one: the caller checks). */
  timezone: string;
  workingHours: TWorkingHours;
  limit: number;
  stepMs?: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** The wall-clock reading of an instant in a zone, as milliseconds on a UTC axis. */
const wallAt = (ms: number, zone: string) => ms + DateTime.fromMillis(ms, { zone }).offset * MINUTE_MS;

/**
 * The first instant at which the zone's clock reads `wall` or later (`wall` on
 * a UTC axis). A time repeated by a fall-back change is its first pass; a time
 * skipped by a spring-forward gap is the moment of the jump, so working hours
 * that start or end inside a gap start or end when the clock passes them.
 */
function firstInstantReading(wall: number, zone: string): number {
  const guess = DateTime.fromMillis(wall, { zone: 'UTC' }).setZone(zone, { keepLocalTime: true }).toMillis();
  const offsetBefore = DateTime.fromMillis(guess - DAY_MS, { zone }).offset;
  const offsetNow = DateTime.fromMillis(guess, { zone }).offset;
  if (offsetBefore > offsetNow) {
    const earlier = guess - (offsetBefore - offsetNow) * MINUTE_MS;
    if (wallAt(earlier, zone) === wall) return earlier;
  }
  if (wallAt(guess, zone) === wall) return guess;
  // Inside a gap: luxon moved forward past the jump; find the jump (changes fall on whole minutes).
  let lo = guess - DAY_MS;
  let hi = guess;
  while (hi - lo > MINUTE_MS) {
    const mid = lo + Math.floor((hi - lo) / (2 * MINUTE_MS)) * MINUTE_MS;
    if (wallAt(mid, zone) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The first instant a local `HH:MM` is reached on a local date; `24:00` is the next midnight. */
function localInstant(day: DateTime, clock: string): number {
  const midnight = new Date(0).setUTCFullYear(day.year, day.month - 1, day.day); // unlike Date.UTC, keeps years 0-99
  return firstInstantReading(midnight + clockMinutes(clock) * MINUTE_MS, day.zoneName ?? 'UTC');
}

/**
 * The working hours of each local day that reaches into `[from, to)`, as
 * instants, in order. Each day is placed in the zone on its own, so the hours
 * stay at the same wall-clock time across daylight-saving changes.
 */
export function workingDays(from: number, to: number, timezone: string, hours: TWorkingHours): Interval[] {
  const out: Interval[] = [];
  const first = DateTime.fromMillis(from, { zone: timezone }).startOf('day');
  if (!first.isValid) throw new Error(`not a time zone: ${timezone}`);
  for (let day = first; ; day = day.plus({ days: 1 })) {
    const start = localInstant(day, hours.start);
    if (!(start < to)) break;
    const end = localInstant(day, hours.end);
    if (end > start && end > from) out.push({ start, end });
  }
  return out;
}

/**
 * The earliest slots of `durationMs` inside `[from, to)` and inside the
 * working hours of a local day, overlapping no busy interval, in order, at
 * most `limit`. A slot starts on the day's grid (`stepMs` from the start of
 * its working hours); each next slot is the earliest that starts at or after
 * the end of the one before, so slots never overlap one another.
 */
export function suggestSlots(search: SlotSearch): Interval[] {
  const { from, to, durationMs, limit } = search;
  const step = search.stepMs ?? SLOT_STEP_MS;
  const busy = mergeIntervals(search.busy);
  const out: Interval[] = [];
  if (limit < 1 || durationMs <= 0 || to <= from) return out;
  let next = 0; // first busy interval that may still matter: busy[next].end > every later candidate's start
  let earliest = from; // no slot starts before the previous slot's end
  for (const day of workingDays(from, to, search.timezone, search.workingHours)) {
    const last = Math.min(day.end, to) - durationMs; // latest start that still fits
    const onGrid = (at: number) => day.start + Math.ceil(Math.max(0, at - day.start) / step) * step;
    let candidate = onGrid(Math.max(earliest, day.start));
    while (candidate <= last) {
      while (next < busy.length && busy[next]!.end <= candidate) next += 1;
      const blocker = busy[next];
      if (blocker && blocker.start < candidate + durationMs) {
        candidate = onGrid(blocker.end);
        continue;
      }
      out.push({ start: candidate, end: candidate + durationMs });
      if (out.length >= limit) return out;
      earliest = candidate + durationMs;
      candidate = onGrid(earliest);
    }
  }
  return out;
}
