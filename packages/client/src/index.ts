/**
 * @scheduler/client: the typed TypeScript client of the Event Scheduler API.
 * The server's router is imported for its type only; nothing of the server
 * is loaded at run time.
 */
export type { AppRouter } from '@scheduler/api';
export { TRPCClientError } from '@trpc/client';
export {
  createClient,
  type ClientOptions,
  type FollowOptions,
  type Invitation,
  type LiveMessage,
  type RsvpStatus,
  type SchedulerClient,
  type WebSocketClass,
} from './client.ts';
export { isUnauthorized, type Credentials, type SchedulerClientError, type TokenPair } from './session.ts';
