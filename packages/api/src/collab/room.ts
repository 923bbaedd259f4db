import type { Role } from '@scheduler/db';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as authProtocol from 'y-protocols/auth';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import type { WebSocket } from 'ws';
import { roleAllows, type TokenScope } from '../services/events/access.ts';
import { DESCRIPTION, type StoredUpdate } from './persistence.ts';

const MESSAGE_SYNC = 0;
const MESSAGE_AWARENESS = 1;
const MESSAGE_AUTH = 2;
const MESSAGE_QUERY_AWARENESS = 3;

/** Transaction origin of a round of updates from several connections. */
const ROUND = Symbol('round');

/** Close codes: 4401 session ended, 4403 access revoked, 1007 malformed message, 1009 too large. */
export const CLOSE = { sessionEnded: 4401, revoked: 4403, malformed: 1007, tooLarge: 1009, shutdown: 1012 } as const;

export interface CollabUser {
  id: number;
  username: string;
  sessionId: string;
  tokenExp: number;
  /** Set when connected with an API token: a read token only reads, a narrowed one sees only its events. */
  scope?: TokenScope | undefined;
}

export interface Connection {
  ws: WebSocket;
  user: CollabUser;
  role: Role;
  /** Awareness client ids this connection speaks for (removed when it leaves). */
  clientIds: Set<number>;
  warnedReadOnly: boolean;
}

export interface RoomHooks {
  /** Stores updates (in order) before they are applied and broadcast; resolves once durable. */
  persist(updates: StoredUpdate[]): Promise<void>;
  /** A writer changed the text (debounced write-back follows). */
  edited(user: CollabUser): void;
  /** Awareness changed locally (to be relayed to other instances). */
  awarenessChanged(update: Uint8Array): void;
  /** Longest description, in characters. */
  maxTextLength: number;
  /** Largest encoded document: every shared type, embeds, formatting and history included. */
  maxDocumentBytes: number;
}

/** Whether a role may change the document: the access rule's 'collab.write'. */
const canWrite = (role: Role) => roleAllows(role, 'collab.write');

/**
 * One event's shared document and the connections editing it, speaking the
 * y-websocket protocol (sync steps, updates, awareness). Updates from writers
 * are checked, stored, then applied and relayed; viewers' updates are dropped.
 */
export class CollabRoom {
  readonly awareness: awarenessProtocol.Awareness;
  readonly connections = new Map<WebSocket, Connection>();
  /** Accepted updates waiting to be stored; stored together while a previous store runs (group commit). */
  private pending: Array<{ conn: Connection; update: Uint8Array }> = [];
  /** The round being stored: accepted, not yet applied. */
  private storing: Array<{ conn: Connection; update: Uint8Array }> = [];
  private flushing: Promise<void> | undefined;
  /** The document's encoded size when last measured, and the bytes of updates taken in since (an upper estimate together). */
  private measuredBytes: number;
  private unmeasuredBytes = 0;

