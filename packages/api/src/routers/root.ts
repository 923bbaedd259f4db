import { router } from '../trpc.ts';
import { authRouter, usersRouter } from './auth.ts';

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
});

export type AppRouter = typeof appRouter;
