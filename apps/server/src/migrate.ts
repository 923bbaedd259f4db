import { migrateToLatest, openDatabase } from '@scheduler/db';
import { loadConfig } from '@scheduler/api';

/** `npm run migrate`: applies pending migrations to the configured database and exits. */
const config = loadConfig(process.env);
const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
try {
  const result = await migrateToLatest(database.db);
  const applied = result.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
  console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Already up to date');
} finally {
  await database.close();
}
