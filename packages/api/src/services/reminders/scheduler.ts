import type { Database } from '@scheduler/db';
import type { Kysely } from 'kysely';
import type { Logger } from '../../logger.ts';
import type { CommitListener } from '../write.ts';
import { fireDueReminders, nextFireAt } from './fire.ts';

/** Pause when rows are due but another instance holds them: it is sending them now. */
const HELD_ELSEWHERE_MS = 500;
/** Rows handled per transaction: short transactions, the embedded database has one connection. */
const BATCH = 200;

export interface ReminderScheduler {
  /** Looks at the due-time table again (it changed, here or on another instance). */
  wake(): void;
  /** Stops the schedule and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Sends reminders as they fall due. Every instance runs one: it sends what is
 * due (see fireDueReminders: each reminder once, whichever instance claims
 * it), then sleeps until the earliest fire time, at most `maxSleepMs`, or
 * until woken because an event changed. The first run at start-up sends
 * what fell due while every instance was down, if it is less than an hour late.
 */
export function startReminderScheduler(
  deps: { db: Kysely<Database>; logger: Logger; commits?: CommitListener | undefined },
  options: { maxSleepMs: number },
): ReminderScheduler {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let wokenWhileRunning = false;
  let stopped = false;

  const sleep = (ms: number) => {
    clearTimeout(timer);
    if (!stopped) (timer = setTimeout(run, Math.max(0, Math.min(ms, options.maxSleepMs)))).unref();
  };

  const tick = async (): Promise<number> => {
    let handled: number;
    do {
      const result = await fireDueReminders(deps.db, new Date(), BATCH);
      handled = result.handled;
      if (result.sent > 0) deps.commits?.committed();
    } while (handled === BATCH && !stopped);
    const next = await nextFireAt(deps.db);
    if (next === null) return options.maxSleepMs;
    const wait = next.getTime() - Date.now();
    // Still due after a run that took everything it could: other instances hold those rows.
    return wait <= 0 ? HELD_ELSEWHERE_MS : wait;
  };

  function run(): void {
    if (stopped) return;
    if (running) {
      wokenWhileRunning = true;
      return;
    }
    clearTimeout(timer);
    running = tick()
      .then(sleep, (error: unknown) => {
        deps.logger.warn({ err: error }, 'sending reminders failed; will try again');
        sleep(options.maxSleepMs);
      })
      .finally(() => {
        running = undefined;
        if (wokenWhileRunning) {
          wokenWhileRunning = false;
          run();
        }
      });
  }

  run();
  return {
    wake: run,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
