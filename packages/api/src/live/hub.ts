import { EventEmitter, on } from 'node:events';
import type { Database } from '@scheduler/db';
import type { TLiveMessage } from '@scheduler/shared';
import type { Kysely } from 'kysely';
import type { Logger } from '../logger.ts';
import { prepareChanges, readFeed, type PreparedChange } from './messages.ts';

export type LiveEnvelope = TLiveMessage & { id: number };

export interface SubscriberOptions {
  userId: number;
  sessionId: string;
  /** Access-token expiry, seconds since the epoch. */
  tokenExp: number;
  eventId?: number | undefined;
  /** Resume after this feed id (replayed from the database). */
  after?: number | undefined;
}

/**
 * One subscription: messages arrive as 'message' events, an ended session as
 * an 'error' event (so `events.on()` iterators throw), 'end' when closed.
 */
export class Subscriber extends EventEmitter {
  cursor = 0;
  private live = false;
  private buffer: LiveEnvelope[] = [];

  constructor(readonly options: SubscriberOptions) {
    super();
  }

  /** Live messages wait in a buffer until the replay has been sent, then flow in order. */
  offer(message: LiveEnvelope): void {
    if (!this.live) return void this.buffer.push(message);
    this.send(message);
  }

  /** Messages in order, the replay first; listening starts before anything is released. */
  async *messages(signal?: AbortSignal): AsyncGenerator<LiveEnvelope> {
    const iterator = on(this, 'message', { signal, close: ['end'] }) as AsyncIterableIterator<[LiveEnvelope]>;
    this.goLive();
    for await (const [message] of iterator) yield message;
  }

  /** Set by the hub: what the subscriber missed, sent before live messages. */
  replay: LiveEnvelope[] = [];

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
    if (message.id <= this.cursor) return; // already delivered
    this.cursor = message.id;
    this.emit('message', message);
  }
}

const BATCH = 1000;
const HOUSEKEEPING_MS = 1000;
const POLL_MS = 2000;

/**
 * Fans the change feed out to subscribers. The feed in the database is the
 * truth; a wake-up (local commit, LISTEN/NOTIFY or Redis from another
 * instance, or a slow poll as a safety net) makes the hub read what is new,
 * decide who may see each change at this moment, and deliver it.
 */
export class LiveHub {
  private readonly byUser = new Map<number, Set<Subscriber>>();
  private lastId = 0;
  private reading: Promise<void> | undefined;
  private again = false;
  private timers: NodeJS.Timeout[] = [];
  private started = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
    private readonly isSessionActive: (sessionIds: string[]) => Promise<Set<string>>,
  ) {}

  async start(): Promise<void> {
    this.lastId = await this.head();
    this.started = true;
    this.timers.push(setInterval(() => this.wake(), POLL_MS));
    this.timers.push(setInterval(() => void this.housekeeping(), HOUSEKEEPING_MS));
  }

  stop(): void {
    this.started = false;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    for (const set of this.byUser.values()) for (const sub of set) sub.emit('end');
    this.byUser.clear();
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
          this.logger.error({ err: error }, 'live feed read failed');
        }
      } while (this.again);
    })().finally(() => (this.reading = undefined));
  }

  private async drain(): Promise<void> {
    for (;;) {
      const rows = await readFeed(this.db, this.lastId, BATCH);
      if (rows.length === 0) return;
      const prepared = await prepareChanges(this.db, rows);
      this.lastId = rows.at(-1)!.id;
      for (const change of prepared) this.dispatch(change);
      if (rows.length < BATCH) return;
    }
  }

  private dispatch(change: PreparedChange): void {
    // Recipients with the same role get the very same message object.
    const byRole = new Map<string | null, LiveEnvelope>();
    for (const [userId, role] of change.recipients) {
      const subs = this.byUser.get(userId);
      if (!subs) continue;
      for (const sub of subs) {
        if (sub.options.eventId !== undefined && sub.options.eventId !== change.eventId) continue;
        let message = byRole.get(role);
        if (!message) byRole.set(role, (message = { ...change.message(role), id: change.id }));
        sub.offer(message);
      }
    }
  }

  /**
   * Registers a subscriber, replays what it missed since `after` (visibility
   * decided now), then lets live messages through without gap or duplicate.
   */
  async subscribe(options: SubscriberOptions): Promise<Subscriber> {
    const sub = new Subscriber(options);
    let set = this.byUser.get(options.userId);
    if (!set) this.byUser.set(options.userId, (set = new Set()));
    set.add(sub);
    const upTo = this.lastId;
    // A fresh subscription starts at the feed's head: changes committed before it are not news,
    // even if the hub has not dispatched them yet.
    sub.cursor = options.after ?? Math.max(upTo, await this.head());
    const replayed: LiveEnvelope[] = [];
    if (options.after !== undefined && options.after < upTo) {
      let from = options.after;
      while (from < upTo) {
        let query = this.db.selectFrom('changes').selectAll().where('id', '>', from).where('id', '<=', upTo).orderBy('id').limit(BATCH);
        if (options.eventId !== undefined) query = query.where('event_id', '=', options.eventId);
        const rows = await query.execute();
        if (rows.length === 0) break;
        for (const change of await prepareChanges(this.db, rows)) {
          if (!change.recipients.has(options.userId)) continue;
          replayed.push({ ...change.message(change.recipients.get(options.userId) ?? null), id: change.id });
        }
        from = rows.at(-1)!.id;
      }
    }
    sub.replay = replayed;
    return sub;
  }

  private async head(): Promise<number> {
    const row = await this.db.selectFrom('changes').select((eb) => eb.fn.max('id').as('max')).executeTakeFirst();
    return Number(row?.max ?? 0);
  }

  unsubscribe(sub: Subscriber): void {
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
          this.unsubscribe(sub);
          sub.emit('error', Object.assign(new Error('Session ended'), { code: 'UNAUTHORIZED' }));
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'live session check failed');
    }
  }
}
