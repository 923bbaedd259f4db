import { router } from '../trpc.ts';
import { authRouter, usersRouter } from './auth.ts';
import { eventsRouter } from './events.ts';
import { historyRouter } from './history.ts';
import { liveRouter } from './live.ts';
import { sharingRouter } from './sharing.ts';
import { tokensRouter } from './tokens.ts';

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  events: eventsRouter,
  sharing: sharingRouter,
  history: historyRouter,
  live: liveRouter,
  tokens: tokensRouter,
});

export type AppRouter = typeof appRouter;
