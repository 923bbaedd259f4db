import type { Database } from '@scheduler/db';
import type { Kysely, Transaction } from 'kysely';
import * as Y from 'yjs';
import type { AppDeps } from '../deps.ts';
import { audit } from '../services/audit.ts';
import { contentOf } from '../services/events/content.ts';
import { writeEventContent } from '../services/events/event-service.ts';
import { inTransaction } from '../services/write.ts';
import {
  appendUpdates,
  authorsAfter,
  descriptionAt,
  DESCRIPTION,
  eventAhead,
  lockSyncPoint,
  lockUpdates,
  markSynced,
  updatesAfter,
} from './persistence.ts';
import { rebaseEdit } from './rebase-text.ts';
import type { CollabRoom, CollabUser } from './room.ts';

/** The change reason of a write-back, for people reading the history (never parsed). */
const COLLAB_REASON = 'Collaborative edit';

/** Whom a write-back is attributed to. */
export type Editor = Pick<CollabUser, 'id' | 'username'>;

/** One open document: its room and what this process knows of its storage. */
export interface LiveDocument {
  readonly room: CollabRoom;
  /** Highest collab_updates id applied to the room's document (every lower id is applied too). */
  lastId: number;
  /** Editors since the last write-back. */
  readonly editors: Map<number, Editor>;
  /** The text has changes not yet written back into the event. */
  unsaved: boolean;
}

export interface SyncHooks {
  /** An update of the server's was stored (other instances catch up). */
  stored(doc: LiveDocument): void;
  /** The text has changes the event lacks, made by these editors: a write-back follows. */
  unsaved(doc: LiveDocument, editors: Editor[]): void;
}

/** Applies the updates stored after the room's last one, by any instance (durable already: applied at once). */
export async function catchUp(db: Kysely<Database>, doc: LiveDocument): Promise<void> {
  const rows = (await updatesAfter(db, doc.room.eventId, doc.lastId)).filter((row) => row.id > doc.lastId);
  doc.room.applyStored(rows.map((row) => row.update));
  if (rows.length > 0) doc.lastId = Math.max(doc.lastId, rows.at(-1)!.id);
}

/** A change of the description taken into the document: stored, applied to the room after commit. */
interface Merge {
  /** The document's text with the change. */
  text: string;
  /** Every update up to this id is in `text`. */
  through: number;
  /** The server's update that carries the change (none when the text already had it). */
  update?: Uint8Array | undefined;
}

/**
 * Keeps an event and its document in agreement, both ways: the text is
 * written back into the event as a version (writeBack), and changes of the
 * description made through REST, tRPC or rollback are brought into the
 * document (pull). `collab_documents.synced_version` says which event version
 * the document has taken in: each direction moves it in the transaction that
 * does the work, under the row's lock, so neither overwrites the other and a
 * write-back is never mistaken for a change made elsewhere.
 */
export class EventSync {
  constructor(
    private readonly deps: AppDeps,
    private readonly hooks: SyncHooks,
  ) {}

  private get db(): Kysely<Database> {
    return this.deps.db;
  }

  /**
   * A document just loaded may disagree with its event: the description was
   * changed while it was closed (taken in, rebased onto what was typed), or
   * edits were stored but the process stopped before writing them back (a
   * crash: written back now, attributed to their authors).
   */
  async reconcile(doc: LiveDocument, synced: { version: number; through: number }): Promise<void> {
    const eventId = doc.room.eventId;
    const event = await this.db
      .selectFrom('events')
      .select(['version', 'description', 'deleted_at'])
      .where('id', '=', eventId)
      .executeTakeFirst();
    if (!event || event.deleted_at) return;
    if (event.version > synced.version) return this.takeInEvent(doc);
    // Y.Text's typings leave out its toString; toJSON returns the same string.
    if (doc.room.text.toJSON() !== event.description) this.hooks.unsaved(doc, await authorsAfter(this.db, eventId, synced.through));
  }

  /** Brings a change of the event made elsewhere into the document, if there is one. */
  async pull(doc: LiveDocument): Promise<void> {
    if (await eventAhead(this.db, doc.room.eventId)) await this.takeInEvent(doc);
  }

