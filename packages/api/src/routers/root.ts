import { router } from '../trpc.ts';
import { authRouter, usersRouter } from './auth.ts';
import { eventsRouter } from './events.ts';
import { freebusyRouter } from './freebusy.ts';
import { historyRouter } from './history.ts';
import { liveRouter } from './live.ts';
import { sharingRouter } from './sharing.ts';

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  events: eventsRouter,
  sharing: sharingRouter,
  history: historyRouter,
  live: liveRouter,
  freebusy: freebusyRouter,
});

export type AppRouter = typeof appRouter;
