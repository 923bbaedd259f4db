import { describe, expect, it } from 'vitest';
import { parseArgs, QUICK, FULL } from './cli.ts';
import { BEGIN_MARKER, END_MARKER, renderSection, spliceSection, type ScenarioResult, type SuiteReport } from './report.ts';
import {
  aggregate,
  cpuPercent,
  median,
  pairedRatio,
  parseProcStatCpuSeconds,
  parseVmRssMiB,
  percentile,
  ratio,
  type RunFigures,
} from './stats.ts';
import { judge, TARGETS } from './targets.ts';

const run = (reqPerSec: number, p99: number, extra: Partial<RunFigures> = {}): RunFigures => ({
  reqPerSec,
  p50: p99 / 4,
  p99,
  errors: 0,
  requests: reqPerSec * 8,
  cpuPercent: 100,
  peakRssMiB: 150,
  ...extra,
});

describe('stats', () => {
  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('takes nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
  });

  it('aggregates runs: medians, summed errors, the highest RSS, CPU where known', () => {
    const a = aggregate([
      run(100, 20, { errors: 1, peakRssMiB: 140 }),
      run(300, 10, { cpuPercent: null }),
      run(200, 30, { errors: 2, peakRssMiB: 180, cpuPercent: 80 }),
    ]);
    expect(a).toEqual({ reqPerSec: 200, p50: 5, p99: 20, errors: 3, cpuPercent: 90, peakRssMiB: 180, runs: 3 });
  });

  it('gives ratios to two decimals, and none without a floor', () => {
    expect(ratio(588, 6764)).toBe(0.09);
    expect(ratio(1627, 6764)).toBe(0.24);
    expect(ratio(5, 0)).toBeNull();
    expect(ratio(null, 10)).toBeNull();
    expect(ratio(NaN, 10)).toBeNull();
  });

  it('takes the median of paired ratios, skipping pairs with a side missing', () => {
    // Floors that move with the machine: each run is compared with its own floor.
    expect(pairedRatio([72, 56, 69], [49, 53, 66])).toBe(1.06);
    expect(pairedRatio([60, null, 90], [50, 40, 60])).toBe(1.35);
    expect(pairedRatio([10], [0])).toBeNull();
    expect(pairedRatio([], [])).toBeNull();
  });

  it('reads CPU seconds and RSS from /proc texts, names with spaces included', () => {
    const stat = '4242 (node main (x)) S 1 4242 4242 0 -1 4194560 1 0 0 0 250 50 0 0 20 0 11 0 1 1 1';
    expect(parseProcStatCpuSeconds(stat)).toBe(3);
    expect(parseVmRssMiB('Name:\tnode\nVmRSS:\t  204800 kB\n')).toBe(200);
    expect(cpuPercent(10, 13, 2)).toBe(150);
  });
});

describe('targets', () => {
  it('judges ratios against the floor, and says when nothing was measured', () => {
    const [throughput, tail] = judge(TARGETS['get-event']!, { ratio: 0.85, p99Ratio: 2.5 });
    expect(throughput).toMatchObject({ verdict: 'met', measured: 0.85 });
    expect(tail).toMatchObject({ verdict: 'not met', measured: 2.5 });
    expect(judge(TARGETS['auth-me']!, {})[0]!.verdict).toBe('not measured');
    expect(judge(TARGETS['idle-ws']!, { bytesPerConnection: 50_000 })[0]!.verdict).toBe('not met');
    expect(judge(TARGETS['idle-ws']!, { bytesPerConnection: 49_999 })[0]!.verdict).toBe('met');
  });

  it('covers every target of issue 10', () => {
    expect(Object.keys(TARGETS)).toEqual(
      expect.arrayContaining(['get-event', 'get-event-trpc', 'auth-me', 'listing', 'create', 'pglite-get-event', 'live-fanout', 'idle-ws']),
    );
  });
});