  constructor(
    readonly eventId: number,
    readonly doc: Y.Doc,
    private readonly hooks: RoomHooks,
  ) {
    this.measuredBytes = Y.encodeStateAsUpdate(doc).length;
    this.awareness = new awarenessProtocol.Awareness(doc);
    this.awareness.setLocalState(null);
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      const message = encoding.createEncoder();
      encoding.writeVarUint(message, MESSAGE_SYNC);
      syncProtocol.writeUpdate(message, update);
      this.broadcast(encoding.toUint8Array(message), origin instanceof Object && 'ws' in origin ? (origin as Connection).ws : undefined);
    });
    this.awareness.on('update', ({ added, updated, removed }: AwarenessChange, origin: unknown) => {
      const changed = [...added, ...updated, ...removed];
      const conn = origin instanceof Object && 'ws' in origin ? (origin as Connection) : undefined;
      if (conn) {
        for (const id of added) conn.clientIds.add(id);
        for (const id of removed) conn.clientIds.delete(id);
      }
      const update = awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed);
      const message = encoding.createEncoder();
      encoding.writeVarUint(message, MESSAGE_AWARENESS);
      encoding.writeVarUint8Array(message, update);
      this.broadcast(encoding.toUint8Array(message));
      if (origin !== 'remote') this.hooks.awarenessChanged(update);
    });
  }

  get text(): Y.Text {
    return this.doc.getText(DESCRIPTION);
  }

  join(conn: Connection): void {
    this.connections.set(conn.ws, conn);
    const sync = encoding.createEncoder();
    encoding.writeVarUint(sync, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(sync, this.doc);
    conn.ws.send(encoding.toUint8Array(sync));
    const states = [...this.awareness.getStates().keys()];
    if (states.length > 0) {
      const message = encoding.createEncoder();
      encoding.writeVarUint(message, MESSAGE_AWARENESS);
      encoding.writeVarUint8Array(message, awarenessProtocol.encodeAwarenessUpdate(this.awareness, states));
      conn.ws.send(encoding.toUint8Array(message));
    }
  }

  leave(ws: WebSocket): Connection | undefined {
    const conn = this.connections.get(ws);
    if (!conn) return undefined;
    this.connections.delete(ws);
    awarenessProtocol.removeAwarenessStates(this.awareness, [...conn.clientIds], null);
    return conn;
  }

  /** Handles one binary message; throws on malformed input (the caller closes that connection only). */
  receive(conn: Connection, data: Uint8Array): void {
    const decoder = decoding.createDecoder(data);
    const type = decoding.readVarUint(decoder);
    switch (type) {
      case MESSAGE_SYNC:
        return this.receiveSync(conn, decoder);
      case MESSAGE_AWARENESS: {
        const update = decoding.readVarUint8Array(decoder);
        // The server, not the client, says who a cursor belongs to (`name` is what editors label it with);
        // the client keeps only its cursor colours.
        const stamped = awarenessProtocol.modifyAwarenessUpdate(update, (state: unknown) =>
          state && typeof state === 'object'
            ? { ...state, user: { ...cursorColours(state), id: conn.user.id, username: conn.user.username, name: conn.user.username } }
            : state,
        );
        awarenessProtocol.applyAwarenessUpdate(this.awareness, stamped, conn);
        return;
      }
      case MESSAGE_QUERY_AWARENESS: {
        const message = encoding.createEncoder();
        encoding.writeVarUint(message, MESSAGE_AWARENESS);
        encoding.writeVarUint8Array(
          message,
          awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...this.awareness.getStates().keys()]),
        );
        conn.ws.send(encoding.toUint8Array(message));
        return;
      }
      case MESSAGE_AUTH:
        return;
      default:
        throw new Error(`unknown message type ${type}`);
    }
  }

  private receiveSync(conn: Connection, decoder: decoding.Decoder): void {
    const syncType = decoding.readVarUint(decoder);
    if (syncType === syncProtocol.messageYjsSyncStep1) {
      const reply = encoding.createEncoder();
      encoding.writeVarUint(reply, MESSAGE_SYNC);
      syncProtocol.writeSyncStep2(reply, this.doc, decoding.readVarUint8Array(decoder));
      conn.ws.send(encoding.toUint8Array(reply));
      return;
    }
    if (syncType !== syncProtocol.messageYjsSyncStep2 && syncType !== syncProtocol.messageYjsUpdate) {
      throw new Error(`unknown sync message ${syncType}`);
    }
    const update = decoding.readVarUint8Array(decoder);
    Y.decodeUpdate(update); // throws on a malformed update before anything is stored
    if (!canWrite(conn.role)) {
      if (!conn.warnedReadOnly) {
        conn.warnedReadOnly = true;
        const message = encoding.createEncoder();
        encoding.writeVarUint(message, MESSAGE_AUTH);
        authProtocol.writePermissionDenied(message, 'read-only: your role does not allow editing; changes are not saved');
        conn.ws.send(encoding.toUint8Array(message));
      }
      return;
    }
    if (isEmptyUpdate(update)) return;
    if (!this.fits(update)) {
      conn.ws.close(CLOSE.tooLarge, 'document too large');
      return;
    }
    this.pending.push({ conn, update });
    this.flushing ??= this.flush().finally(() => (this.flushing = undefined));
  }

  /**
   * Stores, then applies and relays, everything pending, in arrival order.
   * Updates arriving during a store wait for the next round and are stored
   * together, so a busy document costs one database round trip per round,
   * not per keystroke.
   */
  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      this.storing = batch;
      try {
        await this.hooks.persist(batch.map(({ conn, update }) => ({ update, userId: conn.user.id })));
      } catch {
        for (const { conn } of batch) conn.ws.close(CLOSE.shutdown, 'could not store the update; reconnect');
        continue;
      } finally {
        this.storing = [];
      }
      // One transaction for the round: one merged update goes out to every
      // connection instead of one message per keystroke per connection. Senders
      // receive their own changes back only when others' are in the same round
      // (Yjs ignores what it already has).
      const senders = new Set(batch.map((b) => b.conn));
      const origin = senders.size === 1 ? batch[0]!.conn : ROUND;
      this.doc.transact(() => {
        for (const { update } of batch) Y.applyUpdate(this.doc, update);
      }, origin);
      for (const conn of senders) this.hooks.edited(conn.user);
    }
  }

  /** Applies updates that another instance (or the server itself) already stored, as one broadcast. */
  applyStored(updates: Uint8Array[]): void {
    if (updates.length === 0) return;
    for (const update of updates) this.unmeasuredBytes += update.length;
    this.doc.transact(() => {
      for (const update of updates) Y.applyUpdate(this.doc, update);
    }, 'remote');
  }

  applyRemoteAwareness(update: Uint8Array): void {
    awarenessProtocol.applyAwarenessUpdate(this.awareness, update, 'remote');
  }

  /** Waits for updates in flight to be stored and applied. */
  async settled(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /**
   * Whether the document stays within its limits with this update, counting
   * the updates accepted and not yet applied (the round being stored and the
   * next one). Cheap bounds
   * first (an update adds at most its size in characters and in bytes); the
   * exact check builds the document as it would be.
   */
  private fits(update: Uint8Array): boolean {
    const waiting = [...this.storing, ...this.pending];
    const pendingBytes = waiting.reduce((sum, p) => sum + p.update.length, 0);
    const textMayExceed = this.text.length + pendingBytes + update.length > this.hooks.maxTextLength;
    const bytesMayExceed = this.measuredBytes + this.unmeasuredBytes + update.length > this.hooks.maxDocumentBytes;
    if (!textMayExceed && !bytesMayExceed) {
      this.unmeasuredBytes += update.length;
      return true;
    }
    const trial = new Y.Doc();
    try {
      Y.applyUpdate(trial, Y.encodeStateAsUpdate(this.doc));
      for (const p of waiting) Y.applyUpdate(trial, p.update);
      Y.applyUpdate(trial, update);
      const bytes = Y.encodeStateAsUpdate(trial).length;
      if (trial.getText(DESCRIPTION).length > this.hooks.maxTextLength || bytes > this.hooks.maxDocumentBytes) return false;
      this.measuredBytes = bytes;
      this.unmeasuredBytes = 0;
      return true;
    } finally {
      trial.destroy();
    }
  }

  broadcast(message: Uint8Array, except?: WebSocket): void {
    for (const ws of this.connections.keys()) {
      if (ws !== except && ws.readyState === ws.OPEN) ws.send(message);
    }
  }

  destroy(): void {
    this.awareness.destroy();
    this.doc.destroy();
  }
}

type AwarenessChange = { added: number[]; updated: number[]; removed: number[] };

/** An update with no structs and no deletions (e.g. sync step 2 from a client with nothing new). */
function isEmptyUpdate(update: Uint8Array): boolean {
  const decoded = Y.decodeUpdate(update);
  return decoded.structs.length === 0 && decoded.ds.clients.size === 0;
}

/** The `color` and `colorLight` a client chose for its cursor, when they are short CSS colour strings. */
function cursorColours(state: object): { color?: string; colorLight?: string } {
  const user = (state as { user?: unknown }).user;
  if (!user || typeof user !== 'object') return {};
  const colours: { color?: string; colorLight?: string } = {};
  for (const key of ['color', 'colorLight'] as const) {
    const value = (user as Record<string, unknown>)[key];
    if (typeof value === 'string' && /^#[0-9a-f]{3,8}$/i.test(value)) colours[key] = value;
  }
  return colours;
}
