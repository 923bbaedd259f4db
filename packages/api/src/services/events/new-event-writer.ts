import type { Database, EventRow } from '@scheduler/db';
import type { Kysely } from 'kysely';
import { recordNewEventsIfFree, type NewEventIfFree } from '../changes.ts';
import { settleWrite, type CommitListener } from '../write.ts';

/**
 * New events that overlap nothing are written together. While statements
 * are under way, the creates that arrive wait for the next one, which writes
 * them all: one round trip, one commit and one feed numbering for many
 * creates instead of one each. A create that finds nothing under way goes at
 * once, so a quiet server answers as fast as before.
 */

/** Statements under way at once per database: measured, one (batches grow) beats two or more. */
const IN_FLIGHT = 1;
/** New events per statement: the statement carries one array per column. */
const MOST_PER_STATEMENT = 100;

type Written = { event: EventRow; versionId: number };

interface Waiting {
  input: NewEventIfFree;
  resolve(written: Written | undefined): void;
  reject(error: unknown): void;
}

interface Queue {
  waiting: Waiting[];
  running: number;
}

const queues = new WeakMap<object, Queue>();

type WriterDeps = { db: Kysely<Database>; commits?: CommitListener | undefined };

/**
 * Writes the new event if none of its owner's events lies in its window (see
 * `recordNewEventsIfFree`), settled like any write (caches dropped, feed
 * numbered) before it resolves. Undefined, with nothing written, when
 * something lies there, or the owner's calendar moved, is held by another
 * write or has no row yet: the caller then takes the look-then-write path.
 */
export function writeNewEventIfFree(deps: WriterDeps, input: NewEventIfFree): Promise<Written | undefined> {
  let queue = queues.get(deps.db);
  if (!queue) queues.set(deps.db, (queue = { waiting: [], running: 0 }));
  const written = new Promise<Written | undefined>((resolve, reject) => queue.waiting.push({ input, resolve, reject }));
  drain(deps, queue);
  return written;
}

function drain(deps: WriterDeps, queue: Queue): void {
  while (queue.running < IN_FLIGHT && queue.waiting.length > 0) {
    const batch = takeBatch(queue);
    queue.running++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      queue.running--;
      drain(deps, queue);
    };
    void write(deps, batch, release).finally(release);
  }
}

/** The oldest waiting creates, one per owner (a statement moves each owner's calendar once); the rest wait for the next. */
function takeBatch(queue: Queue): Waiting[] {
  const owners = new Set<number>();
  const batch: Waiting[] = [];
  const rest: Waiting[] = [];
  for (const waiting of queue.waiting) {
    const owner = waiting.input.columns.owner_id;
    if (batch.length < MOST_PER_STATEMENT && !owners.has(owner)) {
      owners.add(owner);
      batch.push(waiting);
    } else {
      rest.push(waiting);
    }
  }
  queue.waiting = rest;
  return batch;
}

/**
 * One statement for the batch. The next batch may start once it has
 * committed (`release`), while this one is settled (its feed rows numbered)
 * before its creates are answered.
 */
async function write(deps: WriterDeps, batch: Waiting[], release: () => void): Promise<void> {
  let connection: Kysely<Database> | undefined;
  let written: Map<number, Written>;
  try {
    written = await deps.db.connection().execute((db) =>
      recordNewEventsIfFree(
        (connection = db),
        batch.map((waiting) => waiting.input),
      ),
    );
  } catch (error) {
    release();
    if (batch.length === 1) return batch[0]!.reject(error);
    // The statement wrote nothing: each create is tried alone, so only one at fault fails.
    await Promise.all(batch.map((waiting) => write(deps, [waiting], () => {})));
    return;
  }
  release();
  if (written.size > 0) await settleWrite(deps, connection);
  for (const waiting of batch) waiting.resolve(written.get(waiting.input.columns.owner_id));
}
