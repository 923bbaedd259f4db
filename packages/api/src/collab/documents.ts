import type { AppDeps } from '../deps.ts';
import { Debouncer } from './debounce.ts';
import { catchUp, EventSync, type Editor, type LiveDocument } from './event-sync.ts';
import { appendUpdates, compact, loadDocument } from './persistence.ts';
import { CollabRoom } from './room.ts';

const COLLAB_UPDATES_TOPIC = 'collab';
const COLLAB_AWARENESS_TOPIC = 'collab_awareness';
/** Same limit as an event's description. */
const MAX_TEXT_LENGTH = 100_000;
/** Everything in a document, the description's history and any other shared type included. */
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;
const MAX_WRITEBACK_DELAY_MS = 10_000;
/** NOTIFY payloads are limited to 8000 bytes; larger awareness updates stay local. */
const MAX_RELAYED_AWARENESS = 6000;

interface OpenDocument extends LiveDocument {
  catchingUp?: Promise<void> | undefined;
  catchUpAgain?: boolean;
}

/**
 * The documents open in this process: loaded on first use (once, however
 * many connect at once), kept in step with other instances, written back
 * through one debounced, serialized job per document, and unloaded when the
 * last connection leaves, after its write-back has finished.
 */
export class DocumentRegistry {
  private readonly documents = new Map<number, OpenDocument>();
  private readonly loading = new Map<number, Promise<OpenDocument>>();
  private readonly instanceId = Math.random().toString(36).slice(2, 10);
  /** Write-backs and event-to-document merges: one at a time per document. */
  private readonly jobs: Debouncer<number>;
  private readonly sync: EventSync;
  private closed = false;

  constructor(private readonly deps: AppDeps) {
    this.jobs = new Debouncer(deps.config.collabWritebackMs, MAX_WRITEBACK_DELAY_MS, (error, eventId) =>
      deps.logger.error({ err: error, eventId }, 'collaborative document job failed'),
    );
    this.sync = new EventSync(deps, {
      stored: (doc) => this.announce(doc),
      unsaved: (doc, editors) => this.markUnsaved(doc, editors),
    });
    deps.wake.subscribe(COLLAB_UPDATES_TOPIC, (payload) => {
      const [eventId, instance] = payload.split(':');
      if (instance === this.instanceId) return;
      const doc = this.documents.get(Number(eventId));
      if (doc) void this.follow(doc);
    });
    deps.wake.subscribe(COLLAB_AWARENESS_TOPIC, (payload) => this.receiveRemoteAwareness(payload));
  }

  get size(): number {
    return this.documents.size;
  }

  values(): IterableIterator<LiveDocument> {
    return this.documents.values();
  }

  open(eventId: number): Promise<LiveDocument> {
    const existing = this.documents.get(eventId);
    if (existing) return Promise.resolve(existing);
    let pending = this.loading.get(eventId);
    if (!pending) {
      pending = this.load(eventId).finally(() => this.loading.delete(eventId));
      this.loading.set(eventId, pending);
    }
    return pending;
  }

  private async load(eventId: number): Promise<OpenDocument> {
    const event = await this.deps.db
      .selectFrom('events')
      .select(['description', 'version'])
      .where('id', '=', eventId)
      .executeTakeFirstOrThrow();
    const { doc: ydoc, lastId, synced } = await loadDocument(this.deps.db, eventId, event);
    const doc: OpenDocument = { lastId, editors: new Map(), unsaved: false, room: undefined as unknown as CollabRoom };
    (doc as { room: CollabRoom }).room = new CollabRoom(eventId, ydoc, {
      maxTextLength: MAX_TEXT_LENGTH,
      maxDocumentBytes: MAX_DOCUMENT_BYTES,
      persist: async (updates) => {
        const { ids, previousMax } = await appendUpdates(this.deps.db, eventId, updates);
        // Advance past our own ids only when nobody else stored one we have not applied yet.
        if (previousMax <= doc.lastId) doc.lastId = Math.max(doc.lastId, ...ids);
        else void this.follow(doc);
        this.announce(doc);
      },
      edited: (user) => this.markUnsaved(doc, [user]),
      awarenessChanged: (update) => {
        if (this.deps.wake.kind === 'local' || update.length > MAX_RELAYED_AWARENESS) return;
        this.deps.wake.publish(COLLAB_AWARENESS_TOPIC, `${eventId}:${this.instanceId}:${Buffer.from(update).toString('base64')}`);
      },
    });
    this.documents.set(eventId, doc);
    await this.sync.reconcile(doc, synced);
    return doc;
  }

