import type { Database } from '@scheduler/db';
import type { Kysely } from 'kysely';
import type { Logger } from '../logger.ts';
import { mayReceive } from '../services/events/access.ts';
import { announceFeedRows, type CommitListener } from '../services/write.ts';
import { claimDue, ENQUEUE_BATCH, enqueueFromFeed, nextDueInMs, recordOutcome, type ClaimedDelivery, type Outcome } from './outbox.ts';
import { sendWebhook } from './send.ts';

export interface WebhookSettings {
  allowPrivate: boolean;
  retryMs: number;
  timeoutMs: number;
  disableAfterSeconds: number;
  pollMs: number;
}

/** Deliveries in flight at once on one instance. */
const CONCURRENCY = 16;
/** The longest wait a receiver's Retry-After may impose. */
const MAX_RETRY_AFTER_MS = 3_600_000;
/** On shutdown, deliveries in flight get this long to finish before they are abandoned to their leases. */
const SHUTDOWN_GRACE_MS = 2_000;
/**
 * Wake-ups this soon after the last run are gathered into one run: a stream
 * of commits has the feed and the outbox read ten times a second, not once
 * per commit (each run is several statements, even with no hook at all).
 */
const WAKE_GATHER_MS = 100;

/**
 * Sends the live messages of users' webhooks. Woken after commits (locally
 * and through the wake-up channel) and by a timer for retries; the outbox in
 * the database is the source of truth, read at least every `pollMs`. Every
 * instance runs one; claims keep them from sending a message twice.
 */
export class WebhookWorker {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private gathering: NodeJS.Timeout | undefined;
  private lastRunAt = 0;
  private readonly inflight = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
    private readonly settings: WebhookSettings,
    private readonly commits: CommitListener | undefined,
  ) {}

  start(): void {
    this.wake();
  }

  /** Something was committed (or a delivery finished): read the feed and the outbox soon. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const wait = this.lastRunAt + WAKE_GATHER_MS - Date.now();
    if (wait > 0) {
      this.gathering ??= setTimeout(() => {
        this.gathering = undefined;
        this.wake();
      }, wait).unref();
      return;
    }
    this.lastRunAt = Date.now();
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Stops claiming; deliveries in flight get a short grace, then are abandoned (their leases expire). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.gathering);
    const grace = setTimeout(() => this.abort.abort(), SHUTDOWN_GRACE_MS);
    await this.running;
    await Promise.allSettled([...this.inflight]);
    clearTimeout(grace);
  }

  private async run(): Promise<void> {
    clearTimeout(this.timer);
    let waitMs = this.settings.pollMs;
    try {
      while (!this.stopped && (await enqueueFromFeed(this.db)) === ENQUEUE_BATCH);
      const slots = CONCURRENCY - this.inflight.size;
      const claimed = this.stopped ? [] : await claimDue(this.db, slots, this.settings.timeoutMs + 30_000);
      for (const delivery of claimed) this.track(this.deliver(delivery));
      const due = await nextDueInMs(this.db);
      if (due !== null) waitMs = Math.min(waitMs, due + 5);
    } catch (error) {
      if (!this.stopped) this.logger.warn({ err: error }, 'webhook outbox: reading failed; will try again');
    }
    if (!this.stopped) this.timer = setTimeout(() => this.wake(), waitMs).unref();
  }

  private track(work: Promise<void>): void {
    this.inflight.add(work);
    void work.finally(() => {
      this.inflight.delete(work);
      this.wake();
    });
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    try {
      const outcome = await this.attempt(delivery);
      // Abandoned on shutdown: nothing is recorded, the lease runs out and another instance sends again.
      if (this.abort.signal.aborted) return;
      const notified = await recordOutcome(this.db, delivery, outcome, {
        retryMs: this.settings.retryMs,
        disableAfterSeconds: this.settings.disableAfterSeconds,
        maxRetryAfterMs: MAX_RETRY_AFTER_MS,
      });
      if (notified) {
        this.logger.warn({ webhook: delivery.webhookId }, 'webhook switched off after failing too long');
        await announceFeedRows({ db: this.db, commits: this.commits });
      }
    } catch (error) {
      if (!this.stopped)
        this.logger.warn({ err: error, delivery: delivery.id }, 'webhook delivery: recording failed; its lease will expire');
    }
  }

  private async attempt(delivery: ClaimedDelivery): Promise<Outcome> {
    // Access is judged when sending, by the one access rule.
    if (delivery.eventId !== null && !(await mayReceive(this.db, delivery.eventId, delivery.userId, delivery.type))) {
      return { kind: 'dropped', error: 'Not sent: the hook’s owner may no longer read the event' };
    }
    const result = await sendWebhook(
      delivery.url,
      delivery.secret,
      { id: delivery.messageId, body: JSON.stringify(delivery.payload) },
      { allowPrivate: this.settings.allowPrivate, timeoutMs: this.settings.timeoutMs, signal: this.abort.signal },
    );
    if (result.ok) return { kind: 'delivered', statusCode: result.statusCode ?? 200 };
    return { kind: 'failed', statusCode: result.statusCode, error: result.error ?? 'failed', retryAfterSeconds: result.retryAfterSeconds };
  }
}
