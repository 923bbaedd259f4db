/**
 * The targets of issue 10 ("Speed"), by scenario, and how a measured scenario is judged
 * against them. Ratios are to the floor measured in the same run; absolute times on a shared
 * machine are noise, so the targets are ratios wherever the issue gives one.
 */

export type Metric =
  /** product req/s ÷ floor req/s */
  | 'ratio'
  /** product p99 ÷ floor p99 */
  | 'p99Ratio'
  | 'p99Ms'
  | 'peakRssMB'
  | 'bytesPerConnection'
  | 'batchMs';

export interface Target {
  metric: Metric;
  op: '>=' | '<=' | '<';
  value: number;
  /** As the report prints it. */
  text: string;
  /** Where the target comes from when it is not issue 10. */
  source?: string;
}

export interface TargetOutcome extends Target {
  measured: number | null;
  verdict: 'met' | 'not met' | 'not measured';
}

export const TARGETS: Readonly<Record<string, readonly Target[]>> = {
  'get-event': [
    { metric: 'ratio', op: '>=', value: 0.8, text: 'req/s ≥ 0.8 × floor' },
    { metric: 'p99Ratio', op: '<=', value: 2, text: 'p99 ≤ 2 × floor' },
  ],
  'get-event-trpc': [
    { metric: 'ratio', op: '>=', value: 0.8, text: 'req/s ≥ 0.8 × floor' },
    { metric: 'p99Ratio', op: '<=', value: 2, text: 'p99 ≤ 2 × floor' },
  ],
  'auth-me': [{ metric: 'ratio', op: '>=', value: 0.9, text: 'req/s ≥ 0.9 × floor' }],
  listing: [{ metric: 'ratio', op: '>=', value: 0.5, text: 'req/s ≥ 0.5 × floor' }],
  create: [{ metric: 'ratio', op: '>=', value: 0.4, text: 'req/s ≥ 0.4 × floor' }],
  'pglite-get-event': [{ metric: 'ratio', op: '>=', value: 0.3, text: 'req/s ≥ 0.3 × PostgreSQL floor' }],
  'live-fanout': [
    { metric: 'p99Ratio', op: '<=', value: 1.3, text: 'p99 ≤ 1.3 × harness floor' },
    { metric: 'peakRssMB', op: '<', value: 300, text: 'peak RSS < 300 MB' },
  ],
  'idle-ws': [{ metric: 'bytesPerConnection', op: '<', value: 50_000, text: '< 50 KB per connection' }],
  batch: [{ metric: 'batchMs', op: '<', value: 2000, text: 'median < 2 s', source: 'docs/benchmarks.md §2' }],
  collab: [{ metric: 'p99Ms', op: '<', value: 150, text: 'p99 < 150 ms', source: 'docs/benchmarks.md §5' }],
};

export function judge(targets: readonly Target[], metrics: Partial<Record<Metric, number | null>>): TargetOutcome[] {
  return targets.map((target) => {
    const measured = metrics[target.metric] ?? null;
    if (measured === null || !Number.isFinite(measured)) return { ...target, measured: null, verdict: 'not measured' };
    const met = target.op === '>=' ? measured >= target.value : target.op === '<=' ? measured <= target.value : measured < target.value;
    return { ...target, measured, verdict: met ? 'met' : 'not met' };
  });
}
