import { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from '../logger.ts';

/**
 * Carries "something committed" between server instances. Messages are only
 * wake-ups: receivers read the change feed (and collaborative updates) from
 * the database, so a lost notification delays nothing beyond the hub's poll.
 */
export interface WakeChannel {
  readonly kind: 'local' | 'postgres' | 'redis';
  publish(topic: string, payload?: string): void;
  subscribe(topic: string, listener: (payload: string) => void): void;
  close(): Promise<void>;
}

type Listener = (payload: string) => void;

class Listeners {
  private readonly map = new Map<string, Set<Listener>>();
  add(topic: string, listener: Listener) {
    let set = this.map.get(topic);
    if (!set) this.map.set(topic, (set = new Set()));
    set.add(listener);
  }
  emit(topic: string, payload: string) {
    for (const listener of this.map.get(topic) ?? []) listener(payload);
  }
  topics() {
    return [...this.map.keys()];
  }
}

/** One process: wake-ups stay in memory. */
export function localChannel(): WakeChannel {
  const listeners = new Listeners();
  return {
    kind: 'local',
    publish: (topic, payload = '') => queueMicrotask(() => listeners.emit(topic, payload)),
    subscribe: (topic, listener) => listeners.add(topic, listener),
    close: async () => {},
  };
}

/**
 * Publishing, one message in flight per topic and payload: a publish while
 * the same one is on its way is sent once more after it, not once per call.
 * Wake-ups only say "look again", so a stream of commits needs a message
 * after the last one, not one per commit.
 */
function coalesced(send: (topic: string, payload: string) => Promise<unknown>): (topic: string, payload: string) => void {
  const again = new Map<string, boolean>();
  const publish = (topic: string, payload: string): void => {
    const key = `${topic}\u0000${payload}`;
    if (again.has(key)) return void again.set(key, true);
    again.set(key, false);
    void send(topic, payload).finally(() => {
      const repeat = again.get(key);
      again.delete(key);
      if (repeat) publish(topic, payload);
    });
  };
  return publish;
}

const channelName = (topic: string) => `scheduler_${topic.replace(/[^a-z0-9_]/gi, '_')}`;

/** PostgreSQL LISTEN/NOTIFY: one dedicated connection listens; NOTIFY goes through a pooled query. */
export async function postgresChannel(url: string, logger: Logger): Promise<WakeChannel> {
  const listeners = new Listeners();
  const publisher = new pg.Pool({ connectionString: url, max: 2 });
  publisher.on('error', () => {});
  let listener: pg.Client | undefined;
  let closed = false;
  // One query at a time on the listening connection.
  let queue: Promise<unknown> = Promise.resolve();
  const listen = (client: pg.Client, topic: string) =>
    (queue = queue.then(() => client.query(`listen ${channelName(topic)}`)).catch(() => undefined));

  // Keeps trying while the database is away (a failed connect emits no 'error' to retry from).
  const reconnect = (): void => {
    if (!closed) setTimeout(() => void connect().catch(reconnect), 500).unref();
  };
  const connect = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    client.on('notification', (n) => {
      const topic = n.channel.replace(/^scheduler_/, '');
      listeners.emit(topic, n.payload ?? '');
    });
    client.on('error', (error) => {
      logger.warn({ err: error }, 'LISTEN connection lost; reconnecting');
      void client.end().catch(() => {});
      reconnect();
    });
    await client.connect();
    for (const topic of listeners.topics()) await listen(client, topic);
    listener = client;
    // Whatever was missed while disconnected is in the database: wake everyone once.
    for (const topic of listeners.topics()) listeners.emit(topic, '');
  };
  await connect();

  const notify = coalesced((topic, payload) =>
    publisher.query('select pg_notify($1, $2)', [channelName(topic), payload]).catch((error: unknown) => {
      logger.warn({ err: error }, 'NOTIFY failed');
    }),
  );
  return {
    kind: 'postgres',
    publish: (topic, payload = '') => {
      // A request finishing during shutdown: other instances find its change by polling.
      if (!closed) notify(topic, payload);
    },
    subscribe: (topic, fn) => {
      const isNew = !listeners.topics().includes(topic);
      listeners.add(topic, fn);
      if (isNew && listener) void listen(listener, topic);
    },
    close: async () => {
      closed = true;
      await listener?.end().catch(() => {});
      await publisher.end().catch(() => {});
    },
  };
}

/** Redis pub/sub, for deployments that already run Redis. */
export async function redisChannel(url: string, logger: Logger): Promise<WakeChannel> {
  const listeners = new Listeners();
  const publisher = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  const subscriber = new Redis(url, { lazyConnect: true });
  for (const client of [publisher, subscriber]) client.on('error', (error) => logger.warn({ err: error }, 'redis error'));
  await Promise.all([publisher.connect(), subscriber.connect()]);
  subscriber.on('message', (channel: string, payload: string) => listeners.emit(channel.replace(/^scheduler_/, ''), payload));
  let closed = false;
  const send = coalesced((topic, payload) =>
    publisher.publish(channelName(topic), payload).catch((error: unknown) => logger.warn({ err: error }, 'PUBLISH failed')),
  );
  return {
    kind: 'redis',
    publish: (topic, payload = '') => {
      if (!closed) send(topic, payload);
    },
    subscribe: (topic, fn) => {
      const isNew = !listeners.topics().includes(topic);
      listeners.add(topic, fn);
      if (isNew) void subscriber.subscribe(channelName(topic)).catch(() => {});
    },
    close: async () => {
      closed = true;
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}
