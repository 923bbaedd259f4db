/**
 * The arithmetic of the benchmark suite: medians over alternating runs and ratios to the floor.
 * Pure functions only (unit-tested in stats.test.ts); nothing here measures anything.
 */

/** What one load run (product or floor) measured. */
export interface RunFigures {
  reqPerSec: number;
  p50: number;
  p99: number;
  /** Non-2xx answers plus socket errors and timeouts. */
  errors: number;
  requests: number;
  /** Server CPU during the run, % of one core (from /proc/<pid>/stat). */
  cpuPercent: number | null;
  /** Highest VmRSS sampled during the run, MiB. */
  peakRssMiB: number | null;
}

/** The figures a scenario reports: medians over its runs, errors summed, RSS at its peak. */
export interface Aggregate {
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  cpuPercent: number | null;
  peakRssMiB: number | null;
  runs: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

const present = (values: Array<number | null>): number[] => values.filter((v): v is number => v !== null && Number.isFinite(v));

export function aggregate(runs: readonly RunFigures[]): Aggregate {
  const cpu = present(runs.map((r) => r.cpuPercent));
  const rss = present(runs.map((r) => r.peakRssMiB));
  return {
    reqPerSec: median(runs.map((r) => r.reqPerSec)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    cpuPercent: cpu.length ? median(cpu) : null,
    peakRssMiB: rss.length ? Math.max(...rss) : null,
    runs: runs.length,
  };
}

/** `value / floor`, rounded to two decimals; null when either side is missing. */
export function ratio(value: number | null | undefined, floor: number | null | undefined): number | null {
  if (value == null || floor == null || !Number.isFinite(value) || !Number.isFinite(floor) || floor === 0) return null;
  return Math.round((value / floor) * 100) / 100;
}

/**
 * The median of each run's ratio to the floor run beside it (runs[i] against floors[i]), two
 * decimals; null when no pair has both. For figures, such as a tail latency, that move with the
 * machine's state more than the allowed margin: each pair was measured under the same state.
 */
export function pairedRatio(values: ReadonlyArray<number | null>, floors: ReadonlyArray<number | null>): number | null {
  const ratios = values.map((value, i) => ratio(value, floors[i])).filter((r): r is number => r !== null);
  return ratios.length ? Math.round(median(ratios) * 100) / 100 : null;
}

/** CPU used between two readings of /proc/<pid>/stat, as % of one core over `wallSeconds`. */
export function cpuPercent(cpuSecondsBefore: number, cpuSecondsAfter: number, wallSeconds: number): number {
  if (wallSeconds <= 0) return NaN;
  return Math.round(((cpuSecondsAfter - cpuSecondsBefore) / wallSeconds) * 100);
}

/** utime + stime (clock ticks) of a /proc/<pid>/stat line, in seconds; the command name may hold spaces. */
export function parseProcStatCpuSeconds(stat: string, ticksPerSecond = 100): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** VmRSS of a /proc/<pid>/status text, in MiB. */
export function parseVmRssMiB(status: string): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}
