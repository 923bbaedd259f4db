import { router } from '../trpc.ts';
import { authRouter, usersRouter } from './auth.ts';
import { eventsRouter } from './events.ts';
import { historyRouter } from './history.ts';
import { invitationsRouter } from './invitations.ts';
import { liveRouter } from './live.ts';
import { rsvpRouter } from './rsvp.ts';
import { sharingRouter } from './sharing.ts';

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  events: eventsRouter,
  sharing: sharingRouter,
  invitations: invitationsRouter,
  rsvp: rsvpRouter,
  history: historyRouter,
  live: liveRouter,
});

export type AppRouter = typeof appRouter;
