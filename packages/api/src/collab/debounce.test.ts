import { describe, expect, it } from 'vitest';
import { Debouncer } from './debounce.ts';

/** A job that runs until released, recording when it starts and ends. */
function gatedJob(log: string[], name: string) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return {
    release: () => release(),
    job: async () => {
      log.push(`${name} start`);
      await gate;
      log.push(`${name} end`);
    },
  };
}

const errors: unknown[] = [];
const debouncer = () => new Debouncer<number>(60_000, 60_000, (error) => errors.push(error));

describe('Debouncer', () => {
  it('executeNow runs the scheduled job and resolves only when it has finished', async () => {
    const d = debouncer();
    const log: string[] = [];
    const a = gatedJob(log, 'a');
    d.debounce(1, a.job);
    expect(d.isDebounced(1)).toBe(true);
    const done = d.executeNow(1).then(() => log.push('awaited'));
    expect(d.isDebounced(1)).toBe(false);
    await Promise.resolve();
    a.release();
    await done;
    expect(log).toEqual(['a start', 'a end', 'awaited']);
  });

  it('a second executeNow awaits the job already running instead of returning at once', async () => {
    const d = debouncer();
    const log: string[] = [];
    const a = gatedJob(log, 'a');
    d.debounce(1, a.job);
    const first = d.executeNow(1);
    const second = d.executeNow(1).then(() => log.push('second resolved'));
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['a start']);
    a.release();
    await Promise.all([first, second]);
    expect(log).toEqual(['a start', 'a end', 'second resolved']);
  });

  it('never overlaps two jobs of one key; other keys run meanwhile', async () => {
    const d = debouncer();
    const log: string[] = [];
    const a = gatedJob(log, 'a');
    const b = gatedJob(log, 'b');
    const c = gatedJob(log, 'c');
    const first = d.run(1, a.job);
    const second = d.run(1, b.job);
    const other = d.run(2, c.job);
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['a start', 'c start']);
    c.release();
    await other;
    b.release();
    a.release();
    await Promise.all([first, second]);
    expect(log).toEqual(['a start', 'c start', 'c end', 'a end', 'b start', 'b end']);
  });

  it('a failed job is reported and does not stop the next one', async () => {
    const d = debouncer();
    const before = errors.length;
    const failed = d.run(1, async () => {
      throw new Error('boom');
    });
    let ran = false;
    const next = d.run(1, async () => {
      ran = true;
    });
    await Promise.all([failed, next]);
    expect(errors.length).toBe(before + 1);
    expect(ran).toBe(true);
  });

  it('the latest job scheduled replaces one not yet started', async () => {
    const d = debouncer();
    const log: string[] = [];
    d.debounce(1, async () => void log.push('old'));
    d.debounce(1, async () => void log.push('new'));
    await d.executeNow(1);
    expect(log).toEqual(['new']);
    expect(d.isDebounced(1)).toBe(false);
  });
});
