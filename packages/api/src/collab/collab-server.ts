import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Database, Role } from '@scheduler/db';
import { ZIdText } from '@scheduler/shared';
import type { Kysely } from 'kysely';
import { WebSocketServer, type WebSocket } from 'ws';
import * as Y from 'yjs';
import { bearerToken } from '../context.ts';
import type { AppDeps } from '../deps.ts';
import { authenticate } from '../services/auth/auth-service.ts';
import { audit } from '../services/audit.ts';
import { roleOf, rolesOf } from '../services/events/access.ts';
import { contentOf } from '../services/events/content.ts';
import { writeEventContent } from '../services/events/event-service.ts';
import { inTransaction } from '../services/write.ts';
import { appendUpdates, authorsAfter, compact, loadDocument, markSynced, updatesAfter } from './persistence.ts';
import { rebaseEdit } from './rebase-text.ts';
import { CLOSE, CollabRoom, type CollabUser, type Connection } from './room.ts';

export const COLLAB_UPDATES_TOPIC = 'collab';
export const COLLAB_AWARENESS_TOPIC = 'collab_awareness';
export const COLLAB_REASON = 'Collaborative edit';
/** Same limit as an event's description. */
const MAX_TEXT_LENGTH = 100_000;
const MAX_MESSAGE_BYTES = 512 * 1024;
const MAX_WRITEBACK_DELAY_MS = 10_000;
const HOUSEKEEPING_MS = 500;
/** NOTIFY payloads are limited to 8000 bytes; larger awareness updates stay local. */
const MAX_RELAYED_AWARENESS = 6000;

/** Whom a write-back is attributed to. */
type Editor = Pick<CollabUser, 'id' | 'username'>;

interface RoomState {
  room: CollabRoom;
  /** Highest collab_updates id applied to the room's document. */
  lastId: number;
  /** Editors since the last write-back. */
  editors: Map<number, Editor>;
  /** The text has changes not yet written back into the event. */
  unsaved: boolean;
  firstEditAt: number | undefined;
  writeBackTimer: NodeJS.Timeout | undefined;
  lastKnownVersion: number;
  catchingUp?: Promise<void> | undefined;
  catchUpAgain?: boolean;
}

/**
 * Collaborative editing at /collab/{event_id}: authentication and access
 * (hooks run before any document data is sent), lazy loading and unloading
 * of rooms, durable updates, debounced write-back of the text into the event
 * through the normal change path, and relaying between instances.
 */
