export * from './schema.ts';
export { openDatabase, pingDatabase, type DatabaseEngine, type DatabaseHandle, type DatabaseOptions } from './database.ts';
export { migrateToLatest } from './migrate.ts';
export { PGliteDialect } from './pglite-dialect.ts';
export { isDatabaseUnavailable, isStatementTimeout } from './faults.ts';
export { prepareStatement } from './prepared-statements.ts';
