/**
 * Debounced, serialized jobs keyed by id (one per document): a job runs
 * `wait` ms after the last call, and no later than `maxWait` after the first
 * of a burst. Jobs of one key never overlap: a job due while another runs
 * starts after it. `executeNow` runs a scheduled job at once and, like
 * `idle`, resolves only when every job of the key started so far is done, so
 * unloading and shutdown await the store already running instead of racing it.
 */
export class Debouncer<K> {
  private readonly timers = new Map<K, { timeout: NodeJS.Timeout; start: number; job: () => Promise<void> }>();
  /** The tail of each key's chain of started jobs. */
  private readonly running = new Map<K, Promise<void>>();

  constructor(
    private readonly wait: number,
    private readonly maxWait: number,
    /** Told about a job that failed (the chain goes on). */
    private readonly onError: (error: unknown, key: K) => void,
  ) {}

  /** (Re)schedules `job` for `key`; the latest job given replaces an earlier one not yet started. */
  debounce(key: K, job: () => Promise<void>): void {
    const old = this.timers.get(key);
    if (old) clearTimeout(old.timeout);
    const start = old?.start ?? Date.now();
    const delay = Math.min(this.wait, Math.max(0, start + this.maxWait - Date.now()));
    const timeout = setTimeout(() => void this.executeNow(key), delay);
    this.timers.set(key, { timeout, start, job });
  }

  /** Runs the scheduled job of `key` now (if any) and waits for every job of `key` started so far. */
  executeNow(key: K): Promise<void> {
    const scheduled = this.timers.get(key);
    if (scheduled) {
      clearTimeout(scheduled.timeout);
      this.timers.delete(key);
      return this.run(key, scheduled.job);
    }
    return this.idle(key);
  }

  /** Runs `job` for `key` now, after the jobs of `key` already running. */
  run(key: K, job: () => Promise<void>): Promise<void> {
    const previous = this.running.get(key) ?? Promise.resolve();
    const next = previous.then(job).catch((error: unknown) => this.onError(error, key));
    this.running.set(key, next);
    void next.finally(() => {
      if (this.running.get(key) === next) this.running.delete(key);
    });
    return next;
  }

  /** Resolves when no job of `key` is running (scheduled ones are left alone). */
  idle(key: K): Promise<void> {
    return this.running.get(key) ?? Promise.resolve();
  }

  isDebounced(key: K): boolean {
    return this.timers.has(key);
  }
}
