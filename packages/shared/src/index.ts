export * from './time.ts';
export * from './common.ts';
export * from './errors.ts';
export * from './auth.ts';
export * from './events.ts';
export * from './sharing.ts';
export * from './history.ts';
export * from './live.ts';