export class CollabServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly rooms = new Map<number, RoomState>();
  private readonly loading = new Map<number, Promise<RoomState>>();
  private readonly instanceId = Math.random().toString(36).slice(2, 10);
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: AppDeps) {
    deps.wake.subscribe(COLLAB_UPDATES_TOPIC, (payload) => {
      const [eventId, instance] = payload.split(':');
      if (instance === this.instanceId) return;
      const state = this.rooms.get(Number(eventId));
      if (state) void this.catchUp(state);
    });
    deps.wake.subscribe(COLLAB_AWARENESS_TOPIC, (payload) => this.receiveRemoteAwareness(payload));
    this.timer = setInterval(() => void this.housekeeping(), HOUSEKEEPING_MS);
  }

  /** Documents loaded in this process (unloaded when their last client leaves). */
  get openDocuments(): number {
    return this.rooms.size;
  }

  get db(): Kysely<Database> {
    return this.deps.db;
  }

  /** Refuses bad tokens and strangers with an HTTP answer before the WebSocket exists. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const idText = url.pathname.replace(/^\/collab\/?/, '').replace(/\/$/, '');
    const parsedId = ZIdText.safeParse(idText);
    if (!parsedId.success) return refuse(socket, 400, 'Bad Request');
    const protocolToken = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).find((p) => p.split('.').length === 3);
    const token = url.searchParams.get('token') ?? bearerToken(req.headers.authorization) ?? protocolToken ?? null;
    const user = await authenticate(this.deps, token);
    if (!user) return refuse(socket, 401, 'Unauthorized');
    const role = await roleOf(this.db, parsedId.data, user.id);
    if (!role) return refuse(socket, 404, 'Not Found');
    const collabUser: CollabUser = { id: user.id, username: user.username, sessionId: user.sessionId, tokenExp: user.tokenExp };
    let state: RoomState;
    try {
      state = await this.open(parsedId.data);
    } catch (error) {
      this.deps.logger.error({ err: error }, 'could not open collaborative document');
      return refuse(socket, 503, 'Service Unavailable');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws, state, collabUser, role));
  }

  private attach(ws: WebSocket, state: RoomState, user: CollabUser, role: Role): void {
    const conn: Connection = { ws, user, role, clientIds: new Set(), warnedReadOnly: false };
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return ws.close(CLOSE.malformed, 'binary messages only');
      try {
        state.room.receive(conn, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      } catch {
        ws.close(CLOSE.malformed, 'malformed message');
      }
    });
    ws.on('close', () => {
      state.room.leave(ws);
      if (state.room.connections.size === 0) void this.unload(state);
    });
    ws.on('error', () => ws.terminate());
    state.room.join(conn);
  }

  private open(eventId: number): Promise<RoomState> {
    const existing = this.rooms.get(eventId);
    if (existing) return Promise.resolve(existing);
    let pending = this.loading.get(eventId);
    if (!pending) {
      pending = this.load(eventId).finally(() => this.loading.delete(eventId));
      this.loading.set(eventId, pending);
    }
    return pending;
  }

  private async load(eventId: number): Promise<RoomState> {
    const event = await this.db.selectFrom('events').select(['description', 'version']).where('id', '=', eventId).executeTakeFirstOrThrow();
    const { doc, lastId, synced } = await loadDocument(this.db, eventId, event);
    const state: RoomState = {
      lastId,
      editors: new Map(),
      unsaved: false,
      firstEditAt: undefined,
      writeBackTimer: undefined,
      lastKnownVersion: event.version,
      room: undefined as unknown as CollabRoom,
    };
    state.room = new CollabRoom(eventId, doc, {
      maxTextLength: MAX_TEXT_LENGTH,
      persist: async (updates) => {
        const { ids, previousMax } = await appendUpdates(this.db, eventId, updates);
        // Advance past our own ids only when nobody else stored one we have not applied yet.
        if (previousMax <= state.lastId) state.lastId = Math.max(state.lastId, ...ids);
        else void this.catchUp(state);
        this.deps.wake.publish(COLLAB_UPDATES_TOPIC, `${eventId}:${this.instanceId}`);
      },
      edited: (user) => this.markUnsaved(state, [user]),
      awarenessChanged: (update) => {
        if (this.deps.wake.kind === 'local' || update.length > MAX_RELAYED_AWARENESS) return;
        this.deps.wake.publish(COLLAB_AWARENESS_TOPIC, `${eventId}:${this.instanceId}:${Buffer.from(update).toString('base64')}`);
      },
    });
    this.rooms.set(eventId, state);
    await this.reconcile(state, synced);
    return state;
  }

  /**
   * A document reopened may disagree with its event, for one of two reasons:
   * the description was changed (REST, tRPC, rollback) while the document was
   * closed, which is brought into the document; or edits were stored but the
   * process stopped before writing them back (a crash), which are written
   * back now, attributed to their authors.
   */
  private async reconcile(state: RoomState, synced: { version: number; through: number }): Promise<void> {
    const eventId = state.room.eventId;
    const event = await this.db.selectFrom('events').select(['version', 'description', 'deleted_at']).where('id', '=', eventId).executeTakeFirst();
    if (!event || event.deleted_at) return;
    state.lastKnownVersion = event.version;
    if (state.room.text.toString() === event.description) {
      if (event.version > synced.version) await markSynced(this.db, eventId, event.version, state.lastId);
      return;
    }
    if (event.version > synced.version && (await descriptionAt(this.db, eventId, synced.version)) !== event.description) {
      await this.applyEventText(state);
      return;
    }
    this.markUnsaved(state, await authorsAfter(this.db, eventId, synced.through));
  }

  /** Reads updates other instances stored since we last looked (wake-ups arriving meanwhile are coalesced). */
  private catchUp(state: RoomState): Promise<void> {
    if (state.catchingUp) {
      state.catchUpAgain = true;
      return state.catchingUp;
    }
    state.catchingUp = (async () => {
      do {
        state.catchUpAgain = false;
        const rows = (await updatesAfter(this.db, state.room.eventId, state.lastId)).filter((row) => row.id > state.lastId);
        state.room.applyStored(rows.map((row) => row.update));
        if (rows.length > 0) state.lastId = rows.at(-1)!.id;
      } while (state.catchUpAgain);
    })().finally(() => (state.catchingUp = undefined));
    return state.catchingUp;
  }

  private receiveRemoteAwareness(payload: string): void {
    const [eventId, instance, data] = payload.split(':');
    if (instance === this.instanceId || !data) return;
    const state = this.rooms.get(Number(eventId));
    if (!state) return;
    try {
      state.room.applyRemoteAwareness(new Uint8Array(Buffer.from(data, 'base64')));
    } catch {
      // a corrupt relay message affects nobody
    }
  }

  /** The text has changes the event lacks (made by these editors): a write-back follows. */
  private markUnsaved(state: RoomState, editors: Editor[] = []): void {
    for (const { id, username } of editors) state.editors.set(id, { id, username });
    state.unsaved = true;
    this.scheduleWriteBack(state);
  }

  private scheduleWriteBack(state: RoomState): void {
    state.firstEditAt ??= Date.now();
    if (state.writeBackTimer) clearTimeout(state.writeBackTimer);
    const waited = Date.now() - state.firstEditAt;
    const delay = Math.min(this.deps.config.collabWritebackMs, Math.max(0, MAX_WRITEBACK_DELAY_MS - waited));
    state.writeBackTimer = setTimeout(() => void this.writeBack(state), delay);
  }

  /**
   * Copies the document's text into the event as one new version through the
   * normal change path (history, live updates), attributed to the editors.
   */
  async writeBack(state: RoomState): Promise<void> {
    if (state.writeBackTimer) clearTimeout(state.writeBackTimer);
    state.writeBackTimer = undefined;
    const editors = [...state.editors.values()];
    state.editors.clear();
    state.firstEditAt = undefined;
    if (!state.unsaved) return;
    state.unsaved = false;
    await state.room.settled();
    const text = state.room.text.toString();
    const through = state.lastId; // every stored update up to here is in the text
    const eventId = state.room.eventId;
    try {
      const version = await inTransaction(this.deps, async (trx) => {
        const current = await trx.selectFrom('events').selectAll().where('id', '=', eventId).forUpdate().executeTakeFirst();
        if (!current || current.deleted_at) return current?.version;
        if (current.description === text) {
          await markSynced(trx, eventId, current.version, through);
          return current.version;
        }
        const reason = editors.length > 1 ? `${COLLAB_REASON} (${editors.map((e) => e.username).join(', ')})` : COLLAB_REASON;
        const { event } = await writeEventContent(trx, current, { ...contentOf(current), description: text }, {
          actorId: editors.at(-1)?.id ?? null,
          type: 'event.updated',
          reason,
          onConflict: 'allow',
        });
        await markSynced(trx, eventId, event.version, through);
        for (const editor of editors) {
          await audit(trx, { requestId: `collab-${eventId}`, ip: null }, { userId: editor.id, action: 'collab.edit', targetType: 'event', targetId: eventId });
        }
        return event.version;
      });
      if (version !== undefined) state.lastKnownVersion = Math.max(state.lastKnownVersion, version);
    } catch (error) {
      this.deps.logger.error({ err: error, eventId }, 'collaborative write-back failed');
      // Try again with the next edit, or when the document is reopened.
      for (const editor of editors) state.editors.set(editor.id, editor);
      state.unsaved = true;
    }
  }

  /**
   * A REST or tRPC update of the description is applied to the document so
   * editors see it live. Under the document row's lock, after catching up, so
   * several instances apply it once; write-backs (of any instance) are
   * recognised by their change reason and never echoed (no edit loops).
   */
  private async syncFromEvent(state: RoomState): Promise<void> {
    const eventId = state.room.eventId;
    const event = await this.db.selectFrom('events').select(['version', 'description', 'deleted_at']).where('id', '=', eventId).executeTakeFirst();
    if (!event || event.deleted_at || event.version <= state.lastKnownVersion) return;
    state.lastKnownVersion = event.version;
    if (state.room.text.toString() === event.description) return;
    // A write-back of any instance came from the document itself: the updates carry it already.
    const newest = await this.db
      .selectFrom('event_versions')
      .select('change_reason')
      .where('event_id', '=', eventId)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (newest?.change_reason?.startsWith(COLLAB_REASON)) return;
    await this.applyEventText(state);
  }

  /**
   * Brings the event's description into the document, as a stored update of
   * the server's. The change is taken from the description the document last
   * agreed with to the new one, and applied on top of what collaborators typed
   * since (rebaseEdit), so neither side's text is lost.
   */
  private async applyEventText(state: RoomState): Promise<void> {
    const eventId = state.room.eventId;
    let ahead = false;
    await this.db.transaction().execute(async (trx) => {
      const document = await trx.selectFrom('collab_documents').select('synced_version').where('event_id', '=', eventId).forUpdate().executeTakeFirst();
      const rows = await updatesAfter(trx, eventId, state.lastId);
      state.room.applyStored(rows.map((row) => row.update));
      if (rows.length > 0) state.lastId = Math.max(state.lastId, rows.at(-1)!.id);
      const latest = await trx.selectFrom('events').select(['description', 'version']).where('id', '=', eventId).executeTakeFirstOrThrow();
      const text = state.room.text;
      const current = text.toString();
      if (current === latest.description) return markSynced(trx, eventId, latest.version, state.lastId);
      const base = (document && (await descriptionAt(trx, eventId, document.synced_version))) ?? current;
      const before = Y.encodeStateVector(state.room.doc);
      state.room.doc.transact(() => {
        for (const { at, remove, insert } of rebaseEdit(base, latest.description, current)) {
          if (remove > 0) text.delete(at, remove);
          if (insert) text.insert(at, insert);
        }
      }, 'server');
      const { ids } = await appendUpdates(trx, eventId, [{ update: Y.encodeStateAsUpdate(state.room.doc, before), userId: null }]);
      await markSynced(trx, eventId, latest.version, ids[0]!);
      ahead = text.toString() !== latest.description;
    });
    this.deps.wake.publish(COLLAB_UPDATES_TOPIC, `${eventId}:${this.instanceId}`);
    // Collaborators' unsaved typing was kept on top of the change: it still has to reach the event.
    if (ahead) this.markUnsaved(state);
  }

  /** Re-checks every connection's access and session; applies REST changes; compacts idle documents. */
  private async housekeeping(): Promise<void> {
    if (this.rooms.size === 0) return;
    const now = Date.now() / 1000;
    for (const state of this.rooms.values()) {
      const conns = [...state.room.connections.values()];
      if (conns.length === 0) continue;
      try {
        const userIds = [...new Set(conns.map((c) => c.user.id))];
        const [roleOfUser, sessions] = await Promise.all([
          rolesOf(this.db, state.room.eventId, userIds),
          this.db
            .selectFrom('auth_sessions')
            .select('id')
            .where('id', 'in', [...new Set(conns.map((c) => c.user.sessionId))])
            .where('revoked_at', 'is', null)
            .execute(),
        ]);
        const active = new Set(sessions.map((s) => s.id));
        for (const conn of conns) {
          const role = roleOfUser.get(conn.user.id);
          if (!active.has(conn.user.sessionId) || conn.user.tokenExp <= now) conn.ws.close(CLOSE.sessionEnded, 'session ended');
          else if (!role) conn.ws.close(CLOSE.revoked, 'access revoked');
          else conn.role = role;
        }
        await this.catchUp(state); // safety net for a lost wake-up
        await this.syncFromEvent(state);
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'collab housekeeping failed');
      }
    }
  }

  private async unload(state: RoomState): Promise<void> {
    await this.writeBack(state);
    if (state.room.connections.size > 0) return; // someone joined meanwhile
    this.rooms.delete(state.room.eventId);
    state.room.destroy();
    await compact(this.db, state.room.eventId).catch((error: unknown) => this.deps.logger.warn({ err: error }, 'collab compaction failed'));
  }

  /** Shutdown: write every document back, tell clients to reconnect, close. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const state of [...this.rooms.values()]) {
      await this.writeBack(state);
      for (const ws of state.room.connections.keys()) ws.close(CLOSE.shutdown, 'server restarting');
      state.room.destroy();
    }
    this.rooms.clear();
    this.wss.close();
  }
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** The event's description at one of its versions. */
async function descriptionAt(db: Kysely<Database>, eventId: number, version: number): Promise<string | undefined> {
  const row = await db.selectFrom('event_versions').select('description').where('event_id', '=', eventId).where('version', '=', version).executeTakeFirst();
  return row?.description;
}