  /** The text has changes the event lacks (made by these editors): a write-back is scheduled. */
  private markUnsaved(doc: LiveDocument, editors: Editor[]): void {
    for (const { id, username } of editors) doc.editors.set(id, { id, username });
    doc.unsaved = true;
    this.jobs.debounce(doc.room.eventId, () => this.sync.writeBack(doc));
  }

  /**
   * Safety net for lost wake-ups: reads updates other instances stored, and
   * brings in a change of the event made elsewhere (after any write-back in
   * flight).
   */
  async refresh(doc: LiveDocument): Promise<void> {
    await this.follow(doc);
    await this.jobs.run(doc.room.eventId, () => this.sync.pull(doc));
  }

  /** Reads updates other instances stored since we last looked (wake-ups arriving meanwhile are coalesced). */
  private follow(doc: OpenDocument): Promise<void> {
    if (doc.catchingUp) {
      doc.catchUpAgain = true;
      return doc.catchingUp;
    }
    doc.catchingUp = (async () => {
      do {
        doc.catchUpAgain = false;
        await catchUp(this.deps.db, doc);
      } while (doc.catchUpAgain);
    })().finally(() => (doc.catchingUp = undefined));
    return doc.catchingUp;
  }

  private announce(doc: LiveDocument): void {
    this.deps.wake.publish(COLLAB_UPDATES_TOPIC, `${doc.room.eventId}:${this.instanceId}`);
  }

  private receiveRemoteAwareness(payload: string): void {
    const [eventId, instance, data] = payload.split(':');
    if (instance === this.instanceId || !data) return;
    const doc = this.documents.get(Number(eventId));
    if (!doc) return;
    try {
      doc.room.applyRemoteAwareness(new Uint8Array(Buffer.from(data, 'base64')));
    } catch {
      // a corrupt relay message affects nobody
    }
  }

  /**
   * Writes back what is unsaved and waits for every job of the document to
   * finish; again if a round in flight marked new edits meanwhile (a few
   * times at most: whatever is left is stored and written back on reopening).
   */
  private async flush(doc: OpenDocument): Promise<void> {
    const eventId = doc.room.eventId;
    for (let round = 0; round < 3; round++) {
      await doc.catchingUp;
      await this.jobs.executeNow(eventId);
      if (!this.jobs.isDebounced(eventId) && !doc.catchingUp) return;
    }
  }

  /** The last connection left: write back, then unload and compact (unless someone joined meanwhile). */
  async unload(doc: LiveDocument): Promise<void> {
    const open = doc as OpenDocument;
    await this.flush(open);
    if (this.closed || doc.room.connections.size > 0 || this.documents.get(doc.room.eventId) !== open) return;
    this.documents.delete(doc.room.eventId);
    doc.room.destroy();
    await compact(this.deps.db, doc.room.eventId).catch((error: unknown) =>
      this.deps.logger.warn({ err: error }, 'collab compaction failed'),
    );
  }

  /**
   * Shutdown: each document written back (a write-back already running is
   * awaited, not raced), then `flushed` is told (to close its connections),
   * then it is dropped.
   */
  async close(flushed: (doc: LiveDocument) => void): Promise<void> {
    this.closed = true;
    for (const doc of [...this.documents.values()]) {
      await this.flush(doc);
      flushed(doc);
      doc.room.destroy();
    }
    this.documents.clear();
  }
}
