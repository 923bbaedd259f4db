import type { Database } from '@scheduler/db';
import type { Kysely } from 'kysely';
import type { Logger } from '../../logger.ts';
import { announceFeedRows, type CommitListener } from '../write.ts';
import { fireDueReminders, nextFireAt } from './fire.ts';

/** Pause when rows are due but another instance holds them: it is sending them now. */
const HELD_ELSEWHERE_MS = 500;
/** Rows handled per transaction: short transactions, the embedded database has one connection. */
const BATCH = 200;
/**
 * Wake-ups (an event changed somewhere) are gathered for this long: a stream
 * of writes has the table read a few times a second, not once per write.
 */
const WAKE_GATHER_MS = 200;

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
  let timerAt = Infinity;
  let running: Promise<void> | undefined;
  let wokenWhileRunning = false;
  let stopped = false;

  const sleep = (ms: number) => {
    clearTimeout(timer);
    if (stopped) return;
    const delay = Math.max(0, Math.min(ms, options.maxSleepMs));
    timerAt = Date.now() + delay;
    (timer = setTimeout(run, delay)).unref();
  };

  /** The table may have changed: look again soon (now, if the timer was due sooner anyway). */
  const wake = () => {
    if (stopped) return;
    if (running) wokenWhileRunning = true;
    else if (timerAt - Date.now() > WAKE_GATHER_MS) sleep(WAKE_GATHER_MS);
  };

  const tick = async (): Promise<number> => {
    // Most wake-ups find nothing due: the earliest fire time alone says so.
    const first = await nextFireAt(deps.db);
    if (first === null) return options.maxSleepMs;
    if (first.getTime() > Date.now()) return first.getTime() - Date.now();
    let handled: number;
    do {
      const result = await fireDueReminders(deps.db, new Date(), BATCH);
      handled = result.handled;
      if (result.sent > 0) await announceFeedRows(deps);
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
    timerAt = Infinity;
    running = tick()
      .then(sleep, (error: unknown) => {
        deps.logger.warn({ err: error }, 'sending reminders failed; will try again');
        sleep(options.maxSleepMs);
      })
      .finally(() => {
        running = undefined;
        if (wokenWhileRunning) {
          wokenWhileRunning = false;
          wake();
        }
      });
  }

  run();
  return {
    wake,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
