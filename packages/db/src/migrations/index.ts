import type { Migration } from 'kysely';
import * as initial from './2025_01_01_000_initial.ts';

/** Every migration, in order. Listed here rather than read from disk so bundlers and tsx agree. */
export const migrations: Record<string, Migration> = {
  '2025_01_01_000_initial': initial,
};
