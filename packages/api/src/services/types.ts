import type { Database } from '@scheduler/db';
import type { Kysely } from 'kysely';
import type { RequestMeta } from './audit.ts';
import type { CommitListener } from './write.ts';

/** The signed-in user a domain function acts for. */
export interface Actor {
  id: number;
  username: string;
}

/** What domain functions need: the database, the commit listener, and the request's audit metadata. */
export interface ServiceDeps {
  db: Kysely<Database>;
  commits?: CommitListener | undefined;
  meta: RequestMeta;
}