  /**
   * Applies the event's description to the document as a stored update of
   * the server's; the collaborators' typing since the last agreement stays on
   * top (then it still has to reach the event: a write-back follows).
   */
  private async takeInEvent(doc: LiveDocument): Promise<void> {
    const eventId = doc.room.eventId;
    let merge: Merge | undefined;
    let unsavedSince: number | undefined;
    await this.db.transaction().execute(async (trx) => {
      const synced = await lockSyncPoint(trx, eventId);
      const event = await trx
        .selectFrom('events')
        .select(['version', 'description', 'deleted_at'])
        .where('id', '=', eventId)
        .executeTakeFirst();
      if (!synced || !event || event.deleted_at || event.version <= synced.version) return;
      merge = await this.rebaseOntoDocument(trx, doc, synced.version, event.description);
      const ahead = merge.text !== event.description;
      await markSynced(trx, eventId, event.version, ahead ? undefined : merge.through);
      if (ahead) unsavedSince = synced.through;
    });
    this.applyMerge(doc, merge);
    if (unsavedSince !== undefined) this.hooks.unsaved(doc, await authorsAfter(this.db, eventId, unsavedSince));
  }

  /**
   * Copies the text into the event as one new version through the normal
   * change path (history, live updates), attributed to the editors. A change
   * of the description committed since the document last took in its event
   * is merged into the text first, in the same transaction, so it is never
   * overwritten.
   */
  async writeBack(doc: LiveDocument): Promise<void> {
    if (!doc.unsaved) return;
    doc.unsaved = false;
    const editors = [...doc.editors.values()];
    doc.editors.clear();
    await doc.room.settled();
    const eventId = doc.room.eventId;
    let merge: Merge | undefined;
    try {
      await inTransaction(this.deps, async (trx) => {
        merge = undefined;
        const current = await trx.selectFrom('events').selectAll().where('id', '=', eventId).forUpdate().executeTakeFirst();
        const synced = await lockSyncPoint(trx, eventId);
        if (!current || current.deleted_at || !synced) return;
        // The text written includes every update stored so far, by any instance.
        if (current.version > synced.version) merge = await this.rebaseOntoDocument(trx, doc, synced.version, current.description);
        else await catchUp(trx, doc);
        // Read together: every update up to `through` is in `text`.
        const { text, through } = merge ?? { text: doc.room.text.toJSON(), through: doc.lastId };
        if (text === current.description) return markSynced(trx, eventId, current.version, through);
        const reason = editors.length > 1 ? `${COLLAB_REASON} (${editors.map((e) => e.username).join(', ')})` : COLLAB_REASON;
        const { event } = await writeEventContent(
          trx,
          current,
          { ...contentOf(current), description: text },
          {
            actorId: editors.at(-1)?.id ?? null,
            type: 'event.updated',
            reason,
            onConflict: 'allow',
          },
        );
        await markSynced(trx, eventId, event.version, through);
        for (const editor of editors) {
          await audit(
            trx,
            { requestId: `collab-${eventId}`, ip: null },
            { userId: editor.id, action: 'collab.edit', targetType: 'event', targetId: eventId },
          );
        }
      });
    } catch (error) {
      this.deps.logger.error({ err: error, eventId }, 'collaborative write-back failed');
      // Tried again with the next edit, or when the document is reopened.
      for (const editor of editors) if (!doc.editors.has(editor.id)) doc.editors.set(editor.id, editor);
      doc.unsaved = true;
      return;
    }
    this.applyMerge(doc, merge);
  }

  /**
   * Under the sync point's lock: holds the append lock, catches up with every
   * stored update, then stores the change of the description from the one at
   * `syncedVersion` to `description`, rebased onto the text (rebaseEdit). The
   * change is made on a copy: the room sees it only once it is committed.
   */
  private async rebaseOntoDocument(
    trx: Transaction<Database>,
    doc: LiveDocument,
    syncedVersion: number,
    description: string,
  ): Promise<Merge> {
    const eventId = doc.room.eventId;
    await lockUpdates(trx, eventId);
    await catchUp(trx, doc);
    const current = doc.room.text.toJSON();
    const through = doc.lastId;
    if (current === description) return { text: current, through };
    const base = (await descriptionAt(trx, eventId, syncedVersion)) ?? current;
    const edits = rebaseEdit(base, description, current);
    if (edits.length === 0) return { text: current, through };
    const copy = new Y.Doc();
    try {
      Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc.room.doc));
      const before = Y.encodeStateVector(copy);
      const text = copy.getText(DESCRIPTION);
      copy.transact(() => {
        for (const { at, remove, insert } of edits) {
          if (remove > 0) text.delete(at, remove);
          if (insert) text.insert(at, insert);
        }
      });
      const update = Y.encodeStateAsUpdate(copy, before);
      const { ids } = await appendUpdates(trx, eventId, [{ update, userId: null }]);
      return { text: text.toJSON(), through: ids[0]!, update };
    } finally {
      copy.destroy();
    }
  }

  private applyMerge(doc: LiveDocument, merge: Merge | undefined): void {
    if (!merge?.update) return;
    doc.room.applyStored([merge.update]);
    doc.lastId = Math.max(doc.lastId, merge.through);
    this.hooks.stored(doc);
  }
}
