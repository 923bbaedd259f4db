import type { LiveMessage } from '@scheduler/client';
import type { TEvent, TEventDetail, TRole } from '@scheduler/shared';
import type { QueryClient } from '@tanstack/react-query';
import { keys } from '../api/queries.ts';

/** The recipient's role after a permission change (`my_role`, or `role` in older servers); null once revoked. */
export function myRoleAfter(message: LiveMessage): TRole | null | undefined {
  const withMyRole = message as LiveMessage & { my_role?: TRole | null };
  return withMyRole.my_role !== undefined ? withMyRole.my_role : message.role;
}

/**
 * Applies one live change to the query cache: the event's own entry is
 * replaced by the event the message carries (its participants kept), and
 * the lists, participants and history that depend on it are refetched, since
 * their order, expansion and paging are the server's to compute.
 */
export function applyChange(queryClient: QueryClient, message: LiveMessage, me: number): void {
  const id = message.event_id;
  if (id === null) return; // a notice about no event changes nothing cached
  if (message.type.startsWith('invitation.')) return; // addressed to me; nothing of the event changed
  if (message.type === 'rsvp.updated') {
    // Someone answered: only the participants' RSVPs changed.
    void queryClient.invalidateQueries({ queryKey: keys.participants(id) });
    void queryClient.invalidateQueries({ queryKey: keys.event(id) });
    return;
  }
  if (message.type === 'event.reminder') return; // news, not a change: the event it carries is the cached one
  if (message.type === 'event.deleted') {
    // Refetched, an open event page learns the event is gone (404) and says so.
    void queryClient.invalidateQueries({ queryKey: keys.event(id) });
    void queryClient.invalidateQueries({ queryKey: keys.eventLists });
    return;
  }
  const revokedForMe = message.type === 'permission.revoked' && myRoleAfter(message) === null && affectsMe(message, me);
  if (revokedForMe) {
    queryClient.removeQueries({ queryKey: keys.participants(id) });
    queryClient.removeQueries({ queryKey: keys.history(id) });
  } else if (message.event) {
    const event: TEvent = message.event;
    queryClient.setQueryData<TEventDetail>(keys.event(id), (old) => (old ? { ...old, ...event } : old));
  }
  void queryClient.invalidateQueries({ queryKey: keys.eventLists });
  if (!revokedForMe) {
    void queryClient.invalidateQueries({ queryKey: keys.history(id) });
    if (message.type.startsWith('permission.')) {
      void queryClient.invalidateQueries({ queryKey: keys.participants(id) });
      void queryClient.invalidateQueries({ queryKey: keys.event(id) });
    }
  }
}

/** Whether a permission message is about me (the `user` it names, or me as its recipient on older servers). */
export function affectsMe(message: LiveMessage, me: number): boolean {
  const target = (message as LiveMessage & { user?: { id: number } | null }).user;
  return target ? target.id === me : true;
}

const VERBS: Record<LiveMessage['type'], string> = {
  'event.created': 'created',
  'event.updated': 'updated',
  'event.deleted': 'deleted',
  'event.rolled_back': 'rolled back',
  'permission.granted': 'shared',
  'permission.updated': 'changed a role on',
  'permission.revoked': 'removed someone from',
  'invitation.created': 'invited you to',
  'invitation.accepted': 'accepted the invitation to',
  'invitation.declined': 'declined the invitation to',
  'invitation.cancelled': 'cancelled the invitation to',
  'rsvp.updated': 'answered',
  'event.reminder': 'was reminded of',
  'webhook.disabled': 'switched off a webhook of',
};

/** "ada updated “Planning”", for the activity notices. */
export function describeChange(message: LiveMessage, me: number, knownTitle?: string): string {
  if (message.type === 'webhook.disabled') return `Your webhook ${message.webhook?.url ?? ''} was switched off: ${message.reason ?? ''}`;
  const who = message.actor ? (message.actor.id === me ? 'You' : message.actor.username) : 'Someone';
  const title = message.event?.title ?? message.invitation?.event_title ?? knownTitle;
  const what = title ? `“${title}”` : `event ${message.event_id}`;
  if (message.type === 'event.reminder') return `Reminder: ${what} starts at ${message.occurrence_start ?? 'soon'}`;
  if (message.type.startsWith('permission.') && affectsMe(message, me) && message.actor?.id !== me) {
    const role = myRoleAfter(message);
    if (role === null) return `${who} removed your access to ${what}`;
    if (message.type === 'permission.granted') return `${who} shared ${what} with you (${role?.toLowerCase()})`;
    return `${who} made you ${role?.toLowerCase()} of ${what}`;
  }
  if (message.type === 'rsvp.updated' && message.response) return `${who} answered ${message.response} to ${what}`;
  return `${who} ${VERBS[message.type]} ${what}`;
}
