import type { Database } from '@scheduler/db';
import type { Kysely } from 'kysely';
import type { RequestMeta } from './audit.ts';
import type { Principal } from './events/access.ts';
import type { CommitListener } from './write.ts';

/** The signed-in user a domain function acts for (with the scope of their API token, if they came with one). */
export interface Actor extends Principal {
  username: string;
}

/** What domain functions need: the database, the commit listener, and the request's audit metadata. */
export interface ServiceDeps {
  db: Kysely<Database>;
  commits?: CommitListener | undefined;
  meta: RequestMeta;
}
