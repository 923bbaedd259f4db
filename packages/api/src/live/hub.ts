import type { ChangeRow, Database } from '@scheduler/db';
import type { TLiveMessage } from '@scheduler/shared';
import type { Kysely } from 'kysely';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { scopeAdmits, type TokenScope } from '../services/events/access.ts';
import { numberFeed } from '../services/feed-numbering.ts';
import { feedHead, prepareChanges, readFeed, type PreparedChange } from './messages.ts';
import { assertRetained } from './retention.ts';

/** A message and its feed id; the message object is shared by every recipient with the same role. */
export interface LiveEnvelope {
  id: number;
  message: TLiveMessage;
}

export interface SubscriberOptions {
  userId: number;
  sessionId: string;
  /** Access-token expiry, seconds since the epoch. */
  tokenExp: number;
  /** The API token's scope, when the subscription was made with one: messages about other events are not sent. */
  scope?: TokenScope | undefined;
  eventId?: number | undefined;
  /** Resume after this feed id (replayed from the database). */
  after?: number | undefined;
}

/** Why a subscription ended: its session was logged out or its token expired. */
class SessionEndedError extends AppError {
  override name = 'SessionEndedError';
  constructor() {
    super('UNAUTHORIZED', 'Your session ended; sign in again');
  }
}

/**
 * One subscription, and the async iterator its consumer reads: the replay
 * first, then live messages in feed order, each at most once. Messages wait
 * in a plain queue and a waiting `next()` is resolved directly with the
 * consumer's form of the message (`present`), so a message costs one promise
 * on its way to the consumer: a fan-out to thousands of subscribers repeats
 * this work thousands of times.
 */
export class Subscriber<T = LiveEnvelope> implements AsyncIterableIterator<T> {
  cursor = 0;
  /** Set by the hub: what the subscriber missed, sent before live messages. */
  replay: LiveEnvelope[] = [];
  /** Called once when the subscription ends for any reason (the hub unregisters it). */
  onClose: (() => void) | undefined;
  /** Called when the subscription fails because its session ended (after the consumer is told). */
  onSessionEnded: (() => void) | undefined;
  private live = false;
  private buffer: LiveEnvelope[] = [];
  private queue: LiveEnvelope[] = [];
  private waiting: { resolve(result: IteratorResult<T>): void; reject(error: unknown): void } | undefined;
  private sink: ((envelope: LiveEnvelope) => void) | undefined;
  private failure: Error | undefined;
  private closed = false;

  constructor(
    readonly options: SubscriberOptions,
    private readonly present: (envelope: LiveEnvelope) => T,
  ) {}

  /** Live messages wait in a buffer until the replay has been sent, then flow in order. */
  offer(message: LiveEnvelope): void {
    if (!this.live) return void this.buffer.push(message);
    this.send(message);
  }

  /**
   * Hands every message to `sink` as it is sent, in feed order, instead of
   * to the iterator, whose `next()` then settles only when the subscription
   * ends or fails. For a consumer that writes to its transport directly.
   */
  deliverTo(sink: (envelope: LiveEnvelope) => void): void {
    this.sink = sink;
  }

  [Symbol.asyncIterator](): this {
    this.goLive();
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    const message = this.queue.shift();
    if (message) return Promise.resolve({ value: this.present(message), done: false });
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** The consumer stopped (or was aborted): unregister. */
  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Ends the stream normally (server shutdown). */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose?.();
    this.waiting?.resolve({ value: undefined, done: true });
    this.waiting = undefined;
  }

  /** Ends the stream with an error the consumer sees on its next read. */
  fail(error: Error): void {
    if (this.closed) return;
    this.failure = error;
    this.closed = true;
    this.onClose?.();
    this.waiting?.reject(error);
    this.waiting = undefined;
    if (error instanceof SessionEndedError) this.onSessionEnded?.();
  }

  /** Reads until the signal aborts (for consumers that are not async iterators themselves). */
  async *messages(signal?: AbortSignal): AsyncGenerator<T> {
    const stop = () => this.end();
    // A signal that fired before this listener was attached never fires again.
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      for await (const message of this) yield message;
    } finally {
      signal?.removeEventListener('abort', stop);
      this.end();
    }
  }

  private goLive(): void {
    if (this.live) return;
    const replayed = this.replay;
    this.replay = [];
    for (const message of replayed) this.send(message);
    this.live = true;
    const buffered = this.buffer;
    this.buffer = [];
    for (const message of buffered) this.send(message);
  }

  private send(message: LiveEnvelope): void {
    if (this.closed || message.id <= this.cursor) return; // closed, or already delivered
    this.cursor = message.id;
    if (this.sink) {
      this.sink(message);
    } else if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting.resolve({ value: this.present(message), done: false });
    } else {
      this.queue.push(message);
    }
  }
}