describe('command line', () => {
  const known = ['get-event', 'auth-me', 'listing'];

  it('runs every scenario by default, in the suite order when some are named', () => {
    expect(parseArgs([], known).scenarios).toEqual(known);
    expect(parseArgs(['listing', 'get-event'], known).scenarios).toEqual(['get-event', 'listing']);
  });

  it('switches to quick settings and takes an output folder', () => {
    const options = parseArgs(['--quick', '--out=/tmp/x', 'auth-me'], known);
    expect(options.settings).toBe(QUICK);
    expect(options.out).toBe('/tmp/x');
    expect(parseArgs([], known).settings).toBe(FULL);
    expect(QUICK.seconds).toBeLessThan(FULL.seconds);
  });

  it('refuses an unknown scenario or option, naming the known ones', () => {
    expect(() => parseArgs(['get-evnt'], known)).toThrow(/get-event, auth-me, listing/);
    expect(() => parseArgs(['--fast'], known)).toThrow(/--quick/);
  });
});

describe('report', () => {
  const scenario = (over: Partial<ScenarioResult> = {}): ScenarioResult => {
    const product = aggregate([run(600, 150)]);
    const floor = aggregate([run(6000, 20)]);
    const metrics = { ratio: ratio(product.reqPerSec, floor.reqPerSec), p99Ratio: ratio(product.p99, floor.p99) };
    return {
      id: 'get-event',
      title: 'GET one event (REST)',
      method: 'GET /api/events/{id}.',
      product,
      floor,
      floorLabel: 'bare node:http',
      metrics,
      targets: judge(TARGETS['get-event']!, metrics),
      runs: { product: [], floor: [] },
      details: { 'response bytes': 512 },
      measuredAt: '2026-12-02T05:00:00Z',
      ...over,
    };
  };
  const report = (scenarios: ScenarioResult[]): SuiteReport => ({
    startedAt: '2026-12-02T04:50:00Z',
    finishedAt: '2026-12-02T05:05:00Z',
    quick: false,
    machine: { cores: 2 },
    commit: 'abc1234',
    settings: { connections: 50 },
    scenarios,
  });

  it('renders a table per scenario with the floor, the ratio and the verdicts', () => {
    const md = renderSection(report([scenario()]));
    expect(md).toContain('### GET one event (REST) (`get-event`)');
    expect(md).toContain(
      '| product | 600 | 38 | 150 | 0 | 100 | 150 | 6,000 | 0.10 | req/s ≥ 0.8 × floor<br>p99 ≤ 2 × floor | **not met** (0.10)<br>**not met** (7.50) |',
    );
    expect(md).toContain('| floor: bare node:http | 6,000 |');
    expect(md).toContain('| GET one event (REST) | req/s ≥ 0.8 × floor | 0.10 | **not met** |');
  });

  it('shows a failed scenario as not measured, with its error', () => {
    const md = renderSection(
      report([scenario({ error: 'socket hang up', product: null, floor: null, targets: judge(TARGETS['get-event']!, {}) })]),
    );
    expect(md).toContain('**Failed:** socket hang up');
    expect(md).toContain('failed: socket hang up | **not measured** |');
  });

  it('replaces only what lies between the markers', () => {
    const before = `# Benchmarks\n\nHand-written analysis.\n\n${BEGIN_MARKER}\nold figures\n${END_MARKER}\n\n## Notes kept\n`;
    const after = spliceSection(before, 'new figures\n');
    expect(after).toBe(`# Benchmarks\n\nHand-written analysis.\n\n${BEGIN_MARKER}\nnew figures\n${END_MARKER}\n\n## Notes kept\n`);
    expect(spliceSection(after, 'newer\n')).toContain(`${BEGIN_MARKER}\nnewer\n${END_MARKER}\n\n## Notes kept`);
  });

  it('appends the markers to a document that has none', () => {
    expect(spliceSection('# Benchmarks\n\ntext\n', 'figures\n')).toBe(`# Benchmarks\n\ntext\n\n${BEGIN_MARKER}\nfigures\n${END_MARKER}\n`);
  });
});
