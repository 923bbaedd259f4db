import { defaultKeymap, indentWithTab } from '@codemirror/commands';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, placeholder } from '@codemirror/view';
import type { SchedulerClient } from '@scheduler/client';
import { useEffect, useRef, useState } from 'react';
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

/** The Y.Text the server keeps in step with the event's description. */
const DESCRIPTION = 'description';
/** Close codes of the collaboration endpoint. */
const SESSION_ENDED = 4401;
const ACCESS_REVOKED = 4403;

export interface Peer {
  clientId: number;
  name: string;
  color: string;
}

/** A readable colour per user, with enough contrast for a cursor label on white text. */
const COLORS = ['#1d4ed8', '#b91c1c', '#047857', '#7c3aed', '#b45309', '#0e7490', '#be185d', '#4d7c0f'];
const colorFor = (userId: number) => COLORS[userId % COLORS.length]!;

/**
 * The description, edited together over Yjs: one Y.Doc per event synced with
 * the server's `/collab/{id}` room, remote cursors and names through
 * awareness, and a read-only view (not focusable for typing) for viewers.
 */
export function CollabEditor(props: {
  eventId: number;
  client: SchedulerClient;
  user: { id: number; username: string };
  readOnly: boolean;
  onRevoked: () => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const [peers, setPeers] = useState<Peer[]>([]);
  const [status, setStatus] = useState<'connecting' | 'connected' | 'disconnected'>('connecting');
  const onRevoked = useRef(props.onRevoked);
  onRevoked.current = props.onRevoked;
  const { eventId, client, user, readOnly } = props;

  useEffect(() => {
    const doc = new Y.Doc();
    const origin = window.location.origin.replace(/^http/, 'ws');
    const provider = new WebsocketProvider(`${origin}/collab`, String(eventId), doc, {
      params: { token: client.tokens.access ?? '' },
      disableBc: true,
    });
    // The token travels in the URL of each connection: after a drop, come back with a current one.
    const renewToken = () => {
      void client.freshToken().then((token) => (provider.params = { token: token ?? '' }));
    };
    provider.on('connection-close', renewToken);
    provider.on('connection-error', renewToken);
    const ytext = doc.getText(DESCRIPTION);
    const color = colorFor(user.id);
    provider.awareness.setLocalStateField('user', { name: user.username, color, colorLight: `${color}33`, id: user.id });

    const updatePeers = () => {
      const list: Peer[] = [];
      provider.awareness.getStates().forEach((state, clientId) => {
        // The server stamps each state with the user it belongs to.
        const u = state['user'] as { id?: number; name?: string; username?: string; color?: string } | undefined;
        const name = u?.name ?? u?.username;
        // One chip per person, however many tabs they have open.
        if (name && !list.some((p) => p.name === name)) list.push({ clientId, name, color: u?.color ?? colorFor(u?.id ?? 0) });
      });
      setPeers(list);
    };
    provider.awareness.on('change', updatePeers);
    provider.on('status', ({ status: s }: { status: 'connecting' | 'connected' | 'disconnected' }) => setStatus(s));
    provider.on('closed', ({ code }: { code: number }) => {
      if (code === ACCESS_REVOKED) return onRevoked.current();
      if (code === SESSION_ENDED) {
        // The access token expired: come back with a fresh one (none when the session itself ended).
        void client.freshToken().then((token) => {
          if (!token) return;
          provider.params = { token };
          provider.connect();
        });
      }
    });

    const undoManager = new Y.UndoManager(ytext);
    const view = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: ytext.toJSON(),
        extensions: [
          keymap.of([...yUndoManagerKeymap, ...defaultKeymap, indentWithTab]),
          yCollab(ytext, provider.awareness, { undoManager }),
          EditorView.lineWrapping,
          EditorState.readOnly.of(readOnly),
          EditorView.editable.of(!readOnly),
          placeholder(readOnly ? 'No description.' : 'Describe the event…'),
          EditorView.contentAttributes.of({
            'aria-label': 'Description',
            'aria-multiline': 'true',
            'aria-readonly': String(readOnly),
            role: 'textbox',
          }),
        ],
      }),
    });
    updatePeers();

    return () => {
      view.destroy();
      provider.awareness.off('change', updatePeers);
      provider.destroy();
      undoManager.destroy();
      doc.destroy();
    };
  }, [eventId, client, user.id, user.username, readOnly]);

  return (
    <div className="collab">
      <div className="collab-head">
        <span id="description-label" className="label">
          Description {readOnly ? <span className="muted">(read-only: you are a viewer)</span> : null}
        </span>
        <span className={`status status-${status}`}>
          {status === 'connected' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Offline'}
        </span>
      </div>
      <ul className="presence" aria-label="Here now">
        {peers.map((p) => (
          <li key={p.clientId} style={{ borderColor: p.color }}>
            <span className="dot" style={{ background: p.color }} aria-hidden="true" />
            {p.name}
          </li>
        ))}
      </ul>
      <div ref={host} className="editor" />
    </div>
  );
}