const asEnvelope = (envelope: LiveEnvelope) => envelope;

type Delivery = [Subscriber<unknown>, LiveEnvelope];

const BATCH = 1000;
/** How long delivering a change may hold the event loop before it lets other work run. */
const DELIVERY_SLICE_MS = 4;
const HOUSEKEEPING_MS = 1000;
const POLL_MS = 2000;

/**
 * Fans the change feed out to subscribers. The feed in the database is the
 * truth; a wake-up (local commit, LISTEN/NOTIFY or Redis from another
 * instance, or a slow poll as a safety net) makes the hub read what is new,
 * decide who may see each change at this moment, and deliver it.
 */
export class LiveHub {
  private readonly byUser = new Map<number, Set<Subscriber<unknown>>>();
  private lastId = 0;
  private reading: Promise<void> | undefined;
  private again = false;
  private timers: NodeJS.Timeout[] = [];
  private started = false;
  private checking: Promise<void> | undefined;
  private readonly feedListeners: Array<(rows: ChangeRow[]) => void> = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
    private readonly isSessionActive: (sessionIds: string[]) => Promise<Set<string>>,
  ) {}

  async start(): Promise<void> {
    this.lastId = await feedHead(this.db);
    this.started = true;
    // The safety net also numbers feed rows whose writer committed but never numbered them (it stopped in between).
    this.timers.push(setInterval(() => void numberFeed(this.db).then(() => this.wake()), POLL_MS));
    this.timers.push(
      setInterval(() => {
        this.checking ??= this.housekeeping().finally(() => (this.checking = undefined));
      }, HOUSEKEEPING_MS),
    );
  }

  /** Told of every batch of feed rows this instance reads, before they are delivered (caches drop what changed). */
  onFeed(listener: (rows: ChangeRow[]) => void): void {
    this.feedListeners.push(listener);
  }

  /**
   * Ends every subscription and waits for a feed read or session check already
   * running, so the database can be closed after this without a query failing
   * under it ("driver has already been destroyed").
   */
  async stop(): Promise<void> {
    this.started = false;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    const all = [...this.byUser.values()].flatMap((set) => [...set]);
    this.byUser.clear();
    for (const sub of all) sub.end();
    await Promise.allSettled([this.reading, this.checking]);
  }

  get subscriberCount(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  /** Something committed somewhere: read the feed (coalescing wake-ups that arrive mid-read). */
  wake(): void {
    if (!this.started) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = (async () => {
      do {
        this.again = false;
        try {
          await this.drain();
        } catch (error) {
          if (this.started) this.logger.error({ err: error }, 'live feed read failed');
        }
      } while (this.again && this.started);
    })().finally(() => (this.reading = undefined));
  }

  private async drain(): Promise<void> {
    while (this.started) {
      const rows = await readFeed(this.db, this.lastId, BATCH);
      if (rows.length === 0) return;
      for (const listener of this.feedListeners) listener(rows);
      // With no one subscribed there is no one to tell. Nothing is awaited between this check and
      // moving lastId, so a subscriber that registers meanwhile replays these rows from the feed.
      if (this.byUser.size === 0) {
        this.lastId = rows.at(-1)!.id;
        if (rows.length < BATCH) return;
        continue;
      }
      const prepared = await prepareChanges(this.db, rows);
      this.lastId = rows.at(-1)!.id;
      await this.deliver(prepared.flatMap((change) => this.recipientsOf(change)));
      if (rows.length < BATCH) return;
    }
  }

  /** Who gets each change now, in feed order; recipients with the same role share one message object. */
  private recipientsOf(change: PreparedChange): Delivery[] {
    const deliveries: Delivery[] = [];
    const byRole = new Map<string | null, LiveEnvelope>();
    for (const [userId, role] of change.recipients) {
      const subs = this.byUser.get(userId);
      if (!subs) continue;
      for (const sub of subs) {
        if (sub.options.eventId !== undefined && sub.options.eventId !== change.eventId) continue;
        if (sub.options.scope && !scopeAdmits(sub.options.scope, change.event)) continue;
        let envelope = byRole.get(role);
        if (!envelope) byRole.set(role, (envelope = { id: change.id, message: change.message(role) }));
        deliveries.push([sub, envelope]);
      }
    }
    return deliveries;
  }

  /**
   * Hands messages to subscribers a slice at a time: a slice ends once it has
   * held the event loop for DELIVERY_SLICE_MS (a few hundred sockets), and the
   * next waits for the loop's next turn, so a change for thousands of
   * subscribers does not hold up every other request until the last socket
   * is written. Slicing by time rather than by count keeps that bound on a
   * slower machine or with costlier consumers (an iterator's consumer runs in
   * the microtasks after its slice).
   */
  private async deliver(deliveries: Delivery[]): Promise<void> {
    let sliceStart = performance.now();
    for (let i = 0; i < deliveries.length; i++) {
      // The clock is read every 32 subscribers: a write takes microseconds, the clock is not free.
      if ((i & 31) === 0 && i > 0 && performance.now() - sliceStart >= DELIVERY_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
      const [sub, envelope] = deliveries[i]!;
      sub.offer(envelope);
    }
  }

  /**
   * Registers a subscriber, replays what it missed since `after` (visibility
   * decided now), then lets live messages through without gap or duplicate.
   */
  subscribe(options: SubscriberOptions): Promise<Subscriber>;
  subscribe<T>(options: SubscriberOptions, present: (envelope: LiveEnvelope) => T): Promise<Subscriber<T>>;
  async subscribe(options: SubscriberOptions, present: (envelope: LiveEnvelope) => unknown = asEnvelope): Promise<Subscriber<unknown>> {
    // A resume position the pruned feed can no longer replay is refused, not silently skipped.
    if (options.after !== undefined) await assertRetained(this.db, options.after, 'resume');
    const sub = new Subscriber(options, present);
    sub.onClose = () => this.unsubscribe(sub);
    // Registered before the replay is read, so live messages meanwhile wait in its buffer;
    // a replay that fails unregisters it again instead of leaving it buffering.
    let set = this.byUser.get(options.userId);
    if (!set) this.byUser.set(options.userId, (set = new Set()));
    set.add(sub);
    try {
      sub.replay = await this.replayFor(sub);
    } catch (error) {
      sub.end();
      throw error;
    }
    return sub;
  }

  /** Sets the subscriber's starting point and reads what it missed since `after`. */
  private async replayFor(sub: Subscriber<unknown>): Promise<LiveEnvelope[]> {
    const { options } = sub;
    const upTo = this.lastId;
    // A fresh subscription starts at the feed's head: changes committed before it are not news,
    // even if the hub has not dispatched them yet. A resume id beyond the head (from another
    // database, or one that was restored) cannot be honoured: it starts at the head too, rather
    // than waiting silently for ids that may never come.
    const head = Math.max(upTo, await feedHead(this.db));
    sub.cursor = options.after === undefined ? head : Math.min(options.after, head);
    const replayed: LiveEnvelope[] = [];
    if (options.after !== undefined && sub.cursor < upTo) {
      let from = sub.cursor;
      while (from < upTo) {
        let query = this.db
          .selectFrom('changes')
          .selectAll()
          .where('id', '>', Math.max(from, 0))
          .where('id', '<=', upTo)
          .orderBy('id')
          .limit(BATCH);
        if (options.eventId !== undefined) query = query.where('event_id', '=', options.eventId);
        const rows = await query.execute();
        if (rows.length === 0) break;
        for (const change of await prepareChanges(this.db, rows)) {
          if (!change.recipients.has(options.userId)) continue;
          if (options.scope && !scopeAdmits(options.scope, change.event)) continue;
          replayed.push({ id: change.id, message: change.message(change.recipients.get(options.userId) ?? null) });
        }
        from = rows.at(-1)!.id;
      }
    }
    return replayed;
  }

  unsubscribe(sub: Subscriber<unknown>): void {
    const set = this.byUser.get(sub.options.userId);
    set?.delete(sub);
    if (set?.size === 0) this.byUser.delete(sub.options.userId);
  }

  /** Ends subscriptions whose token expired or whose session was logged out. */
  private async housekeeping(): Promise<void> {
    if (this.byUser.size === 0) return;
    const now = Date.now() / 1000;
    const all = [...this.byUser.values()].flatMap((set) => [...set]);
    try {
      const active = await this.isSessionActive([...new Set(all.map((s) => s.options.sessionId))]);
      for (const sub of all) {
        if (sub.options.tokenExp <= now || !active.has(sub.options.sessionId)) {
          sub.fail(new SessionEndedError());
        }
      }
    } catch (error) {
      if (this.started) this.logger.warn({ err: error }, 'live session check failed');
    }
  }
}
